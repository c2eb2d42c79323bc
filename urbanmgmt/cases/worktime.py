"""Working-time arithmetic over the working calendar (WorkDay) and the daily hours.

A working day is the working time of one day (default 08:30–12:00 and 13:30–17:30, i.e.
7.5 hours), so "1 working day after Friday 10:00" is Monday 10:00 and "2 working hours
after 11:30" is 14:30. Times are handled in settings.TIME_ZONE (Asia/Shanghai).
"""

import datetime as dt
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

MAX_DAYS_SCANNED = 3700  # ten years: a bound for the loops, never reached in practice


@dataclass(frozen=True)
class Hours:
    periods: tuple[tuple[int, int], ...]  # (start, end) in minutes after midnight

    @property
    def day_minutes(self) -> int:
        return sum(end - start for start, end in self.periods)


@lru_cache(maxsize=4)
def parse_hours(text: str) -> Hours:
    periods = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        minutes = [int(h) * 60 + int(m) for h, m in (t.split(":") for t in (start, end))]
        if minutes[1] <= minutes[0]:
            raise ValueError(f"working period {part!r} ends before it starts")
        periods.append(tuple(minutes))
    periods.sort()
    return Hours(tuple(periods))


_lock = threading.Lock()
_cache: dict = {"days": None, "loaded": 0.0}
CALENDAR_TTL_S = 60.0


def _special_days() -> dict[dt.date, bool]:
    now = time.monotonic()
    days = _cache["days"]
    if days is None or now - _cache["loaded"] > CALENDAR_TTL_S:
        from urbanmgmt.cases.models import WorkDay

        with _lock:
            days = dict(WorkDay.objects.values_list("date", "is_workday"))
            _cache["days"], _cache["loaded"] = days, now
    return days


def invalidate_calendar(**kwargs) -> None:
    _cache["days"] = None


def is_workday(day: dt.date) -> bool:
    special = _special_days().get(day)
    return special if special is not None else day.weekday() < 5


def tz() -> ZoneInfo:
    """The city's time zone (settings.TIME_ZONE), in which working time is counted."""
    return ZoneInfo(settings.TIME_ZONE)


def _hours() -> Hours:
    return parse_hours(settings.WORKING_HOURS)


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("working-time arithmetic needs aware datetimes")
    return moment.astimezone(tz())


def at_minute(day: dt.date, minute: int) -> dt.datetime:
    """The moment `minute` minutes after local midnight of `day`."""
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz())


def add_working_minutes(start: dt.datetime, minutes: float) -> dt.datetime:
    """The moment `minutes` of working time after `start` (which may lie outside it)."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    local = _local(start)
    day, cursor = local.date(), local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7
    left = float(minutes)
    hours = _hours()
    for _ in range(MAX_DAYS_SCANNED):
        if is_workday(day):
            for begin, end in hours.periods:
                if cursor >= end:
                    continue
                cursor = max(cursor, begin)
                available = end - cursor
                if left <= available:
                    whole = cursor + left
                    return at_minute(day, 0) + dt.timedelta(minutes=whole)
                left -= available
                cursor = end
        day, cursor = day + dt.timedelta(days=1), 0
    raise ValueError("no working time found within ten years; check the working calendar")


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    return add_working_minutes(start, hours * 60)


def add_working_days(start: dt.datetime, days: float) -> dt.datetime:
    return add_working_minutes(start, days * _hours().day_minutes)


def working_minutes_between(a: dt.datetime, b: dt.datetime) -> float:
    """Working minutes from a to b (negative when b is before a)."""
    if b < a:
        return -working_minutes_between(b, a)
    la, lb = _local(a), _local(b)
    total = 0.0
    day = la.date()
    hours = _hours()
    for _ in range(MAX_DAYS_SCANNED):
        if day > lb.date():
            return total
        if is_workday(day):
            for begin, end in hours.periods:
                lo = max(at_minute(day, begin), la)
                hi = min(at_minute(day, end), lb)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
    raise ValueError("interval longer than ten years")


def working_days_between(a: dt.datetime, b: dt.datetime) -> float:
    return working_minutes_between(a, b) / _hours().day_minutes
