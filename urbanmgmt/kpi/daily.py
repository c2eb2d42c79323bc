"""Figures stored per local day, so a year is 365 stored days instead of a pass over every
case, event, task and ticket of the year.

A figure is a function of a period, [start, end) in whole local days, that answers
{subject: numbers} (an inspector's reports and filed cases, a department's cases due and
closed, '' for a single figure…) where the numbers of a period are the sums of its days'.
`figures(metric, compute, start, end)` answers the same as `compute(start, end)`:

- days before the live window (the last settings.KPI_LIVE_DAYS days and today) come from
  kpi_dayfigure; a day not stored yet is computed once, by `compute` over that day alone,
  and stored;
- the live window is always computed (its figures still move with the clock: a signing
  deadline passes, a deadline falls due);
- a stored day that a later write touched was marked in kpi_dirtyday (by the database's
  triggers for UPDATEs and DELETEs, kpi/invariants.py; by `rows_inserted` for new rows) and is
  computed again before it is read.

Concurrent readers may compute the same day: the second one's insert of the day's
kpi_daydone row fails and its rows are dropped. A write committed while a day is being
computed marks the day again (after this reader cleared it), so the next read recomputes.
Renaming a user, a department or an area, or reassigning grids, clears what names them
(`forget`).
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from urbanmgmt.cases import worktime
from urbanmgmt.kpi.models import DayDone, DayFigure, DirtyDay
from urbanmgmt.kpi.scope import day_start

Figures = dict[str, tuple]
VALUES = ("v0", "v1", "v2", "v3")


def live_from(today: dt.date | None = None) -> dt.date:
    """The first day that is always computed, never stored."""
    return (today or timezone.localdate()) - dt.timedelta(days=settings.KPI_LIVE_DAYS)


def _whole_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """(first, last) local day when [start, end) is whole local days, else None."""
    first, after = start.astimezone(worktime.tz()), end.astimezone(worktime.tz())
    if first.timetz().replace(tzinfo=None) != dt.time() or after.timetz().replace(tzinfo=None) != dt.time():
        return None
    return first.date(), after.date() - dt.timedelta(days=1)


def add(total: dict, figures: Figures) -> dict:
    for subject, numbers in figures.items():
        known = total.get(subject)
        total[subject] = tuple(numbers) if known is None else tuple(a + b for a, b in zip(known, numbers, strict=True))
    return total


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def figures(metric: str, compute: Callable[[dt.datetime, dt.datetime], Figures], start: dt.datetime,
            end: dt.datetime, width: int) -> Figures:
    """compute(start, end), from the stored days where it can (`width`: how many numbers)."""
    days = _whole_days(start, end)
    if days is None or days[0] > days[1]:
        return compute(start, end)
    first, last = days
    stored_last = min(last, live_from() - dt.timedelta(days=1))
    total: dict = {}
    if first <= stored_last:
        settle(metric, compute, first, stored_last)
        rows = (DayFigure.objects.filter(metric=metric, day__gte=first, day__lte=stored_last)
                .values("subject").annotate(**{v: Sum(v) for v in VALUES[:width]}).order_by())
        add(total, {row["subject"]: tuple(row[v] for v in VALUES[:width]) for row in rows})
    if stored_last < last:
        add(total, compute(day_start(max(first, stored_last + dt.timedelta(days=1))), end))
    return {subject: tuple(_number(v) for v in numbers) for subject, numbers in total.items()}


def by_day(metric: str, compute, first: dt.date, last: dt.date, width: int) -> dict[dt.date, Figures]:
    """{day: figures} for each day of [first, last] that has any, stored days read as they are."""
    stored_last = min(last, live_from() - dt.timedelta(days=1))
    out: dict[dt.date, Figures] = {}
    if first <= stored_last:
        settle(metric, compute, first, stored_last)
        for row in DayFigure.objects.filter(metric=metric, day__gte=first, day__lte=stored_last).values(
                "day", "subject", *VALUES[:width]):
            out.setdefault(row["day"], {})[row["subject"]] = tuple(_number(row[v]) for v in VALUES[:width])
    day = max(first, stored_last + dt.timedelta(days=1))
    while day <= last:
        found = compute(day_start(day), day_start(day + dt.timedelta(days=1)))
        if found:
            out[day] = found
        day += dt.timedelta(days=1)
    return out


def settle(metric: str, compute, first: dt.date, last: dt.date) -> None:
    """Recompute the marked days of [first, last] and store the missing ones."""
    dirty = sorted(set(DirtyDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)))
    if dirty:
        with transaction.atomic():  # the marks first: a write from now on marks its day again
            DirtyDay.objects.filter(day__in=dirty).delete()
            DayDone.objects.filter(day__in=dirty).delete()
            DayFigure.objects.filter(day__in=dirty).delete()
    done = set(DayDone.objects.filter(metric=metric, day__gte=first, day__lte=last).values_list("day", flat=True))
    day = first
    while day <= last:
        if day not in done:
            _store(metric, day, compute(day_start(day), day_start(day + dt.timedelta(days=1))))
        day += dt.timedelta(days=1)


def _store(metric: str, day: dt.date, found: Figures) -> None:
    rows = [DayFigure(metric=metric, day=day, subject=str(subject),
                      **dict(zip(VALUES, (float(v) for v in numbers), strict=False)))
            for subject, numbers in found.items()]
    try:
        with transaction.atomic():
            DayDone.objects.create(metric=metric, day=day)
            DayFigure.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # another reader stored this day first
        pass


# The moments each table's rows are counted by (kpi/invariants.py names the same for its
# UPDATE and DELETE triggers).
MOMENTS = {"cases.Case": ("reported_at", "filed_at", "dispatched_at", "due_at", "handled_at", "closed_at"),
           "cases.CaseEvent": ("at",), "cases.InspectionTask": ("due_at",), "hotline.HotlineTicket": ("satisfaction_at",),
           "patrols.PatrolPoint": ("recorded_at",)}


def rows_inserted(model, objs, using: str = "default") -> None:
    """Mark the past days new rows touch (cases.rows.inserted hook, post_save of a created
    row). Inserts are marked here rather than by a trigger: on SQLite a trigger on a table
    makes each INSERT inside a savepoint keep a statement journal (a 12345 import several
    times slower); UPDATEs and DELETEs are marked by the triggers of kpi/invariants.py."""
    moments = MOMENTS.get(model._meta.label)
    if not moments:
        return
    start_of_today = day_start(timezone.localdate())
    zone = worktime.tz()
    days = {value.astimezone(zone).date() for obj in objs for name in moments
            if isinstance(value := getattr(obj, name, None), dt.datetime) and value < start_of_today}
    if days:
        mark(days, using)


def created(sender, instance, created=False, raw=False, using="default", **kwargs) -> None:
    if created and not raw:
        rows_inserted(sender, [instance], using)


def mark(days, using: str = "default") -> None:
    """Mark days as out of date (the ones not marked already)."""
    known = set(DirtyDay.objects.using(using).filter(day__in=list(days)).values_list("day", flat=True))
    DirtyDay.objects.using(using).bulk_create([DirtyDay(day=day) for day in sorted(set(days) - known)])


def forget(metric_prefix: str = "") -> None:
    """Drop stored days (of the metrics starting with `metric_prefix`; all by default)."""
    with transaction.atomic():
        DayDone.objects.filter(metric__startswith=metric_prefix).delete()
        DayFigure.objects.filter(metric__startswith=metric_prefix).delete()
