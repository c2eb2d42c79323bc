"""Patrols (巡查): an inspector's rounds of their grids, started and ended in 城管通, and the
track the phone recorded while one ran.

Points are recorded only during a patrol and never invented: where the phone gave no fix (the
screen locked, the app in the background, no GPS) the phone reports a gap, kept as a
PatrolGap. A point is identified by its patrol and the phone's running number (`seq`), so a
batch sent twice (offline queue, retries) is stored once. Tracks are personal data: kept for
settings.PATROL_TRACK_RETENTION_DAYS and visible only to the inspector, their supervisors
and the command centre."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urbanmgmt.org import roles as R


def track_scope(user) -> str:
    """Whose tracks `user` may see: "all" (the command centre), "own" (an inspector) or "none"
    (see PatrolQuerySet.visible_to for why)."""
    roles = R.roles_of(user)
    if roles & set(R.COMMAND_CENTRE):
        return "all"
    return "own" if R.INSPECTOR in roles else "none"


def active_inspectors():
    """The people who patrol: active users in the inspectors' group."""
    return get_user_model().objects.filter(groups__name=R.INSPECTOR, is_active=True)


def inspectors_visible_to(user):
    """The inspectors whose position and track `user` may see, off-duty ones included (the
    people behind PatrolQuerySet.visible_to)."""
    scope = track_scope(user)
    people = active_inspectors()
    return people if scope == "all" else people.filter(pk=user.pk) if scope == "own" else people.none()


class PatrolQuerySet(models.QuerySet):
    """`Patrol.objects`: who may see a patrol, written once for the map, the figures and the API."""

    def visible_to(self, user) -> "PatrolQuerySet":
        """The patrols `user` may see: an inspector their own, the command centre (dispatchers,
        managers, admins) everyone's, anyone else none.

        The org model has no per-inspector supervisor nor an area of a dispatcher or a manager:
        the people who supervise inspectors are the command centre, which sees the whole city.
        Handlers, video analysts and other inspectors see no track (personal data, DOMAIN §6a)."""
        scope = track_scope(user)
        return self if scope == "all" else self.filter(inspector=user) if scope == "own" else self.none()

    def open(self) -> "PatrolQuerySet":
        """Patrols still running (not ended)."""
        return self.filter(ended_at__isnull=True)


class TrackQuerySet(models.QuerySet):
    """Points and gaps of a track: visible exactly when their patrol is."""

    def visible_to(self, user) -> "TrackQuerySet":
        """The points (or gaps) of the patrols `user` may see (`Patrol.objects.visible_to`)."""
        return self.filter(patrol__in=Patrol.objects.visible_to(user))


class Patrol(models.Model):
    """One patrol of one inspector; open while `ended_at` is empty (at most one per inspector).

    The `last_*` fields and the running totals are kept by the point ingest, so the map and
    the managers' figures need not read the whole track."""

    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="patrols",
                                  verbose_name=_("inspector"))
    client_id = models.UUIDField(_("client id"), unique=True,
                                 help_text=_("Chosen by the phone, so a start sent twice starts one patrol."))
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    last_point_at = models.DateTimeField(_("last point at"), null=True, blank=True)
    last_position = models.PointField(_("last position"), srid=4326, null=True, blank=True)
    last_seq = models.PositiveIntegerField(_("last point number"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        indexes = [models.Index(fields=["inspector", "started_at"], name="patrol_inspector_day"),
                   models.Index(fields=["started_at"], name="patrol_started")]
        constraints = [
            models.UniqueConstraint(fields=["inspector"], condition=Q(ended_at__isnull=True),
                                    name="patrol_one_open_per_inspector"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="patrol_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} {self.started_at:%Y-%m-%d %H:%M}"


class PatrolPoint(models.Model):
    """One fix of the phone during a patrol (the append-only track; partitioned by month of
    `recorded_at` on a large PostGIS, docs/partitioning.md)."""

    patrol = models.ForeignKey(Patrol, models.CASCADE, related_name="points", verbose_name=_("patrol"))
    seq = models.PositiveIntegerField(_("point number"))
    recorded_at = models.DateTimeField(_("recorded at"))
    position = models.PointField(_("position"), srid=4326)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    objects = TrackQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol point")
        verbose_name_plural = _("patrol points")
        indexes = [models.Index(fields=["patrol", "recorded_at"], name="patrolpoint_track"),
                   models.Index(fields=["recorded_at"], name="patrolpoint_recorded")]
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="patrolpoint_once")]


class GapReason(models.TextChoices):
    """Why the phone recorded nothing for a while (the gap is shown, never filled in)."""

    HIDDEN = "hidden", _("Screen locked or app in the background")
    NO_FIX = "no_fix", _("No position fix")
    DENIED = "denied", _("Location permission denied")


class PatrolGap(models.Model):
    """A stretch of a patrol without points, as the phone reported it."""

    patrol = models.ForeignKey(Patrol, models.CASCADE, related_name="gaps", verbose_name=_("patrol"))
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=16, choices=GapReason.choices)

    objects = TrackQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol gap")
        verbose_name_plural = _("patrol gaps")
        constraints = [models.UniqueConstraint(fields=["patrol", "started_at"], name="patrolgap_once"),
                       models.CheckConstraint(condition=Q(ended_at__gte=models.F("started_at")),
                                              name="patrolgap_ends_after_start")]
