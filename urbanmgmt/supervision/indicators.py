"""Supervision in the managers' figures: per department, the notices it was given and how
many it answered on time (evaluation), and the period's notices for the daily and monthly
reports. SQL counts over the notices, grouped in the database."""

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock
from urbanmgmt.kpi.indicators import INDICATORS, Indicator
from urbanmgmt.supervision.models import Level, Notice, NoticeEvent, NoticeState


def _decided(at: dt.datetime) -> Q:
    """Notices whose answer is decided at `at`: answered, or past their answer's deadline."""
    return Q(answered_at__isnull=False) | ~Q(state=NoticeState.OPEN) | Q(answer_due_at__lt=at)


def answered_on_time(start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
    """{department code: (answered on time, notices raised in [start, end) whose answer is
    due or given)}: a notice still inside its time to answer is not counted yet."""
    rows = (Notice.objects.filter(_decided(min(end, clock.now())), raised_at__gte=start, raised_at__lt=end)
            .values("department__code")
            .annotate(n=Count("id", filter=Q(answered_on_time=True)), d=Count("id")).order_by())
    return {row["department__code"]: (row["n"], row["d"]) for row in rows}


# A weight in the departments' evaluation scheme like any other indicator. Not stored per day:
# a notice's answer changes its day's figure without a case write, which is what marks a day
# for recount (kpi/daily.py).
SUPERVISION_ON_TIME = Indicator("supervision_on_time", _("Supervision answered on time"), "department",
                                _("notices answered on time ÷ notices whose answer is due"), True,
                                answered_on_time, stored=False)


def register() -> None:
    """Add the supervision indicator to the evaluation's registry (idempotent)."""
    INDICATORS.setdefault(SUPERVISION_ON_TIME.key, SUPERVISION_ON_TIME)


def by_department(start: dt.datetime, end: dt.datetime) -> dict[str, dict]:
    """{department code: notices raised, of them listed (挂牌), escalated, answered on time,
    counted for the on-time rate, and that rate (None when nothing is due)}."""
    rows = (Notice.objects.filter(raised_at__gte=start, raised_at__lt=end).values("department__code")
            .annotate(notices=Count("id"), listed=Count("id", filter=Q(level=Level.LISTED)),
                      escalated=Count("id", filter=Q(escalations__gt=0))).order_by())
    on_time = answered_on_time(start, end)
    out = {}
    for row in rows:
        n, d = on_time.get(row["department__code"], (0, 0))
        out[row["department__code"]] = {"notices": row["notices"], "listed": row["listed"],
                                        "escalated": row["escalated"], "answered_on_time": n, "due": d,
                                        "on_time_rate": round(n / d, 4) if d else None}
    return out


def in_area(notices, area):
    """The notices of an area (its cases', its themes', its grids')."""
    if area is None:
        return notices
    return notices.filter(Q(**{f"case__{area.level}": area}) | Q(area=area) | Q(**{f"grid__{area.level}": area}))


def period_figures(start: dt.datetime, end: dt.datetime, area=None) -> dict:
    """The report's supervision lines for [start, end): raised (by level), escalated,
    answered, answered on time, closed, and open at the end. The levels are those raised at."""
    notices = in_area(Notice.objects.all(), area)
    raised = notices.filter(raised_at__gte=start, raised_at__lt=end)
    events = NoticeEvent.objects.filter(notice__in=notices, at__gte=start, at__lt=end)
    steps = dict(events.values_list("action").annotate(n=Count("id")).order_by())
    by_level = dict(events.filter(action=NoticeEvent.Action.RAISE).values_list("level").annotate(n=Count("id"))
                    .order_by())
    return {"raised": sum(by_level.values()), "by_level": {level: by_level.get(level, 0) for level in Level.values},
            "escalated": steps.get(NoticeEvent.Action.ESCALATE, 0), "answered": steps.get(NoticeEvent.Action.ANSWER, 0),
            "answered_on_time": raised.filter(answered_on_time=True).count(),
            "closed": steps.get(NoticeEvent.Action.CLOSE, 0),
            "open_at_end": notices.filter(raised_at__lt=end).exclude(
                Q(closed_at__isnull=False, closed_at__lt=end)).count()}
