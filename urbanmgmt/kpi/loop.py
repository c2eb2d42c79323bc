"""12345 and closed-loop timeliness (DOMAIN §6): on-time signing and completion, dispatch
accuracy, average handling time; satisfaction and actual resolution come from the 12345
tickets' callbacks."""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db.models import Case as If
from django.db.models import Count, ExpressionWrapper, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import Case, CaseEvent, Channel, RequestType, State
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import cases_url
from urbanmgmt.kpi.sql import LocalDate, LocalMinutes

TARGETS = {"on_time_signing": 0.98, "on_time_completion": 0.98, "dispatch_accuracy": 0.98, "satisfaction": 0.95,
           "actual_resolution": 0.95}
NO_CALLBACKS = "本期没有 12345 工单的回访结果（满意度、实际解决情况）"


def _ratio(n: int, d: int, url: str | None = None, note: str = "") -> dict:
    return {"n": n, "d": d, "value": round(n / d, 4) if d else None, "cases_url": url, **({"note": note} if note else {})}


def loop_kpis(start: dt.datetime, end: dt.datetime, area: Area | None = None, channel: str = Channel.HOTLINE) -> dict:
    """The timeliness figures of one channel's cases over [start, end)."""
    now = timezone.now()
    cases = Case.objects.filter(channel=channel)
    if area is not None:
        cases = cases.filter(**{area.level: area})
    where = {"channel": channel, **({area.level: area.code} if area else {})}
    signing = cases.filter(dispatched_at__gte=start, dispatched_at__lt=end, sign_due_at__isnull=False).filter(
        Q(signed_at__isnull=False) | Q(sign_due_at__lt=now)).aggregate(
        n=Count("id", filter=Q(signed_at__lte=F("sign_due_at"))), d=Count("id"))
    due = cases.filter(due_at__gte=start, due_at__lt=min(end, now)).exclude(state=State.SUSPENDED)
    completion = due.aggregate(n=Count("id", filter=Q(handled_at__lte=F("due_at"))
                                       | Q(closed_at__lte=F("due_at"))), d=Count("id"))
    # The period's events by their (action, at) index, each checked against the channel's case
    # ids; `case_id + 0` keeps SQLite from walking every case of the channel into the
    # events instead (what exact statistics make it prefer: 2 s instead of 0.3 s a year).
    events = (CaseEvent.objects.filter(at__gte=start, at__lt=end)
              .alias(case_key=ExpressionWrapper(F("case_id") + 0, output_field=IntegerField()))
              .filter(case_key__in=cases.values("id")))
    # Both counts in one pass (the channel's case ids are listed once: 0.27 s instead of 0.38 s a year).
    counts = events.filter(action__in=("dispatch", "approve_return")).aggregate(
        dispatches=Count("id", filter=Q(action="dispatch")), returns=Count("id", filter=Q(action="approve_return")))
    dispatches, returns = counts["dispatches"], counts["returns"]
    return {
        "on_time_signing": _ratio(signing["n"], signing["d"], cases_url(
            dispatched_after=start.isoformat(), dispatched_before=end.isoformat(), signing_counted="true", **where)),
        "on_time_completion": _ratio(completion["n"], completion["d"], cases_url(
            due_after=start.isoformat(), due_before=min(end, now).isoformat(),
            state=",".join(s for s in State.values if s != State.SUSPENDED), **where)),
        "dispatch_accuracy": _ratio(dispatches - min(returns, dispatches), dispatches),
        **_callbacks(cases, start, end, area, channel),
        "avg_handling_working_days": _handling_days(cases.filter(handled_at__gte=start, handled_at__lt=end)),
        "targets": TARGETS,
    }


def _callbacks(cases, start: dt.datetime, end: dt.datetime, area: Area | None, channel: str) -> dict:
    """Satisfaction ((满意 + 基本满意) ÷ callbacks that reached the citizen) and actual
    resolution (resolved ÷ callbacks that say whether) of the 12345 tickets called back in
    [start, end): for the 12345 channel every ticket (those answered at intake too, by the
    area of their grid), for another channel the tickets linked to its cases."""
    if not apps.is_installed("urbanmgmt.hotline"):
        return {"satisfaction": _ratio(0, 0, note=NO_CALLBACKS), "actual_resolution": _ratio(0, 0, note=NO_CALLBACKS)}
    tickets = apps.get_model("hotline", "HotlineTicket").objects.filter(satisfaction_at__gte=start, satisfaction_at__lt=end)
    if channel == Channel.HOTLINE:
        tickets = tickets.filter(**{f"grid__{area.level}": area}) if area is not None else tickets
    else:
        tickets = tickets.filter(case__in=cases)
    counts = tickets.exclude(satisfaction="").aggregate(
        happy=Count("id", filter=Q(satisfaction__in=("satisfied", "basic"))),
        reached=Count("id", filter=~Q(satisfaction="unreachable")),
        solved=Count("id", filter=Q(resolved=True)), asked=Count("id", filter=Q(resolved__isnull=False)))
    return {"satisfaction": _ratio(counts["happy"], counts["reached"], note="" if counts["reached"] else NO_CALLBACKS),
            "actual_resolution": _ratio(counts["solved"], counts["asked"], note="" if counts["asked"] else NO_CALLBACKS)}


def _handling_days(cases) -> dict:
    """Mean working days from dispatch to the department's reply, consultations apart.

    The working minutes between two moments are W(b) − W(a), W counting from a fixed day:
    W(t) = the working minutes of the days before t's day + those of its own day before t.
    So the sums need, per local day, only how many moments fell on it and their working
    minutes within it: one GROUP BY in SQL instead of a loop over every case
    (300,000 handled cases a year: 8 s in Python)."""
    hours = worktime.parse_hours(settings.WORKING_HOURS)
    kind = If(When(request_type=RequestType.CONSULTATION, then=Value("consultation")), default=Value("other"))

    def within(column):
        minutes = LocalMinutes(column)
        return Sum(sum(Least(Greatest(minutes - Value(float(begin)), Value(0.0)), Value(float(end - begin)))
                       for begin, end in hours.periods), output_field=FloatField())
    # One pass: per (kind, day handled, day dispatched), a few thousand groups a year.
    rows = list(cases.filter(dispatched_at__isnull=False)
                .values(k=kind, h=LocalDate("handled_at"), d=LocalDate("dispatched_at"))
                .annotate(n=Count("id"), wh=within("handled_at"), wd=within("dispatched_at")).order_by())
    days = sorted({row[key] for row in rows for key in ("h", "d")})
    before, total = {}, 0.0  # working minutes of the days before each day, from the first
    for i in range((days[-1] - days[0]).days + 1 if days else 0):
        day = days[0] + dt.timedelta(days=i)
        before[day] = total
        total += hours.day_minutes if worktime.is_workday(day) else 0
    spans = {"consultation": [0.0, 0], "other": [0.0, 0]}
    for row in rows:
        handled = row["n"] * before[row["h"]] + ((row["wh"] or 0.0) if worktime.is_workday(row["h"]) else 0.0)
        dispatched = row["n"] * before[row["d"]] + ((row["wd"] or 0.0) if worktime.is_workday(row["d"]) else 0.0)
        spans[row["k"]][0] += handled - dispatched
        spans[row["k"]][1] += row["n"]
    return {kind: round(minutes / count / hours.day_minutes, 2) if count else None
            for kind, (minutes, count) in spans.items()}
