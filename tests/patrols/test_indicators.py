"""The patrol indicators in the evaluation scheme: configurable for inspectors like the
others, computed from the patrol tables on every request (never a stale stored day)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.patrols.track import MON, TUE, at, patrol
from urbanmgmt.kpi.evaluation import evaluate
from urbanmgmt.kpi.models import EvaluationScheme
from urbanmgmt.kpi.scope import day_start

pytestmark = pytest.mark.django_db

PATROL_WEIGHTS = {"valid_report_rate": 40, "patrol_attendance": 30, "patrol_days": 10, "patrol_grid_coverage": 20}


@pytest.fixture
def scheme():
    config = {"inspector": PATROL_WEIGHTS, "grades": {"A": 90, "B": 75, "C": 60, "D": 40}}
    made = EvaluationScheme(version="patrol.1", name="含巡查", valid_from=dt.date(2000, 1, 1), config=config)
    made.full_clean()
    made.save()
    return made


def test_patrol_indicators_belong_to_inspectors():
    wrong = EvaluationScheme(version="x", name="x", valid_from=dt.date(2000, 1, 1),
                             config={"dispatcher": {"patrol_attendance": 100}, "grades": {"A": 90, "B": 75, "C": 60, "D": 40}})
    with pytest.raises(ValidationError, match="patrol_attendance"):
        wrong.full_clean()


def test_evaluation_counts_the_patrols_by_hand(example, scheme):
    result = evaluate("inspector", day_start(MON), day_start(TUE + dt.timedelta(days=1)), scheme)
    names = {i["key"]: i["name"] for i in result["indicators"]}
    assert names["patrol_attendance"] == "在岗率"  # Chinese first
    rows = {r["subject"]: r["values"] for r in result["rows"]}
    assert rows["inspector"]["patrol_attendance"] == {"n": 12600, "d": 27000, "value": round(12600 / 27000, 4)}
    assert rows["inspector"]["patrol_days"] == {"n": 0, "d": 1, "value": 0.0}
    assert rows["inspector"]["patrol_grid_coverage"] == {"n": 4, "d": 24, "value": round(4 / 24, 4)}
    # the inspector who never patrolled is scored on it, not excused
    assert rows["second"]["patrol_attendance"] == {"n": 0, "d": 27000, "value": 0.0}


def test_a_late_batch_changes_a_past_evaluation(example, scheme, people):
    """The days evaluated lie before the live window (kpi/daily.py would store them): points
    of a patrol that reach the server later still count at the next request."""
    start, end = day_start(MON), day_start(TUE + dt.timedelta(days=1))
    before = {r["subject"]: r for r in evaluate("inspector", start, end, scheme)["rows"]}
    d = MON.isoformat()
    patrol(people.inspector, at(d, "14:00"), at(d, "17:30"), points=[(at(d, "14:00"), 2.5, 3.5)])
    after = {r["subject"]: r for r in evaluate("inspector", start, end, scheme)["rows"]}
    assert before["inspector"]["values"]["patrol_attendance"]["n"] == 12600
    assert after["inspector"]["values"]["patrol_attendance"]["n"] == 12600 + 3.5 * 3600
    assert after["inspector"]["values"]["patrol_days"]["n"] == 1
    assert after["inspector"]["score"] > before["inspector"]["score"]
