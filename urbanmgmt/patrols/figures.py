"""The managers' patrol figures per inspector and local day, and over a period.

Per inspector and day (the city's days, settings.TIME_ZONE):

- patrol time: the part of each patrol inside the day; an open patrol counts up to its last
  fix (not up to now: a phone gone silent is not patrolling);
- patrol time in working hours: the same, counted only inside the working calendar's hours
  (cases.worktime: working days, make-up days and settings.WORKING_HOURS), by kpi.workcal;
- distance: the patrol's distance (kept by the ingest) shared among its days by time;
- grids visited: the inspector's assigned grids (Profile.grids) that a point of the day lies
  in, one SQL spatial join (the point-in-polygon test runs in the database);
- reports: the inspector's 城管通 reports made while one of their patrols ran.

Over a period, per inspector (docs/patrol-figures.md says why these definitions):

- 在岗率 (attendance) = patrol time in working hours ÷ the working hours of the period up
  to now: the 监督员 在岗率 of city assessment rules, "在岗时长 ÷ 应在岗时长";
- 出勤 days = working days with at least settings.PATROL_ATTENDANCE_MIN_MINUTES of patrol in
  working hours, against the working days;
- 网格覆盖率 (grid coverage) = Σ grids visited per day ÷ (assigned grids × days that count:
  the working days, and any other day patrolled);
- reports per patrol hour = reports ÷ patrol hours.

Everything is computed from the patrol tables when asked but the grids visited of past days,
which read every point and are kept per day (kpi/daily.py); a late batch of points (a phone
offline for a day) marks its day through the insert hook and is counted at the next request.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import Case, Channel
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.kpi import daily
from urbanmgmt.kpi.models import DayFigure
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.kpi.sql import LocalDate
from urbanmgmt.kpi.workcal import working_minutes_since
from urbanmgmt.org.models import Profile
from urbanmgmt.patrols.models import Patrol, PatrolPoint, active_inspectors


@dataclass
class DayFigures:
    """One inspector's patrol on one local day."""

    patrol_s: float = 0.0
    working_s: float = 0.0
    distance_m: float = 0.0
    grids: int = 0
    reports: int = 0


@dataclass
class Period:
    """One inspector's figures over a period (see the module's definitions)."""

    username: str
    assigned: int
    working_days: int
    working_s: float  # the working hours of the period up to now, in seconds
    days: dict = field(default_factory=dict)  # {date: DayFigures}

    def total(self, name: str) -> float:
        return sum(getattr(d, name) for d in self.days.values())

    @property
    def attended_days(self) -> int:
        minimum = settings.PATROL_ATTENDANCE_MIN_MINUTES * 60
        return sum(1 for day, d in self.days.items() if worktime.is_workday(day) and d.working_s >= minimum)

    @property
    def counted_days(self) -> int:
        return self.working_days + sum(1 for day, d in self.days.items() if not worktime.is_workday(day) and d.patrol_s)

    def attendance(self) -> tuple[float, float]:
        return self.total("working_s"), self.working_s

    def coverage(self) -> tuple[int, int]:
        return self.total("grids"), self.assigned * self.counted_days

    def reports_per_hour(self) -> float | None:
        hours = self.total("patrol_s") / 3600
        return self.total("reports") / hours if hours else None


def inspectors(usernames=None):
    """The active inspectors (all, or those named)."""
    people = active_inspectors()
    return people.filter(username__in=list(usernames)) if usernames is not None else people


def _bounds(first: dt.date, last: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return day_start(first), min(day_start(last + dt.timedelta(days=1)), now)


def _patrol_days(ids: dict[int, str], start: dt.datetime, end: dt.datetime, out: dict) -> None:
    """Patrol time, working-hours time and distance per (username, day), from the patrols alone."""
    rows = (Patrol.objects.filter(inspector_id__in=list(ids), started_at__lt=end)
            .filter(Q(ended_at__gte=start) | Q(ended_at__isnull=True, last_point_at__gte=start))
            .values_list("inspector_id", "started_at", "ended_at", "last_point_at", "distance_m"))
    pieces = []  # (key, a, b, distance share)
    zone = worktime.tz()
    for inspector, began, ended, last_fix, distance in rows:
        finish = ended or max(last_fix or began, began)
        whole = (finish - began).total_seconds()
        a, b = max(began, start), min(finish, end)
        day = a.astimezone(zone).date()
        while a < b:
            cut = min(b, day_start(day + dt.timedelta(days=1)))
            share = (cut - a).total_seconds() / whole if whole else 1.0
            pieces.append(((ids[inspector], day), a, cut, distance * share))
            a, day = cut, day + dt.timedelta(days=1)
    if not pieces:
        return
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    spent = working_minutes_since([p[2] for p in pieces], first) - working_minutes_since([p[1] for p in pieces], first)
    for (key, a, b, metres), working in zip(pieces, spent.tolist(), strict=True):
        figures = out.setdefault(key, DayFigures())
        figures.patrol_s += (b - a).total_seconds()
        figures.working_s += working * 60
        figures.distance_m += metres


GRIDS_METRIC = "patrol:grids"


def _grid_counts(start: dt.datetime, end: dt.datetime, ids: dict[int, str] | None = None) -> dict:
    """{(username, day): assigned grids a point fell in} over [start, end): one spatial join
    (a point tested against its inspector's assigned grids only)."""
    ids = ids if ids is not None else dict(inspectors().values_list("pk", "username"))
    own_grid = UnitGrid.objects.filter(inspectors__user=OuterRef("patrol__inspector"),
                                       geom__contains=OuterRef("position")).values("id")[:1]
    rows = (PatrolPoint.objects.filter(patrol__inspector_id__in=list(ids), recorded_at__gte=start, recorded_at__lt=end)
            .annotate(day=LocalDate("recorded_at"), grid=Subquery(own_grid))
            .values("patrol__inspector_id", "day").annotate(n=Count("grid", distinct=True)).order_by())
    return {(ids[r["patrol__inspector_id"]], r["day"]): r["n"] for r in rows if r["n"]}


def _one_day(start: dt.datetime, end: dt.datetime) -> dict:
    """kpi.daily's compute for one stored day: {username: (grids,)}."""
    return {username: (n,) for (username, _day), n in _grid_counts(start, end).items()}


def keep_days(first: dt.date, last: dt.date) -> None:
    """Count and keep the grids visited of [first, last] (days before today only): the
    nightly KPI storage does it (kpi.excel.store_days), so no manager's request pays for it."""
    last = min(last, timezone.localdate() - dt.timedelta(days=1))
    if first <= last:
        daily.settle(GRIDS_METRIC, _one_day, first, last)


def _grids_visited(ids: dict[int, str], start: dt.datetime, end: dt.datetime, out: dict) -> None:
    """Grids visited per (username, day). The spatial join reads every point, so days before
    today are counted once and kept by kpi/daily.py (GRIDS_METRIC); a point stored later for
    such a day (an offline phone's batch) marks the day for a recount through the insert hook
    (daily.MOMENTS["patrols.PatrolPoint"]). Today is counted on each request."""
    zone = worktime.tz()
    first, last = start.astimezone(zone).date(), (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    stored_last = min(last, timezone.localdate() - dt.timedelta(days=1))
    found: dict = {}
    if first <= stored_last:
        daily.settle(GRIDS_METRIC, _one_day, first, stored_last)
        rows = DayFigure.objects.filter(metric=GRIDS_METRIC, day__gte=first, day__lte=stored_last,
                                        subject__in=list(ids.values())).values_list("subject", "day", "v0")
        found = {(username, day): int(n) for username, day, n in rows}
        start = max(start, day_start(stored_last + dt.timedelta(days=1)))
    if start < end:
        found.update(_grid_counts(start, end, ids))
    for key, n in found.items():
        out.setdefault(key, DayFigures()).grids = n


def _reports(ids: dict[int, str], start: dt.datetime, end: dt.datetime, out: dict) -> None:
    """The inspectors' 城管通 reports made during one of their patrols, per (username, day)."""
    during = Patrol.objects.filter(inspector=OuterRef("reporter"), started_at__lte=OuterRef("reported_at")).filter(
        Q(ended_at__gte=OuterRef("reported_at")) | Q(ended_at__isnull=True))
    rows = (Case.objects.filter(channel=Channel.INSPECTOR, reporter_id__in=list(ids), reported_at__gte=start,
                                reported_at__lt=end)
            .filter(Exists(during)).annotate(day=LocalDate("reported_at"))
            .values("reporter_id", "day").annotate(n=Count("id")).order_by())
    for row in rows:
        out.setdefault((ids[row["reporter_id"]], row["day"]), DayFigures()).reports = row["n"]


def by_day(first: dt.date, last: dt.date, usernames=None, now: dt.datetime | None = None,
           parts: tuple[str, ...] = ("time", "grids", "reports")) -> dict:
    """{(username, day): DayFigures} for the days of [first, last] with any patrol or report;
    only the `parts` asked for are counted (the grids visited are the costly part)."""
    now = now or timezone.now()
    start, end = _bounds(first, last, now)
    ids = dict(inspectors(usernames).values_list("pk", "username"))
    out: dict = {}
    if ids and start < end:
        for part, count in (("time", _patrol_days), ("grids", _grids_visited), ("reports", _reports)):
            if part in parts:
                count(ids, start, end, out)
    return out


def period(first: dt.date, last: dt.date, usernames=None, now: dt.datetime | None = None,
           parts: tuple[str, ...] = ("time", "grids", "reports")) -> list[Period]:
    """Each inspector's figures over [first, last] (days after today do not count)."""
    now = now or timezone.now()
    start, end = _bounds(first, last, now)
    today = timezone.localdate(now)
    workdays = [first + dt.timedelta(days=i) for i in range((min(last, today) - first).days + 1)]
    workdays = [d for d in workdays if worktime.is_workday(d)]
    owed = 0.0
    if start < end:
        owed = float((working_minutes_since([end], first) - working_minutes_since([start], first))[0]) * 60
    people = list(inspectors(usernames).order_by("username").values_list("pk", "username"))
    assigned = dict(Profile.grids.through.objects.filter(profile__user_id__in=[pk for pk, _u in people])
                    .values_list("profile__user_id").annotate(n=Count("unitgrid_id")).order_by())
    days = by_day(first, last, [u for _pk, u in people], now, parts)
    out = {u: Period(u, assigned.get(pk, 0), len(workdays), owed) for pk, u in people}
    for (username, day), figures in days.items():
        out[username].days[day] = figures
    return list(out.values())
