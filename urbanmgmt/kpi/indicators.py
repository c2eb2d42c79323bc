"""The indicators of GB/T 30428.4 style evaluation, each a SQL count per subject.

An indicator answers, for a period, {subject: (numerator, denominator)}; its value is the
ratio. Subjects are inspectors (usernames), departments (codes), dispatchers (usernames)
or areas (street codes). Which indicators count, with which weights, is the evaluation
scheme's configuration (models.EvaluationScheme), not code.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases.models import Case, CaseEvent, Channel, InspectionTask, RequestType, State
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.scope import COLLECT_CHANNELS
from urbanmgmt.org.models import Department
from urbanmgmt.sqlchunks import filtered_in

Counts = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    who: str  # inspector | dispatcher | department | area
    formula: str
    higher_is_better: bool
    compute: Callable[[dt.datetime, dt.datetime], Counts]
    # False: computed per request, never stored per day (kpi/daily.py): its tables do not
    # mark the days they change (the patrol indicators, urbanmgmt/patrols/indicators.py,
    # registered here by kpi's AppConfig.ready).
    stored: bool = True


def _pairs(rows, key: str, num: str, den: str) -> Counts:
    return {row[key]: (row[num], row[den]) for row in rows if row[key] is not None}


def _by_username(rows, key: str) -> Counts:
    """Rows counted per user id (one covering index, no join per row) named by username."""
    rows = [row for row in rows if row[key] is not None]
    names = dict(get_user_model().objects.filter(pk__in=[row[key] for row in rows]).values_list("pk", "username"))
    return {names[row[key]]: (row["n"], row["d"]) for row in rows}


def valid_report(start, end) -> Counts:
    rows = (Case.objects.filter(channel__in=COLLECT_CHANNELS, reported_at__gte=start, reported_at__lt=end,
                                reporter__isnull=False)
            .values("reporter_id").annotate(n=Count("id", filter=Q(filed_at__isnull=False)), d=Count("id")).order_by())
    return _by_username(rows, "reporter_id")


def _tasks_on_time(kind: str):
    def compute(start, end) -> Counts:
        rows = (InspectionTask.objects.filter(kind=kind, due_at__gte=start, due_at__lt=end, done_by__isnull=False)
                .values("done_by_id")
                .annotate(n=Count("id", filter=Q(done_at__lte=F("due_at"))), d=Count("id")).order_by())
        return _by_username(rows, "done_by_id")
    return compute


def missed_report(start, end) -> Counts:
    """Problems a patrol could have seen in an inspector's grids that reached us another way
    (video, or a citizen's complaint or help request: not consultations or suggestions) and
    were filed, against the cases filed there. Until missed problems are confirmed one by one,
    this is what counts as missed."""
    seen_elsewhere = ~Q(channel=Channel.INSPECTOR) & ~Q(request_type__in=[RequestType.CONSULTATION,
                                                                          RequestType.SUGGESTION])
    rows = (Case.objects.filter(filed_at__gte=start, filed_at__lt=end, grid__inspectors__isnull=False)
            .exclude(request_type__in=[RequestType.CONSULTATION, RequestType.SUGGESTION])
            .values("grid__inspectors__user__username")
            .annotate(n=Count("id", filter=seen_elsewhere), d=Count("id")))
    return _pairs(rows, "grid__inspectors__user__username", "n", "d")


def dispatched_in_time(start, end) -> Counts:
    """Cases dispatched by a dispatcher within the dispatch limit after filing (the working
    minutes of every dispatch of the period at once: kpi.workcal)."""
    from django.conf import settings

    from urbanmgmt.kpi.workcal import columns, working_minutes_since

    limit = settings.DISPATCH_WITHIN_WORKING_HOURS * 60
    events = CaseEvent.objects.filter(action="dispatch", at__gte=start, at__lt=end, actor__isnull=False).order_by()
    cols = columns(events, ("actor_id", "at", "case_id"), moments=("at",))  # the covering index, no row read
    ids = cols["case_id"].astype(np.int64)
    # Filing times of those cases only, by primary key (a day's dispatches: a few queries).
    filed_by_id: dict[int, np.datetime64] = {}
    unique_ids = np.unique(ids).tolist()
    for cases in filtered_in(Case.objects.order_by(), "pk", unique_ids):
        found = columns(cases, ("id", "filed_at"), moments=("filed_at",))
        filed_by_id.update(zip(found["id"].tolist(), found["filed_at"], strict=True))
    filed = np.array([filed_by_id.get(i, np.datetime64("NaT")) for i in ids.tolist()], dtype="datetime64[us]")
    at = cols["at"]
    filed_known = ~np.isnat(filed)
    both = np.concatenate([at, filed[filed_known]])
    first = (both.min().astype("datetime64[D]").astype(object) - dt.timedelta(days=1)) if both.size else None
    hit = np.zeros(at.size, dtype=bool)
    if filed_known.any():
        spent = working_minutes_since(at[filed_known], first) - working_minutes_since(filed[filed_known], first)
        hit[filed_known] = spent <= limit
    return _per_subject(cols["actor_id"], hit)


def _per_subject(users: np.ndarray, hit: np.ndarray) -> Counts:
    if users.size == 0:
        return {}
    ids, index = np.unique(users.astype(np.int64), return_inverse=True)
    hits, totals = np.bincount(index, weights=hit, minlength=ids.size), np.bincount(index, minlength=ids.size)
    return _by_username([{"user": int(i), "n": int(h), "d": int(t)} for i, h, t in zip(ids, hits, totals, strict=True)],
                        "user")


def dispatched_accurately(start, end) -> Counts:
    """(dispatches − those returned as misrouted) ÷ dispatches, per dispatcher: an approved
    return counts against the dispatch it undid, the case's last one before it. Dispatches
    are counted in SQL; then the dispatch and return events of those cases are read by the
    (case, at) index, a chunk of cases at a time."""
    dispatched = CaseEvent.objects.filter(action="dispatch", at__gte=start, at__lt=end, actor__isnull=False)
    rows = {row["actor_id"]: row for row in dispatched.values("actor_id").annotate(n=Count("id"), d=Count("id"))
            .order_by()}
    ids = sorted(set(dispatched.values_list("case_id", flat=True).order_by()))
    steps = CaseEvent.objects.filter(action__in=("dispatch", "approve_return"))
    for events in filtered_in(steps, "case_id", ids):
        last: dict[int, tuple] = {}  # case → its latest dispatch so far (at, actor)
        for case_id, action, at, actor in events.values_list("case_id", "action", "at", "actor_id").order_by("at", "id"):
            if action == "dispatch":
                last[case_id] = (at, actor)
            elif case_id in last:
                undone_at, undone_by = last.pop(case_id)
                if start <= undone_at < end and undone_by in rows:
                    rows[undone_by]["n"] -= 1
    return _by_username(list(rows.values()), "actor_id")


def _department(num: Q):
    def compute(start, end) -> Counts:
        # Grouped by id over the date range alone (the covering kpi_case_due index), named after.
        rows = (Case.objects.due_between(start, end).values("department_id")
                .annotate(n=Count("id", filter=num), d=Count("id")).order_by())
        codes = dict(Department.objects.values_list("pk", "code"))
        return {codes[row["department_id"]]: (row["n"], row["d"]) for row in rows if row["department_id"] is not None}
    return compute


def _area(num: Q, suspended: bool = False):
    def compute(start, end) -> Counts:
        rows = (Case.objects.due_between(start, end, suspended=suspended).values("street_id")
                .annotate(n=Count("id", filter=num), d=Count("id")).order_by())
        codes = dict(Area.objects.filter(level="street").values_list("pk", "code"))
        return {codes[row["street_id"]]: (row["n"], row["d"]) for row in rows if row["street_id"] in codes}
    return compute


CLOSED = Q(state=State.CLOSED)
HANDLED_ON_TIME = Q(handled_at__isnull=False, handled_at__lte=F("due_at")) | Q(closed_at__isnull=False,
                                                                               closed_at__lte=F("due_at"))

INDICATORS = {i.key: i for i in [
    Indicator("valid_report_rate", _("Valid-report rate"), "inspector", _("filed ÷ reports"), True, valid_report),
    Indicator("on_time_verification", _("On-time verification rate"), "inspector",
              _("verified on time ÷ verifications due"), True, _tasks_on_time(InspectionTask.Kind.VERIFY)),
    Indicator("on_time_check", _("On-time check rate"), "inspector", _("checked on time ÷ checks due"), True,
              _tasks_on_time(InspectionTask.Kind.CHECK)),
    Indicator("missed_report_rate", _("Missed-report rate"), "inspector",
              _("filed from video and citizens' complaints and help requests ÷ filed in the grids "
                "(consultations and suggestions left out)"), False, missed_report),
    Indicator("on_time_dispatch", _("On-time dispatch rate"), "dispatcher", _("dispatched on time ÷ dispatches"), True,
              dispatched_in_time),
    Indicator("dispatch_accuracy", _("Accurate dispatch rate"), "dispatcher", _("(dispatches − returns) ÷ dispatches"),
              True, dispatched_accurately),
    Indicator("closure_rate", _("Closure rate"), "department", _("closed ÷ due to be closed"), True,
              _department(CLOSED)),
    Indicator("on_time_handling", _("On-time handling rate"), "department", _("handled on time ÷ due to be handled"), True,
              _department(HANDLED_ON_TIME)),
    Indicator("rework_rate", _("Rework rate"), "department", _("reworked ÷ due to be closed"), False,
              _department(Q(rework_count__gt=0))),
    Indicator("area_closure_rate", _("Closure rate"), "area", _("closed ÷ due to be closed"), True,
              _area(CLOSED, suspended=True)),
    Indicator("area_on_time_closure", _("On-time closure rate"), "area",
              _("closed on time ÷ (due to be closed − suspended)"), True,
              _area(CLOSED & Q(closed_at__lte=F("due_at")))),
]}

