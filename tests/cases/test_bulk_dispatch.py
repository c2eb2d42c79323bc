"""Bulk dispatch (#18.5): POST /api/v1/cases/dispatch-many/ sends many filed cases to one
department, each through the dispatch step with its own version check and transaction; the
answer says per case dispatched / conflict / refused, and one never undoes another."""

import pytest

from tests.builders import client_for, report_case
from urbanmgmt.cases import bulk_dispatch, services
from urbanmgmt.cases.models import Case, CaseEvent, State
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/dispatch-many/"


def filed(people, category, n: int, col: float = 0.5) -> list[Case]:
    out = []
    for i in range(n):
        case = report_case(people.inspector, category, col + (i % 5) * 0.1, 0.5 + (i // 5) * 0.1)
        out.append(services.file(people.dispatcher, case, version=case.version))
    return out


def body(cases, department="HZ-HWC", **extra) -> dict:
    return {"cases": [{"id": c.pk, "version": c.version} for c in cases], "department": department, **extra}


def dispatch_events(case) -> int:
    return CaseEvent.objects.filter(case_id=case.pk, action="dispatch").count()


def test_one_call_dispatches_the_rest_and_says_why_not_for_each_other(people, category):
    ok = filed(people, category, 3)
    stale, already = filed(people, category, 2, col=2.5)
    other_dispatcher = people.admin
    # Seen by our dispatcher at this version, then dispatched by a colleague: a conflict.
    services.dispatch(other_dispatcher, stale, version=stale.version, department=Department.objects.get(code="HZ-CGJ"))
    # Already dispatched when it was seen: the step refuses it, with the step's reason.
    already = services.dispatch(people.dispatcher, already, version=already.version,
                                department=Department.objects.get(code="HZ-CGJ"))
    unknown = Case(pk=10**9, version=1)  # no case the dispatcher may see
    items = [ok[0], stale, ok[1], already, unknown, ok[2]]
    response = client_for(people.dispatcher).post(URL, body(items, reason="集中整治"), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    results = {r["id"]: r for r in data["results"]}
    assert [r["id"] for r in data["results"]] == [c.pk for c in items]
    assert (data["dispatched"], data["conflicts"], data["refused"]) == (3, 1, 2)
    for case in ok:
        fresh = Case.objects.get(pk=case.pk)
        assert results[case.pk]["outcome"] == "dispatched"
        assert fresh.state == State.DISPATCHED and fresh.department.code == "HZ-HWC" and fresh.due_at
        assert results[case.pk]["version"] == fresh.version == case.version + 1
        event = CaseEvent.objects.get(case_id=case.pk, action="dispatch")
        assert (event.actor, event.reason, event.payload) == (people.dispatcher, "集中整治", {"department": "HZ-HWC"})
    assert results[stale.pk]["outcome"] == "conflict" and results[stale.pk]["code"] == "stale_version"
    assert results[stale.pk]["state"] == State.DISPATCHED and results[stale.pk]["version"] == stale.version + 1
    assert "已被他人修改" in results[stale.pk]["detail"]
    assert Case.objects.get(pk=stale.pk).department.code == "HZ-CGJ"  # the colleague's dispatch stands
    assert results[already.pk]["outcome"] == "refused" and results[already.pk]["code"] == "forbidden_transition"
    assert "已派遣" in results[already.pk]["detail"]
    assert results[unknown.pk] == {**results[unknown.pk], "outcome": "refused", "code": "not_found"}
    assert dispatch_events(stale) == dispatch_events(already) == 1


def test_the_reasons_are_in_the_users_language(people, category):
    case = filed(people, category, 1)[0]
    stale = Case(pk=case.pk, version=case.version - 1)
    data = client_for(people.dispatcher, "en").post(URL, body([stale]), format="json").json()
    assert data["results"][0]["outcome"] == "conflict"
    assert "changed by someone else" in data["results"][0]["detail"]


@pytest.mark.django_db(transaction=True)
def test_each_case_commits_on_its_own(empty_history_after, people, category):
    # No outer transaction here: what one case's failure rolls back is its own transaction only.
    first, middle, last = filed(people, category, 3)
    services.suspend(people.dispatcher, middle, version=middle.version, reason="待协调")
    data = client_for(people.dispatcher).post(URL, body([first, middle, last]), format="json").json()
    assert [r["outcome"] for r in data["results"]] == ["dispatched", "conflict", "dispatched"]
    assert Case.objects.get(pk=first.pk).state == Case.objects.get(pk=last.pk).state == State.DISPATCHED
    assert Case.objects.get(pk=middle.pk).state == State.SUSPENDED and dispatch_events(middle) == 0


def test_more_than_the_limit_is_refused_whole(people, category, monkeypatch):
    cases = filed(people, category, 3)
    too_many = [{"id": i, "version": 1} for i in range(1, bulk_dispatch.MAX_CASES + 2)]
    response = client_for(people.dispatcher).post(URL, {"cases": too_many, "department": "HZ-HWC"}, format="json")
    assert response.status_code == 400
    assert "500" in str(response.json()["cases"]) and "最多" in str(response.json()["cases"])
    english = client_for(people.dispatcher, "en").post(URL, {"cases": too_many, "department": "HZ-HWC"}, format="json")
    assert "At most 500 cases" in str(english.json()["cases"])
    # The service refuses the same way when called directly.
    monkeypatch.setattr(bulk_dispatch, "MAX_CASES", 2)
    with pytest.raises(bulk_dispatch.InvalidInput):
        bulk_dispatch.dispatch_each(people.dispatcher, [(c.pk, c.version) for c in cases],
                                    Department.objects.get(code="HZ-HWC"))
    assert not Case.objects.filter(state=State.DISPATCHED).exists()


def test_an_empty_or_repeating_selection_is_refused(people, category):
    case = filed(people, category, 1)[0]
    client = client_for(people.dispatcher)
    assert client.post(URL, body([]), format="json").status_code == 400
    twice = client.post(URL, body([case, case]), format="json")
    assert twice.status_code == 400 and twice.json()["code"] == "invalid"
    assert Case.objects.get(pk=case.pk).state == State.FILED


def test_a_wrong_department_dispatches_nothing(people, category):
    cases = filed(people, category, 2)
    client = client_for(people.dispatcher)
    unknown = client.post(URL, body(cases, department="NO-SUCH"), format="json")
    assert unknown.status_code == 400 and "department" in unknown.json()
    Department.objects.create(code="OLD-DEPT", name="已撤销的科室", active=False)
    inactive = client.post(URL, body(cases, department="OLD-DEPT"), format="json")
    assert inactive.status_code == 400 and "在用" in inactive.json()["detail"]
    assert not Case.objects.filter(state=State.DISPATCHED).exists()


@pytest.mark.parametrize("role", ["manager", "handler", "inspector", "analyst", "outsider"])
def test_only_who_may_dispatch_may_call_it(people, category, role):
    cases = filed(people, category, 1)
    response = client_for(getattr(people, role)).post(URL, body(cases), format="json")
    assert response.status_code == 403
    assert Case.objects.get(pk=cases[0].pk).state == State.FILED


def test_without_signing_in_nothing_is_dispatched(people, category, client):
    cases = filed(people, category, 1)
    response = client.post(URL, body(cases), content_type="application/json")
    assert response.status_code in (401, 403)
    assert Case.objects.get(pk=cases[0].pk).state == State.FILED


def test_the_schema_documents_it(people):
    schema = client_for(people.dispatcher).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/cases/dispatch-many/"]["post"]
    assert operation["operationId"] == "v1_cases_dispatch_many"
    assert "requestBody" in operation and "200" in operation["responses"]
