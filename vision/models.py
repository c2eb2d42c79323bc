"""Cameras, their calibration and zones, the workers' keys, and the candidate events the
workers raise, which a video analyst (视频采集员) confirms into a case or rejects."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vision.worker import zones as Z


class Rule(models.TextChoices):
    ILLEGAL_PARKING = Z.ILLEGAL_PARKING, _("Illegal parking")
    VENDING = Z.VENDING, _("Road-occupying vending")
    BICYCLES = Z.BICYCLES, _("Disordered bicycles")
    PRESENT = Z.PRESENT, _("Object present")


# The detector's class names (COCO, as the worker reports them) in the user's language: the one
# place a page, the API or a case description turns "bus" into words.
OBJECT_CLASSES = {
    "car": pgettext_lazy("detector class", "car"),
    "bus": pgettext_lazy("detector class", "bus"),
    "truck": pgettext_lazy("detector class", "truck"),
    "motorcycle": pgettext_lazy("detector class", "motorcycle"),
    "bicycle": pgettext_lazy("detector class", "bicycle"),
    "person": pgettext_lazy("detector class", "person"),
    "umbrella": pgettext_lazy("detector class", "umbrella"),
    "dining table": pgettext_lazy("detector class", "dining table"),
    "chair": pgettext_lazy("detector class", "chair"),
}


# Rules that assert a violation: what they raise is an alert (告警), for the analyst first; the
# `present` rule only says an object is there (a detection), as does anything raised where no
# case can be made (outside the service area). Frigate keeps its alerts apart the same way.
ALERT_RULES = (Rule.ILLEGAL_PARKING, Rule.VENDING, Rule.BICYCLES)


def object_class_label(name: str) -> str:
    """A detector class in the user's language (a class the mapping lacks, as the detector named it)."""
    return str(OBJECT_CLASSES.get(name, name))


# The category a confirmed candidate gets unless its zone names one (catalogue service codes).
RULE_CATEGORY = {Rule.ILLEGAL_PARKING: "E0505", Rule.VENDING: "E0551", Rule.BICYCLES: "E0506"}


class WorkerKey(models.Model):
    """A video worker's credential (`Authorization: Bearer <key>`); only its hash is kept."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    cameras = models.ManyToManyField("Camera", blank=True, verbose_name=_("cameras"),
                                     help_text=_("Empty: every active camera."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("video worker key")
        verbose_name_plural = _("video worker keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def new_key(self) -> str:
        """Give the worker a fresh key (shown once) and keep its hash. Never one that starts
        with "-": it is given on a command line (`--token KEY`), where that reads as an option."""
        key = secrets.token_urlsafe(32)
        while key.startswith("-"):  # 1 in 64
            key = secrets.token_urlsafe(32)
        self.prefix, self.key_hash = key[:8], self.digest(key)
        return key

    def camera_queryset(self):
        chosen = self.cameras.all()
        return chosen if chosen.exists() else Camera.objects.filter(active=True)


class Camera(models.Model):
    """A fixed city camera: its stream, where it stands, and how its image maps to the ground."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    stream_url = models.CharField(_("stream"), max_length=500, blank=True,
                                  help_text=_("rtsp://, http:// or a video file path on the worker's machine."))
    record_url = models.CharField(_("main stream (for snapshots)"), max_length=500, blank=True,
                                  help_text=_("When the stream above is the camera's low-resolution substream: its "
                                              "main stream, read for the candidates' snapshots only."))
    decode = models.CharField(_("decoding"), max_length=10, default="sampled", choices=[
        ("sampled", _("the frames the sampling needs")), ("all", _("every frame")),
        ("keyframes", _("keyframes only")), ("auto", _("keyframes only when they come often enough"))])
    sample_fps = models.FloatField(_("frames analysed per second"), default=2.0)
    position = models.PointField(_("position"), srid=4326, null=True, blank=True)
    heading = models.FloatField(_("heading (degrees from north)"), null=True, blank=True)
    frame_width = models.PositiveIntegerField(_("frame width"), null=True, blank=True)
    frame_height = models.PositiveIntegerField(_("frame height"), null=True, blank=True)
    calibration = models.JSONField(_("calibration points"), default=list, blank=True,
                                   help_text=_("At least 4 pairs [[x, y], [lon, lat]]: image pixels and WGS84."))
    homography = models.JSONField(_("homography"), null=True, blank=True, editable=False)
    reprojection_error_m = models.FloatField(_("reprojection error (m)"), null=True, blank=True, editable=False)
    snapshot = models.FileField(_("reference snapshot"), upload_to="vision/cameras/", blank=True,
                                help_text=_("A still of the camera's view, to draw zones on."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Zone(models.Model):
    """A region of a camera's image (a polygon in frame pixels) and the rule that watches it."""

    camera = models.ForeignKey(Camera, models.CASCADE, related_name="zones", verbose_name=_("camera"))
    name = models.CharField(_("name"), max_length=60)
    polygon = models.JSONField(_("polygon"), help_text=_("Image points [[x, y], …] in pixels of the camera frame."))
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    category = models.ForeignKey("catalog.Category", models.PROTECT, null=True, blank=True, verbose_name=_("category"),
                                 help_text=_("Empty: the rule's usual category."))
    classes = models.JSONField(_("detector classes"), default=list, blank=True,
                               help_text=_("Empty: the rule's classes (needed for “object present”)."))
    dwell_s = models.FloatField(_("dwell time (s)"), default=60)
    inertia = models.PositiveSmallIntegerField(_("inertia (frames)"), default=3)
    tolerance = models.FloatField(_("stationary tolerance (× box height)"), default=0.15)
    min_count = models.PositiveSmallIntegerField(_("minimum count"), default=3)
    cooldown_s = models.FloatField(_("cooldown (s)"), default=600)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["camera", "id"]

    def __str__(self) -> str:
        return f"{self.camera.code} · {self.name}"

    def default_category_code(self) -> str | None:
        return self.category.service_code if self.category_id else RULE_CATEGORY.get(self.rule)


class CandidateEvent(models.Model):
    """What a worker's rule raised: waits in the analysts' queue to be confirmed or rejected."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    class RejectReason(models.TextChoices):
        FALSE_DETECTION = "false_detection", _("False detection")
        NOT_VIOLATION = "not_violation", _("Not a violation")
        DUPLICATE = "duplicate", _("Duplicate")
        OTHER = "other", _("Other")

    camera = models.ForeignKey(Camera, models.PROTECT, related_name="candidates", verbose_name=_("camera"))
    zone = models.ForeignKey(Zone, models.PROTECT, related_name="candidates", verbose_name=_("zone"))
    worker = models.ForeignKey(WorkerKey, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("video worker"))
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    object_class = models.CharField(_("object class"), max_length=40)
    track_id = models.BigIntegerField(_("track"))
    started_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("raised at"), db_index=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    score = models.FloatField(_("score"))
    box = models.JSONField(_("box"), help_text=_("[x1, y1, x2, y2] in frame pixels"))
    anchor = models.JSONField(_("anchor"), default=list)
    point = models.PointField(_("ground point"), srid=4326, null=True, blank=True)
    outside_area = models.BooleanField(_("outside the service area"), default=False)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Indexed: serving a picture looks up the candidate it belongs to (vision/access.py).
    snapshot = models.CharField(_("snapshot"), max_length=200, db_index=True)
    snapshot_display = models.CharField(_("published snapshot"), max_length=200, blank=True, db_index=True)
    snapshot_thumb = models.CharField(_("thumbnail"), max_length=200, blank=True, db_index=True)
    strip = models.CharField(_("frame strip"), max_length=200, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    reject_reason = models.CharField(_("rejection reason"), max_length=20, choices=RejectReason.choices, blank=True)
    review_note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="candidates",
                             verbose_name=_("case"))
    # The first candidate of the same object's visit (empty on that first one): the review item
    # an analyst sees is the visit, whatever zones it crossed or however often it was raised.
    visit = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="repeats",
                              verbose_name=_("first candidate of the visit"))

    class Meta:
        verbose_name = _("candidate event")
        verbose_name_plural = _("candidate events")
        ordering = ["-last_seen_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["camera", "zone", "track_id", "started_at"],
                                               name="vision_candidate_once")]
        indexes = [models.Index(fields=["status", "last_seen_at"]), models.Index(fields=["camera", "rule", "status"])]

    def __str__(self) -> str:
        return f"{self.camera.code} {self.rule} #{self.track_id} {self.last_seen_at:%Y-%m-%d %H:%M}"

    @property
    def object_class_display(self) -> str:
        return object_class_label(self.object_class)

    @property
    def is_alert(self) -> bool:
        """A violation rule raised it where a case can be made (else it is a detection)."""
        return self.rule in ALERT_RULES and not self.outside_area

    @staticmethod
    def alerts_q() -> models.Q:
        """`is_alert` as a query."""
        return models.Q(rule__in=ALERT_RULES, outside_area=False)


class CameraAlert(models.Model):
    """A camera that no longer shows its zones (turned away, covered, out of focus), as its
    worker saw it: one per episode, for the analyst to have the camera seen to."""

    class State(models.TextChoices):
        MOVED = "moved", _("Camera moved")
        COVERED = "covered", _("Camera covered")
        BLURRED = "blurred", _("Camera out of focus")

    camera = models.ForeignKey(Camera, models.CASCADE, related_name="alerts", verbose_name=_("camera"))
    worker = models.ForeignKey(WorkerKey, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("video worker"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    since = models.DateTimeField(_("since"))
    raised_at = models.DateTimeField(_("raised at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    measures = models.JSONField(_("measures"), default=dict, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("camera alert")
        verbose_name_plural = _("camera alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["camera", "since"], name="vision_alert_once")]

    def __str__(self) -> str:
        return f"{self.camera.code} {self.state} {self.since:%Y-%m-%d %H:%M}"
