"""The hand-computed patrol example shared by the figures' and the indicators' tests
(tests/patrols/test_figures.py says what it holds)."""


import pytest

from tests.builders import make_person, report_case
from tests.patrols.track import MON, TUE, at, patrol
from urbanmgmt.cases import worktime
from urbanmgmt.cases.models import WorkDay
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.patrols.models import GapReason


@pytest.fixture
def example(people, category, settings):
    settings.WORKING_HOURS = "08:30-12:00,13:30-17:30"
    settings.PATROL_ATTENDANCE_MIN_MINUTES = 240
    WorkDay.objects.create(date=TUE, is_workday=False, name="测试假日")
    worktime.invalidate_calendar()
    second = make_person("second", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    d = MON.isoformat()
    patrol(people.inspector, at(d, "08:00"), at(d, "12:30"),
           points=[(at(d, "08:00"), 0.5, 0.5), (at(d, "09:00"), 1.5, 0.5), (at(d, "10:00"), 1.5, 1.5),
                   (at(d, "12:30"), 4.5, 0.5)],
           gaps=[(at(d, "10:00"), at(d, "12:30"), GapReason.HIDDEN)])
    patrol(people.inspector, at(TUE.isoformat(), "14:00"), at(TUE.isoformat(), "15:00"),
           points=[(at(TUE.isoformat(), "14:00"), 0.5, 2.5), (at(TUE.isoformat(), "15:00"), 0.6, 2.5)])
    report_case(people.inspector, category, 1.5, 0.5, reported_at=at(d, "09:30"))
    report_case(people.inspector, category, 1.5, 0.5, reported_at=at(d, "13:00"))  # after the patrol
    return people.inspector, second


