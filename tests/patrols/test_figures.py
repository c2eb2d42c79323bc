"""The managers' patrol figures on a small example computed by hand: two inspectors, two
days (Monday 16 November 2026, a working day, and Tuesday 17th, made a holiday in the
working calendar), a gap, a report during a patrol and one after it.

Working hours 08:30–12:00 and 13:30–17:30 (7.5 h). The inspector (the west street's 12
grids) patrols on Monday 08:00–12:30 (4.5 h, of which 08:30–12:00 = 3.5 h in working hours)
through grids (0,0), (1,0), (1,1), then, after a locked screen, ends outside them at (4,0);
on the holiday 14:00–15:00 in grid (0,2). The second inspector (the east street's 12 grids)
never patrols.
"""

import datetime as dt

import pytest

from tests.builders import point_in
from tests.patrols.track import MON, TUE, at, metres, patrol
from urbanmgmt.patrols import figures

pytestmark = pytest.mark.django_db

NOW = at("2026-11-18", "10:00")


def test_day_figures_by_hand(example):
    days = figures.by_day(MON, TUE, now=NOW)
    monday, tuesday = days[("inspector", MON)], days[("inspector", TUE)]
    assert monday.patrol_s == 4.5 * 3600 and monday.working_s == 3.5 * 3600
    expected = metres(point_in(0.5, 0.5), point_in(1.5, 0.5)) + metres(point_in(1.5, 0.5), point_in(1.5, 1.5)) \
        + metres(point_in(1.5, 1.5), point_in(4.5, 0.5))
    assert monday.distance_m == pytest.approx(expected)
    assert (monday.grids, monday.reports) == (3, 1)  # (4,0) is not one of theirs; 13:00 was after the patrol
    assert tuesday.patrol_s == 3600 and tuesday.working_s == 0 and tuesday.grids == 1
    assert not any(name == "second" for name, _day in days)


def test_period_figures_by_hand(example):
    found = {p.username: p for p in figures.period(MON, TUE, now=NOW)}
    mine, second = found["inspector"], found["second"]
    assert (mine.working_days, mine.working_s) == (1, 7.5 * 3600)
    assert mine.attendance() == (3.5 * 3600, 7.5 * 3600)  # 在岗率 46.7 %
    assert mine.attended_days == 0  # 3.5 h < 4 h
    assert mine.coverage() == (4, 12 * 2)  # the patrolled holiday counts too
    assert mine.reports_per_hour() == pytest.approx(1 / 5.5)
    assert second.attendance() == (0, 7.5 * 3600) and second.coverage() == (0, 12)
    assert second.reports_per_hour() is None


def test_a_late_batch_counts_at_once(example, people):
    """Nothing is stored: points sent a day late change the figures of their day."""
    assert figures.by_day(MON, MON, now=NOW)[("inspector", MON)].grids == 3
    d = MON.isoformat()
    patrol(people.inspector, at(d, "15:00"), at(d, "16:00"), points=[(at(d, "15:00"), 2.5, 3.5)])
    monday = figures.by_day(MON, MON, now=NOW)[("inspector", MON)]
    assert monday.grids == 4 and monday.working_s == 4.5 * 3600
    assert figures.period(MON, MON, now=NOW)[0].attended_days == 1  # 4.5 h ≥ 4 h


def test_points_ingested_late_recount_a_stored_day(people):
    """Through the recording side's services: yesterday's grids visited are kept once asked
    for; a patrol whose points reach the server today marks yesterday for a recount."""
    import uuid

    from django.utils import timezone

    from urbanmgmt.patrols import services
    from urbanmgmt.patrols.track import TrackPoint

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    def walk(hhmm: str, cells, minutes: int) -> None:
        client = uuid.uuid4()
        services.start(people.inspector, client, started_at=at(yesterday, hhmm))
        fixes = [TrackPoint(i, at(yesterday, hhmm) + dt.timedelta(minutes=i), *point_in(*cell).coords, 5.0)
                 for i, cell in enumerate(cells, 1)]
        services.end(people.inspector, client, ended_at=at(yesterday, hhmm) + dt.timedelta(minutes=minutes))
        assert services.ingest(people.inspector, client, fixes).stored == len(fixes)

    day = dt.date.fromisoformat(yesterday)
    walk("09:00", [(0.5, 0.5), (1.5, 0.5)], 30)
    assert figures.by_day(day, day)[("inspector", day)].grids == 2
    walk("14:00", [(2.5, 0.5), (2.5, 1.5)], 30)  # sent after the day was counted
    assert figures.by_day(day, day)[("inspector", day)].grids == 4


def test_the_nightly_storage_keeps_the_grids_visited(example):
    from urbanmgmt.kpi.excel import store_days
    from urbanmgmt.kpi.models import DayFigure

    store_days(MON, TUE)
    kept = dict(DayFigure.objects.filter(metric=figures.GRIDS_METRIC, subject="inspector").values_list("day", "v0"))
    assert kept == {MON: 3, TUE: 1}
