"""Working time of many moments at once, for indicators over a year of cases.

worktime.working_minutes_between walks the calendar day by day for one pair of moments:
right for a service call, too slow for 600,000 dispatches in a year. Here W(t), the working
minutes from a fixed day to t, is computed for arrays of moments with numpy from the same
calendar (worktime.is_workday) and the same working hours; the working minutes between a
and b are then W(b) − W(a), exactly what worktime counts.
"""

import datetime as dt

import numpy as np
from django.conf import settings
from django.db import connection

from urbanmgmt.cases import worktime
from urbanmgmt.kpi.sql import fixed_offset_minutes

_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


def _as_local_minutes(moments) -> np.ndarray:
    """Local minutes since 1970-01-01 00:00 local time, from aware datetimes or UTC datetime64."""
    offset = fixed_offset_minutes(settings.TIME_ZONE)
    values = np.asarray(moments)
    if values.dtype.kind != "M":
        if offset is None:
            zone = worktime.tz()
            return np.array([(m.astimezone(zone).replace(tzinfo=None) - dt.datetime(1970, 1, 1)).total_seconds() / 60
                             for m in moments], dtype=float)
        values = np.array([m.astimezone(dt.UTC).replace(tzinfo=None) for m in moments], dtype="datetime64[us]")
    return (values.astype("datetime64[us]") - _EPOCH).astype(np.int64) / 6e7 + (offset or 0)


def working_minutes_since(moments, first: dt.date | None = None) -> np.ndarray:
    """W(t) for each moment: the working minutes from `first` (default: the earliest day) to it."""
    local = _as_local_minutes(moments)
    if local.size == 0:
        return np.zeros(0)
    day = np.floor(local / 1440).astype(np.int64)
    minute = local - day * 1440
    first_day = (first - dt.date(1970, 1, 1)).days if first else int(day.min())
    span = int(day.max()) - first_day + 1
    days = [dt.date(1970, 1, 1) + dt.timedelta(days=first_day + i) for i in range(span)]
    hours = worktime.parse_hours(settings.WORKING_HOURS)
    workday = np.array([worktime.is_workday(d) for d in days], dtype=bool)
    before = np.concatenate([[0.0], np.cumsum(workday * float(hours.day_minutes))[:-1]])
    within = sum(np.clip(minute - begin, 0, end - begin) for begin, end in hours.periods)
    index = day - first_day
    return before[index] + np.where(workday[index], within, 0.0)


def columns(queryset, names: tuple[str, ...], moments: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The columns of `queryset.values_list(*names)` read straight from the cursor, without a
    Django converter per value (seconds for a year of rows): the `moments` as UTC
    datetime64 (NaT for NULL), the rest as object arrays."""
    sql, params = queryset.values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for i, name in enumerate(names):
        values = [row[i] for row in rows]
        if name in moments:
            values = [v.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(v, dt.datetime) else v or "NaT"
                      for v in values] if connection.vendor != "sqlite" else [v or "NaT" for v in values]
            out[name] = np.array(values, dtype="datetime64[us]")
        else:
            out[name] = np.array(values, dtype=object)
    return out
