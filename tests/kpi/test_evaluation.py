"""GB/T 30428-style evaluation under a versioned scheme, on a hand-computed scenario."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from tests.builders import client_for, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import InspectionTask
from urbanmgmt.kpi.evaluation import evaluate
from urbanmgmt.kpi.loader import load_schemes
from urbanmgmt.kpi.models import EvaluationScheme
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def scheme(db):
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    return EvaluationScheme.objects.get(version="2026.1")


def period():
    today = timezone.localdate()
    return day_start(today - dt.timedelta(days=1)), day_start(today + dt.timedelta(days=8))


def dispatch(people, case, code="HZ-HWC"):
    return services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code=code))


def test_an_inspector_is_scored_on_what_there_was_to_do(people, category):
    cases = [report_case(people.inspector, category) for _ in range(4)]
    filed = [services.file(people.dispatcher, c, version=c.version) for c in cases[:3]]
    services.reject(people.dispatcher, cases[3], version=1, reason_code="duplicate", reason="重复")
    citizen = report_case(people.dispatcher, category, channel="hotline", request_type="complaint")
    services.file(people.dispatcher, citizen, version=citizen.version)  # in the inspector's grid: missed
    question = report_case(people.dispatcher, category, channel="hotline", request_type="consultation")
    services.file(people.dispatcher, question, version=question.version)  # no patrol could have seen it
    case = dispatch(people, filed[0])
    case = services.handle(people.handler, case, version=case.version, reply="已清运")
    services.send_for_check(people.dispatcher, case, version=case.version)
    task = InspectionTask.objects.get(case=case)
    services.complete_task(people.inspector, task, result="fixed")

    result = evaluate("inspector", *period())
    row = next(r for r in result["rows"] if r["subject"] == "inspector")
    assert row["values"]["valid_report_rate"] == {"n": 3, "d": 4, "value": 0.75}
    assert row["values"]["missed_report_rate"] == {"n": 1, "d": 4, "value": 0.25}
    assert row["values"]["on_time_check"]["value"] == 1.0
    assert row["values"]["on_time_verification"]["value"] is None  # nothing to verify: left out
    # (40 × 0.75 + 20 × (1 − 0.25) + 20 × 1) ÷ 80 = 81.25
    assert row["score"] == pytest.approx(81.2, abs=0.06) and row["grade"] == "B" and row["rank"] == 1
    assert result["scheme"] == "2026.1"


def test_a_misrouted_dispatch_counts_against_the_dispatch_it_undid(people, category):
    first = services.file(people.dispatcher, report_case(people.inspector, category), version=1)
    second = services.file(people.dispatcher, report_case(people.inspector, category), version=1)
    dispatch(people, second)
    case = dispatch(people, first, "HZ-CGJ")
    case = services.return_case(people.other_handler, case, version=case.version, reason="不属于本单位")
    case = services.approve_return(people.dispatcher, case, version=case.version)
    dispatch(people, case)
    row = evaluate("dispatcher", *period())["rows"][0]
    assert row["subject"] == "dispatcher"
    assert row["values"]["dispatch_accuracy"] == {"n": 2, "d": 3, "value": 0.6667}
    assert row["values"]["on_time_dispatch"]["value"] == 1.0
    assert row["score"] == pytest.approx(83.3, abs=0.06) and row["grade"] == "B"


def test_departments_and_areas_are_scored_too(people, category):
    case = dispatch(people, services.file(people.dispatcher, report_case(people.inspector, category), version=1))
    services.handle(people.handler, case, version=case.version, reply="已清运")
    departments = evaluate("department", *period())
    row = next(r for r in departments["rows"] if r["subject"] == "HZ-HWC")
    assert row["values"]["on_time_handling"]["value"] == 1.0 and row["values"]["volume"]["value"] == 1.0
    assert [i["name"] for i in departments["indicators"]] == ["业务量", "结案率", "按期处置率", "返工率"]
    assert evaluate("area", *period())["rows"][0]["subject"] == "320706006"


@pytest.mark.parametrize(("language", "add_up", "unknown_indicator"), [("zh-hans", "权重合计为 70", "未知指标 charisma"),
                                                                       ("en", "add up to 70", "unknown indicator charisma")])
def test_a_scheme_whose_weights_do_not_add_up_is_refused(scheme, language, add_up, unknown_indicator):
    bad = EvaluationScheme(version="bad", name="x", valid_from=dt.date(2026, 1, 1),
                           config={**scheme.config, "inspector": {"valid_report_rate": 70}})
    unknown = EvaluationScheme(version="bad2", name="x", valid_from=dt.date(2026, 1, 1),
                               config={**scheme.config, "dispatcher": {"charisma": 100}})
    with translation.override(language):
        with pytest.raises(ValidationError, match=add_up):
            bad.full_clean()
        with pytest.raises(ValidationError, match=unknown_indicator):
            unknown.full_clean()


def test_a_newer_scheme_scores_the_periods_after_it(people, category, scheme):
    newer = EvaluationScheme.objects.create(version="2027.1", name="新版", valid_from=timezone.localdate() - dt.timedelta(days=3),
                                            config={**scheme.config, "dispatcher": {"dispatch_accuracy": 100}})
    services.file(people.dispatcher, report_case(people.inspector, category), version=1)
    result = evaluate("dispatcher", *period())
    assert result["scheme"] == newer.version and [i["key"] for i in result["indicators"]] == ["dispatch_accuracy"]


def test_the_evaluation_api(people, category):
    manager = client_for(people.manager, "en")
    today = timezone.localdate().isoformat()
    response = manager.get("/api/v1/kpi/evaluation/", {"who": "inspector", "start": today, "end": today})
    assert response.status_code == 200 and response.data["scheme"] == "2026.1"
    assert manager.get("/api/v1/kpi/evaluation/", {"who": "cat", "start": today, "end": today}).status_code == 400
    assert client_for(people.handler).get("/api/v1/kpi/evaluation/", {"who": "inspector", "start": today,
                                                                      "end": today}).status_code == 403


def test_a_dispatch_later_than_the_limit_after_filing_is_not_on_time(people, category):
    from urbanmgmt.cases.models import Case
    from urbanmgmt.kpi.indicators import dispatched_in_time

    quick = dispatch(people, services.file(people.dispatcher, report_case(people.inspector, category), version=1))
    slow = dispatch(people, services.file(people.dispatcher, report_case(people.inspector, category), version=1))
    limit = dt.timedelta(hours=settings.DISPATCH_WITHIN_WORKING_HOURS)
    # Filed on the Friday before National Day 2025, dispatched after the holiday week: more
    # than the limit in working time although a week apart; the quick one filed just before.
    Case.objects.filter(pk=slow.pk).update(filed_at=day_start(dt.date(2025, 9, 26)) + dt.timedelta(hours=10))
    Case.objects.filter(pk=quick.pk).update(filed_at=timezone.now() - limit / 2)
    assert dispatched_in_time(*period()) == {"dispatcher": (1, 2)}
