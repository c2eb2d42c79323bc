"""The case API offers only the steps a person may take now (#15): steps.available, so the
panel never shows 签收 after signing, a second 申请延期, or 同意/不同意延期 with nothing
pending; and every step it offers succeeds when taken with ordinary arguments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.builders import client_for, report_case
from tests.cases.test_step_contract import dispatched, handled, long_dispatched, signed
from tests.photos import jpeg
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case

pytestmark = pytest.mark.django_db

# Ordinary arguments for each step, as the panel's forms send them.
ARGUMENTS = {
    "file": {}, "reject": {"reason_code": "duplicate", "reason": "重复上报"}, "void": {"reason": "误报"},
    "request_verification": {}, "dispatch": {"department": "HZ-HWC"}, "sign": {}, "return": {"reason": "不属本单位"},
    "approve_return": {}, "deny_return": {"reason": "属本单位"}, "request_extension": {"days": 1, "reason": "需采购"},
    "approve_extension": {}, "deny_extension": {"reason": "时间够"}, "handle": {"reply": "已清理"},
    "send_for_check": {}, "close": {"reason": "无需派遣"}, "suspend": {"reason": "待协调"}, "resume": {},
}


def offered(user, case) -> list[str]:
    answer = client_for(user).get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200
    return answer.json()["properties"]["actions"]


def extension_asked(people, category):
    case = long_dispatched(people, category)
    return services.request_extension(people.handler, case, version=case.version, days=1, reason="需采购")


def returned(people, category):
    case = dispatched(people, category)
    return services.return_case(people.handler, case, version=case.version, reason="不属本单位")


def suspended(people, category):
    case = dispatched(people, category)
    return services.suspend(people.dispatcher, case, version=case.version, reason="待协调")


def filed(people, category):
    case = report_case(people.inspector, category)
    return services.file(people.dispatcher, case, version=case.version)


def test_a_signed_case_offers_no_second_signing(people, category):
    case = signed(people, category)
    assert "sign" not in offered(people.handler, case)
    assert "handle" in offered(people.handler, case)


def test_an_extension_is_asked_once_and_decided_only_while_pending(people, category):
    case = long_dispatched(people, category)
    assert "request_extension" in offered(people.handler, case)
    assert not {"approve_extension", "deny_extension"} & set(offered(people.dispatcher, case))
    case = services.request_extension(people.handler, case, version=case.version, days=1, reason="需采购")
    assert "request_extension" not in offered(people.handler, case)
    assert {"approve_extension", "deny_extension"} <= set(offered(people.dispatcher, case))


def test_the_inspectors_task_steps_are_not_offered_on_the_panel(people, category):
    checking = handled(people, category)
    checking = services.send_for_check(people.dispatcher, checking, version=checking.version)
    assert not {"check_pass", "check_fail"} & set(offered(people.admin, checking))


SCENES = [
    (lambda p, c: report_case(p.inspector, c), "dispatcher"), (filed, "dispatcher"),
    (dispatched, "handler"), (dispatched, "dispatcher"), (signed, "handler"), (long_dispatched, "handler"),
    (extension_asked, "dispatcher"), (returned, "dispatcher"), (handled, "dispatcher"), (suspended, "dispatcher"),
]


@pytest.mark.parametrize(("scene", "who"), SCENES, ids=[f"{s.__name__}-{w}" for s, w in SCENES])
def test_every_offered_step_succeeds(people, category, scene, who):
    user = getattr(people, who)
    actions = offered(user, scene(people, category))
    assert actions
    for action in actions:
        case = scene(people, category)  # a fresh case for each step
        body = {"version": case.version, **ARGUMENTS[action]}
        if action == "handle":  # with a photo taken after the work, as the panel asks
            body["photos"] = [SimpleUploadedFile("after.jpg", jpeg(), content_type="image/jpeg")]
        answer = client_for(user).post(f"/api/v1/cases/{case.pk}/{action}/", body,
                                       format="multipart" if action == "handle" else "json")
        assert answer.status_code == 200, (action, answer.json())
        assert Case.objects.get(pk=case.pk).version == case.version + 1


def test_the_code_filter_finds_a_case_exactly_or_by_its_beginning(people, category):
    first = report_case(people.inspector, category)
    second = report_case(people.inspector, category, 1.5)
    client = client_for(people.dispatcher)

    def ids(query):
        answer = client.get("/api/v1/cases/", {"code": query})
        assert answer.status_code == 200
        return {f["id"] for f in answer.json()["features"]}

    assert ids(first.code) == {first.pk}
    assert ids(first.code[:4] + "*") == {first.pk, second.pk}
    assert ids(first.code[:4]) == set()
    assert ids("nothing*") == set()
