"""Supervision in the evaluation of departments and in the daily and monthly reports."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.supervision.conftest import MONDAY, dispatched_at
from urbanmgmt.cases import clock
from urbanmgmt.kpi import reports
from urbanmgmt.kpi.evaluation import evaluate, supervision_indicators
from urbanmgmt.kpi.models import EvaluationScheme
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.supervision import services
from urbanmgmt.supervision.models import Level, Subject
from urbanmgmt.supervision.services import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_notices(people, category):
    """On 2 November: one answered on time and closed, one answered late, one never answered."""
    notices = []
    for col in (0.5, 1.5, 2.5):
        case = dispatched_at(people, category, MONDAY, col=col)
        with clock.at(MONDAY + dt.timedelta(hours=4)):
            notices.append(services.raise_notice(people.dispatcher, Target(Subject.CASE, case_id=case.pk),
                                                 level=Level.REMIND, request="请尽快处置"))
    first, late, silent = notices
    with clock.at(MONDAY + dt.timedelta(hours=5)):
        first = services.answer(people.handler, first, version=first.version, text="已处置")
        services.close(people.dispatcher, first, version=first.version)
    with clock.at(late.answer_due_at + dt.timedelta(minutes=1)):
        services.escalate_late()
    late.refresh_from_db()
    with clock.at(late.answer_due_at - dt.timedelta(minutes=1)):
        services.answer(people.handler, late, version=late.version, text="已处置")
    return notices


def test_a_department_is_evaluated_on_its_notices_answered_on_time(three_notices):
    figures = supervision_indicators(day_start(dt.date(2026, 11, 1)), day_start(dt.date(2026, 12, 1)))
    assert figures == {"HZ-HWC": {"notices": 3, "listed": 0, "escalated": 2, "answered_on_time": 1, "due": 3,
                                  "on_time_rate": 0.3333}}
    assert supervision_indicators(day_start(dt.date(2026, 10, 1)), day_start(dt.date(2026, 11, 1))) == {}


def test_a_scheme_weighs_the_notices_answered_on_time(three_notices):
    """督办 counts in the departments' score when the scheme gives it a weight."""
    scheme = EvaluationScheme(version="sv.1", name="含督办", valid_from=dt.date(2000, 1, 1),
                              config={"department": {"supervision_on_time": 100},
                                      "grades": {"A": 90, "B": 75, "C": 60, "D": 40}})
    scheme.full_clean()
    scheme.save()
    result = evaluate("department", day_start(dt.date(2026, 11, 1)), day_start(dt.date(2026, 12, 1)), scheme)
    assert [i["name"] for i in result["indicators"]] == ["督办按时答复率"]
    row = {r["subject"]: r for r in result["rows"]}["HZ-HWC"]
    assert row["values"]["supervision_on_time"] == {"n": 1, "d": 3, "value": 0.3333}
    assert row["score"] == 33.3


def test_the_daily_and_monthly_reports_count_the_notices(three_notices):
    daily = reports.summary("daily", "2026-11-02")["supervision"]
    assert daily["raised"] == 3 and daily["by_level"] == {"remind": 3, "supervise": 0, "listed": 0}
    assert (daily["answered"], daily["answered_on_time"], daily["closed"]) == (1, 1, 1)
    assert daily["open_at_end"] == 2
    monthly = reports.summary("monthly", "2026-11")
    assert monthly["supervision"]["escalated"] == 2 and monthly["supervision"]["answered"] == 2
    sheet = load_workbook(__import__("io").BytesIO(reports.workbook(monthly)))["督办"]
    assert ["督办单发起", 3] in [[c.value for c in row] for row in sheet.iter_rows()]
