"""Working time of many moments at once (kpi.workcal) against worktime, one pair at a time."""

import datetime as dt
import random

import numpy as np
import pytest

from urbanmgmt.cases import worktime
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.kpi.workcal import working_minutes_since

pytestmark = pytest.mark.django_db


def test_many_moments_count_the_working_minutes_worktime_counts_over_national_day(city):
    rng = random.Random(5)
    base = day_start(dt.date(2025, 9, 20))
    pairs = []
    for _ in range(300):
        a = base + dt.timedelta(minutes=rng.uniform(0, 30 * 1440))
        pairs.append((a, a + dt.timedelta(minutes=rng.uniform(0, 12 * 1440))))
    starts = np.array([a.astimezone(dt.UTC).replace(tzinfo=None) for a, _b in pairs], dtype="datetime64[us]")
    ends = np.array([b.astimezone(dt.UTC).replace(tzinfo=None) for _a, b in pairs], dtype="datetime64[us]")
    first = dt.date(2025, 9, 19)
    spans = working_minutes_since(ends, first) - working_minutes_since(starts, first)
    expected = [worktime.working_minutes_between(a, b) for a, b in pairs]
    assert np.allclose(spans, expected, atol=1e-6)
    assert any(e == 0 for e in expected) and max(expected) > 5 * 450  # holiday spans and long ones
