"""One case table for every channel, its media, and its append-only history.

The rules derived from a case's columns ("open", "overdue", "due in a period", "visible to
this user") are defined once, on `CaseQuerySet` (`Case.objects`), with a plain function
beside a rule that fast paths also apply to rows already read (`is_overdue`).
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from urbanmgmt.org import roles as R


class Channel(models.TextChoices):
    INSPECTOR = "inspector", pgettext_lazy("channel", "Inspector (app)")
    VIDEO = "video", _("Video")
    HOTLINE = "hotline", _("12345 hotline")
    OTHER = "other", _("Other (staff, media, leaders)")


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")
    FILED = "filed", _("Filed")
    REJECTED = "rejected", _("Rejected")
    VOIDED = "voided", _("Voided")
    DISPATCHED = "dispatched", _("Dispatched")
    RETURNED = "returned", _("Returned")
    HANDLED = "handled", _("Handled")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    CLOSED = "closed", _("Closed")
    SUSPENDED = "suspended", _("Suspended")


OPEN_STATES = (State.REPORTED, State.FILED, State.DISPATCHED, State.RETURNED, State.HANDLED,
               State.CHECKING, State.CHECKED, State.SUSPENDED)
# States whose deadline clock is stopped: a suspended case (挂账, DOMAIN §4) waits on a
# problem that cannot be solved now and is taken out of what is due (DOMAIN §9: 按期结案 ÷
# (应结案 − 缓办)), so it is never overdue, nor due, while it stays suspended.
CLOCK_STOPPED = (State.SUSPENDED,)
# States past the department's reply (处置反馈): its handling deadline was met or missed for
# good then (按期处置, kpi), and the check that follows has a time of its own
# (InspectionTask.due_at): a case waiting for its check or its close is not overdue.
REPLIED_STATES = (State.HANDLED, State.CHECKING, State.CHECKED)
RUNNING_STATES = tuple(state for state in OPEN_STATES if state not in CLOCK_STOPPED and state not in REPLIED_STATES)


def is_overdue(state: str, due_at: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether a case in `state` with deadline `due_at` is overdue at `at`: the row-level form
    of `CaseQuerySet.overdue`, for fast paths that hold the columns already."""
    return due_at is not None and state in RUNNING_STATES and due_at < at


def overdue_condition(at: dt.datetime) -> Q:
    """The SQL form of `is_overdue` (a NULL deadline never compares less: not overdue)."""
    return Q(state__in=RUNNING_STATES, due_at__lt=at)


def is_late_to_sign(sign_due_at: dt.datetime | None, signed_at: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether a dispatched case is still unsigned past its time to sign at `at` (DOMAIN §5:
    sign within 2 working hours)."""
    return sign_due_at is not None and signed_at is None and sign_due_at < at


def signing_counted_condition(at: dt.datetime) -> Q:
    """The cases the on-time signing rate counts at `at`: with a time to sign, and signed or
    late to sign (one still inside its time is not decided yet)."""
    return Q(sign_due_at__isnull=False) & (Q(signed_at__isnull=False) | Q(sign_due_at__lt=at))


class CaseQuerySet(models.QuerySet):
    """`Case.objects`: the derived rules, each written once, for every list of cases."""

    def open(self) -> "CaseQuerySet":
        """Cases still in the loop: neither closed, rejected nor voided (suspended ones are open)."""
        return self.filter(state__in=OPEN_STATES)

    def not_open(self) -> "CaseQuerySet":
        """Every case that `open()` leaves out: closed, rejected or voided."""
        return self.exclude(state__in=OPEN_STATES)

    def overdue(self, at: dt.datetime) -> "CaseQuerySet":
        """Open cases, their clock running (not suspended, not replied to), past their deadline
        at `at`."""
        return self.filter(overdue_condition(at))

    def open_at(self, moment: dt.datetime) -> "CaseQuerySet":
        """Cases in the loop at `moment`, a past one too (a report's end): reported before it and
        not closed, rejected or voided by then, whatever they are now. At the present moment,
        the same cases as open()."""
        voided = CaseEvent.objects.filter(case=OuterRef("pk"), action="void", at__lt=moment)
        return (self.filter(reported_at__lt=moment).exclude(closed_at__lt=moment).exclude(rejected_at__lt=moment)
                .exclude(Exists(voided)))

    def overdue_at(self, moment: dt.datetime) -> "CaseQuerySet":
        """Of open_at(moment), those past their deadline then, not replied to by then and not
        suspended: overdue(moment) for a past moment, as far as the columns tell (a deadline
        extended later is read as extended)."""
        return (self.open_at(moment).filter(due_at__lt=moment).exclude(handled_at__lt=moment)
                .exclude(state=State.SUSPENDED, suspended_at__lt=moment))

    def not_overdue(self, at: dt.datetime) -> "CaseQuerySet":
        """Every case that `overdue(at)` leaves out."""
        return self.exclude(overdue_condition(at))

    def signing_counted(self, at: dt.datetime) -> "CaseQuerySet":
        """Cases whose signing is decided at `at`: signed, or past their time to sign."""
        return self.filter(signing_counted_condition(at))

    def signing_not_counted(self, at: dt.datetime) -> "CaseQuerySet":
        """Every case that `signing_counted(at)` leaves out."""
        return self.exclude(signing_counted_condition(at))

    def due_between(self, start: dt.datetime, end: dt.datetime, suspended: bool = False) -> "CaseQuerySet":
        """Cases whose deadline falls in [start, end), the base of the on-time rates; the
        suspended ones are left out (their clock stopped) unless `suspended` is true."""
        cases = self.filter(due_at__gte=start, due_at__lt=end)
        return cases if suspended else cases.exclude(state__in=CLOCK_STOPPED)

    def in_grids(self, grid_ids: Iterable[int]) -> "CaseQuerySet":
        """Cases of the unit grids `grid_ids` (the map's box, cut into grids)."""
        return self.filter(grid_id__in=grid_ids)

    def visible_to(self, user) -> "CaseQuerySet":
        """The cases `user` may see: the command centre every case, a department handler its
        department's, an inspector its own reports and the cases of its grids, a video analyst
        the video channel, anyone else none. Also the rule for their photos (cases/access.py).
        An inspector named to check or verify a case sees it wherever its grid lies."""
        roles = R.roles_of(user)
        if roles & set(R.COMMAND_CENTRE):
            return self
        condition = Q(pk__in=[])
        if R.HANDLER in roles and R.department_of(user):
            condition |= Q(department_id=R.department_of(user))
        if R.INSPECTOR in roles:
            condition |= (Q(reporter=user) | Q(grid__inspectors__user=user) | Q(checker=user)
                          | Q(tasks__inspector=user))
        if R.ANALYST in roles:
            condition |= Q(channel=Channel.VIDEO)
        # The OR over the grid's inspectors joins one row per inspector of the grid: without
        # DISTINCT a case would come once for each of them.
        return self.filter(condition).distinct() if R.INSPECTOR in roles else self.filter(condition)


class RequestType(models.TextChoices):
    """12345 request types (诉求类型); they set the handling deadline of hotline cases."""

    CONSULTATION = "consultation", pgettext_lazy("request type", "Consultation")
    HELP = "help", pgettext_lazy("request type", "Help request")
    COMPLAINT = "complaint", pgettext_lazy("request type", "Complaint / report")
    SUGGESTION = "suggestion", pgettext_lazy("request type", "Suggestion")


class RejectReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    UNCLEAR = "unclear_evidence", _("Unclear evidence")
    OUTSIDE_AREA = "outside_service_area", _("Outside the service area")
    OTHER = "other", _("Other")


class Case(models.Model):
    """A problem in the city, from whichever channel, through the closed loop (DOMAIN §4).

    Never changed directly: every change goes through urbanmgmt/cases/services.py, which
    checks the state, the actor and `version` (optimistic locking) and writes a CaseEvent.
    """

    code = models.CharField(_("case number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    external_ref = models.CharField(_("source reference"), max_length=100, null=True, blank=True,
                                    help_text=_("Client UUID, ticket id or candidate id: a resend never makes a second case."))
    request_type = models.CharField(_("request type"), max_length=16, choices=RequestType.choices, blank=True)
    # The foreign keys below that lead a composite index are not indexed on their own:
    # every extra index is another page written by each report (see Meta.indexes).
    category = models.ForeignKey("catalog.Category", models.PROTECT, null=True, blank=True, db_index=False,
                                 verbose_name=_("category"))
    urgency = models.CharField(_("urgency"), max_length=8, default="normal")
    point = models.PointField(_("location"), srid=4326, spatial_index=True)
    grid = models.ForeignKey("grids.UnitGrid", models.PROTECT, related_name="cases", db_index=False,
                             verbose_name=_("unit grid"))
    community = models.ForeignKey("grids.Area", models.PROTECT, related_name="+", db_index=False,
                                  verbose_name=_("community"))
    street = models.ForeignKey("grids.Area", models.PROTECT, related_name="+", db_index=False, verbose_name=_("street"))
    district = models.ForeignKey("grids.Area", models.PROTECT, related_name="+", db_index=False,
                                 verbose_name=_("district"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                 related_name="reported_cases", verbose_name=_("reported by"))

    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED)
    state_before_suspension = models.CharField(_("state before suspension"), max_length=16, blank=True)
    reject_reason = models.CharField(_("rejection reason"), max_length=24, choices=RejectReason.choices, blank=True)
    department = models.ForeignKey("org.Department", models.PROTECT, null=True, blank=True, related_name="cases",
                                   db_index=False, verbose_name=_("department"))
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                related_name="cases_to_check", verbose_name=_("checking inspector"))
    reply = models.TextField(_("department reply"), blank=True)

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("to sign by"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # due_at leads the covering kpi_case_due index (kpi migration 0003): it serves the deadline ranges.
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("first deadline"), null=True, blank=True)
    extension_requested_until = models.DateTimeField(_("extension asked until"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    # Derived, kept by steps.decide (and recounted when the working calendar changes):
    # the managers' average handling time sums it instead of walking the calendar per case.
    handling_minutes = models.FloatField(
        _("handling time (working minutes)"), null=True, blank=True,
        help_text=_("Working minutes from the dispatch to the department's reply."))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)

    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    ticket_count = models.PositiveIntegerField(
        _("12345 tickets"), default=0,
        help_text=_("How many 12345 tickets are linked to this case (kept by the link and unlink services)."))
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_ref"], name="case_channel_external_ref_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "reported_at"]),
            models.Index(fields=["street", "state"]),
            models.Index(fields=["district", "state"]),
            models.Index(fields=["grid", "state"]),
            models.Index(fields=["department", "state"]),
            models.Index(fields=["category", "reported_at"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return self.code


# A photo's flag when the same bytes (SHA-256) are already another case's (collectors_app.evidence):
# the case's answer names those cases (serializers.CaseMediaSerializer.same_photo_in).
PHOTO_USED_BEFORE = "photo_used_before"


class CaseMedia(models.Model):
    """A photo, snapshot or clip attached to a case, with the hash of its original bytes."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Evidence (before)")
        AFTER = "after", _("After handling")
        CHECK = "check", _("On-site check")
        SNAPSHOT = "snapshot", _("Video snapshot")
        CLIP = "clip", _("Video clip")

    case = models.ForeignKey(Case, models.PROTECT, related_name="media", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("original"), max_length=200, help_text=_("The bytes as received, for staff only."))
    display = models.FileField(_("display copy"), max_length=200, blank=True,
                               help_text=_("Upright, without EXIF: what is shown."))
    thumbnail = models.FileField(_("thumbnail"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 digest"), max_length=64, db_index=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True,
                             help_text=_("Doubts about the evidence: EXIF place or time far off, photo used before."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case media")
        verbose_name_plural = _("case media")
        ordering = ["uploaded_at"]


class CaseEvent(models.Model):
    """One step of a case's history: who, when, from which state to which, and why.

    Append-only: the database refuses UPDATE, and DELETE while the case exists (triggers in
    cases/invariants.py, on SpatiaLite and PostGIS alike).
    """

    case = models.ForeignKey(Case, models.PROTECT, related_name="events", db_index=False,  # (case, at) leads
                             verbose_name=_("case"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, verbose_name=_("by"))
    actor_role = models.CharField(_("as"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("case version"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"


class CaseSequence(models.Model):
    """The last case number used in each year (case codes are year + sequence)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number sequence")
        verbose_name_plural = _("case number sequences")


class WorkDay(models.Model):
    """One day of the working calendar that differs from the plain week (data, editable).

    Seeded from chinese_calendar for the years it knows: public holidays that fall on
    weekdays (is_workday False) and make-up working days on weekends (is_workday True).
    A date not in the table is a working day from Monday to Friday.
    """

    date = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=30, default="manual")

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'} {self.name}"


class InspectionTaskQuerySet(models.QuerySet):
    """`InspectionTask.objects`: which errands are still to do."""

    def open(self) -> "InspectionTaskQuerySet":
        """Tasks not done whose case is still in the state that asked for them."""
        waiting = Q(pk__in=[])
        for kind, state in InspectionTask.OPEN_CASE_STATE.items():
            waiting |= Q(kind=kind, case__state=state)
        return self.filter(waiting, done_at__isnull=True)


class InspectionTask(models.Model):
    """An inspector's errand to a case's place: verify a report (核实) or check a fix (核查).

    Created by the services (request_verification, send_for_check) and completed through
    services.complete_task, whose result drives the case. A task is open while the case
    is still in the state that asked for it.
    """

    class Kind(models.TextChoices):
        VERIFY = "verify", pgettext_lazy("task", "Verify")
        CHECK = "check", pgettext_lazy("task", "Check")

    class Result(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed: the problem is there")
        NOT_FOUND = "not_found", _("Not found")
        FIXED = "fixed", _("Fixed")
        NOT_FIXED = "not_fixed", _("Not fixed")

    OPEN_CASE_STATE = {Kind.VERIFY: State.REPORTED, Kind.CHECK: State.CHECKING}
    RESULTS = {Kind.VERIFY: (Result.CONFIRMED, Result.NOT_FOUND), Kind.CHECK: (Result.FIXED, Result.NOT_FIXED)}

    case = models.ForeignKey(Case, models.PROTECT, related_name="tasks", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="tasks",
                                  verbose_name=_("inspector"), help_text=_("Empty: any inspector of the grid."))
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("done by"))
    result = models.CharField(_("result"), max_length=12, choices=Result.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = InspectionTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["inspector", "done_at"]), models.Index(fields=["done_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id}"
