"""The closed loop through cases/services.py: states, roles, versions, deadlines, history."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.builders import point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent, State
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, OutsideServiceArea, StaleVersion
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def dept(code):
    return Department.objects.get(code=code)


def dispatched(people, category, **kwargs):
    case = report_case(people.inspector, category, **kwargs)
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-HWC"))


def test_a_report_lands_in_its_grid_with_a_code_and_history(people, category):
    case = report_case(people.inspector, category, col=4.5, row=3.5, description="路边垃圾堆")
    assert case.state == State.REPORTED
    assert case.grid.code.startswith("320706010002")
    assert case.street.code == "320706010" and case.district.code == "320706"
    assert case.code.startswith(str(timezone.localtime().year)) and len(case.code) == 11
    event = case.events.get()
    assert (event.action, event.from_state, event.to_state, event.actor) == ("report", "", "reported", people.inspector)


def test_case_codes_follow_each_other(people, category):
    first = report_case(people.inspector, category)
    second = report_case(people.inspector, category)
    assert int(second.code) == int(first.code) + 1


def test_the_whole_loop_closes(people, category):
    case = dispatched(people, category)
    assert case.due_at and case.sign_due_at and case.department.code == "HZ-HWC"
    case = services.sign(people.handler, case, version=case.version)
    case = services.handle(people.handler, case, version=case.version, reply="已清运")
    case = services.send_for_check(people.dispatcher, case, version=case.version)
    case = services.check_pass(people.inspector, case, version=case.version)
    case = services.close(people.dispatcher, case, version=case.version)
    assert case.state == State.CLOSED and case.closed_at
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["report", "file", "dispatch", "sign", "handle", "send_for_check", "check_pass", "close"]
    versions = list(case.events.values_list("version", flat=True))
    assert versions == list(range(1, 9)) and Case.objects.get(pk=case.pk).version == 8


def test_a_failed_check_sends_the_case_back_for_rework(people, category):
    case = dispatched(people, category)
    case = services.handle(people.handler, case, version=case.version, reply="已处理")
    case = services.send_for_check(people.dispatcher, case, version=case.version)
    case = services.check_fail(people.inspector, case, version=case.version, reason="垃圾仍在")
    assert case.state == State.DISPATCHED and case.rework_count == 1 and case.handled_at is None


def test_a_stale_version_is_refused_and_nothing_is_written(people, category):
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=1)
    with pytest.raises(StaleVersion):
        services.reject(people.dispatcher, case, version=1, reason_code="duplicate", reason="重复")
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == State.FILED and fresh.version == 2 and fresh.events.count() == 2


def test_a_transition_from_the_wrong_state_is_refused(people, category):
    case = report_case(people.inspector, category)
    with pytest.raises(ForbiddenTransition):
        services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-HWC"))
    assert Case.objects.get(pk=case.pk).state == State.REPORTED


@pytest.mark.parametrize("who", ["inspector", "handler", "manager", "outsider", "analyst"])
def test_only_dispatchers_file(people, category, who):
    case = report_case(people.inspector, category)
    with pytest.raises(NotAllowed):
        services.file(getattr(people, who), case, version=case.version)
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_handler_of_another_department_cannot_sign(people, category):
    case = dispatched(people, category)
    with pytest.raises(NotAllowed):
        services.sign(people.other_handler, case, version=case.version)


def test_an_inspector_of_other_grids_cannot_check(people, category):
    from tests.builders import make_person
    from urbanmgmt.grids.models import UnitGrid

    stranger = make_person("far_inspector", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    case = dispatched(people, category)  # in street 320706006
    case = services.handle(people.handler, case, version=case.version, reply="ok")
    case = services.send_for_check(people.dispatcher, case, version=case.version)
    with pytest.raises(NotAllowed):
        services.check_pass(stranger, case, version=case.version)


def test_an_admin_may_act_in_any_role(people, category):
    case = report_case(people.inspector, category)
    case = services.file(people.admin, case, version=case.version)
    assert case.events.last().actor_role == "admin"


def test_a_point_outside_every_grid_is_refused_in_both_languages(people, category):
    far = point_in(50, 50)
    for language, words in (("zh-hans", "服务区域"), ("en", "outside the service area")):
        with translation.override(language):
            with pytest.raises(OutsideServiceArea) as error:
                services.report(people.inspector, channel="inspector", point=far, category=category)
            assert words in str(error.value)
    assert not Case.objects.exists()


def test_a_resend_with_the_same_reference_returns_the_first_case(people, category):
    first, created = services.report(people.inspector, channel="inspector", point=point_in(1, 1),
                                     category=category, external_ref="2f1d…-uuid")
    again, created_again = services.report(people.inspector, channel="inspector", point=point_in(1, 1),
                                           category=category, external_ref="2f1d…-uuid")
    assert created and not created_again and again.pk == first.pk and Case.objects.count() == 1


def test_a_report_from_the_future_is_refused(people, category):
    with pytest.raises(InvalidInput):
        report_case(people.inspector, category, reported_at=timezone.now() + dt.timedelta(hours=3))


def test_the_channel_decides_who_may_report(people, category):
    with pytest.raises(NotAllowed):
        report_case(people.inspector, category, channel="video")
    case = report_case(people.analyst, category, channel="video")
    assert case.channel == "video" and case.reporter is None


def test_rejecting_needs_a_known_reason(people, category):
    case = report_case(people.inspector, category)
    with pytest.raises(InvalidInput):
        services.reject(people.dispatcher, case, version=1, reason_code="because", reason="x")
    with pytest.raises(InvalidInput):
        services.reject(people.dispatcher, case, version=1, reason_code="duplicate", reason=" ")
    case = services.reject(people.dispatcher, case, version=1, reason_code="duplicate", reason="与2025000001重复")
    assert case.state == State.REJECTED and case.reject_reason == "duplicate"


def test_filing_without_a_category_asks_for_one(people):
    case = report_case(people.inspector, None)
    with pytest.raises(InvalidInput):
        services.file(people.dispatcher, case, version=1)
    case = services.file(people.dispatcher, case, version=1, category=Category.objects.get(service_code="C0118"))
    assert case.category.name_zh == "路灯"


def test_filing_under_another_category_keeps_both_in_the_history(people, category):
    """立案 may correct the reporter's category: the event names the one before and after, as a
    re-categorisation does; filing under the same category records no change."""
    lamp = Category.objects.get(service_code="C0118")
    case = services.file(people.dispatcher, report_case(people.inspector, category), version=1, category=lamp)
    event = case.events.get(action="file")
    assert event.payload == {"from_category": category.pk, "from_service_code": category.service_code,
                             "category": lamp.pk, "service_code": "C0118"}
    kept = services.file(people.dispatcher, report_case(people.inspector, category), version=1, category=category)
    assert kept.events.get(action="file").payload == {}
    unknown = services.file(people.dispatcher, report_case(people.inspector, None), version=1, category=lamp)
    assert unknown.events.get(action="file").payload["from_service_code"] is None


def test_the_deadline_follows_the_category(people, category):
    case = dispatched(people, category)  # 暴露垃圾: 2 working hours
    from urbanmgmt.cases.worktime import working_minutes_between

    assert working_minutes_between(case.dispatched_at, case.due_at) == pytest.approx(120)


def test_a_hotline_case_takes_its_deadline_from_the_request_type(people, category):
    case = report_case(people.dispatcher, category, channel="hotline", request_type="consultation")
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-HWC"))
    from urbanmgmt.cases.worktime import working_days_between

    assert working_days_between(case.dispatched_at, case.due_at) == pytest.approx(1)


def test_a_return_is_approved_back_to_the_dispatcher(people, category):
    case = dispatched(people, category)
    case = services.return_case(people.handler, case, version=case.version, reason="不属于本单位")
    assert case.state == State.RETURNED
    case = services.approve_return(people.dispatcher, case, version=case.version)
    assert case.state == State.FILED and case.department is None and case.return_count == 1
    case = services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-CGJ"))
    assert case.department.code == "HZ-CGJ"


def test_a_return_after_one_working_day_is_refused(people, category):
    case = dispatched(people, category)
    Case.objects.filter(pk=case.pk).update(dispatched_at=timezone.now() - dt.timedelta(days=7))
    with pytest.raises(ForbiddenTransition):
        services.return_case(people.handler, case, version=case.version, reason="不属于本单位")


def _long_case(people):
    """A case with 5 working days to go (help request)."""
    category = Category.objects.get(service_code="C0405")
    case = report_case(people.dispatcher, category, channel="hotline", request_type="help")
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-HWC"))


def test_an_extension_is_granted_once(people):
    case = _long_case(people)
    case = services.request_extension(people.handler, case, version=case.version, days=3, reason="需采购配件")
    case = services.approve_extension(people.dispatcher, case, version=case.version)
    assert case.due_at > case.original_due_at and case.extension_count == 1
    with pytest.raises(ForbiddenTransition):
        services.request_extension(people.handler, case, version=case.version, days=1, reason="再延")


def test_an_extension_may_not_make_the_total_exceed_ten_working_days(people):
    case = _long_case(people)
    with pytest.raises(ForbiddenTransition) as error:
        services.request_extension(people.handler, case, version=case.version, days=6, reason="太多")
    assert "10" in str(error.value)
    assert Case.objects.get(pk=case.pk).extension_count == 0


def test_an_extension_must_be_asked_a_working_day_ahead(people, category):
    case = dispatched(people, category)  # 2 working hours left
    with pytest.raises(ForbiddenTransition):
        services.request_extension(people.handler, case, version=case.version, days=1, reason="来不及")


def test_consultations_are_never_extended(people, category):
    case = report_case(people.dispatcher, category, channel="hotline", request_type="consultation")
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version, department=dept("HZ-HWC"))
    with pytest.raises(ForbiddenTransition):
        services.request_extension(people.handler, case, version=case.version, days=1, reason="咨询延期")


def test_a_denied_extension_uses_up_the_one_request(people):
    case = _long_case(people)
    case = services.request_extension(people.handler, case, version=case.version, days=2, reason="需协调")
    case = services.deny_extension(people.dispatcher, case, version=case.version, reason="可按期完成")
    assert case.due_at == case.original_due_at
    with pytest.raises(ForbiddenTransition):
        services.request_extension(people.handler, case, version=case.version, days=1, reason="再试")


def test_a_suspended_case_resumes_where_it_was(people, category):
    case = dispatched(people, category)
    case = services.suspend(people.dispatcher, case, version=case.version, reason="需拆迁后处理")
    assert case.state == State.SUSPENDED
    case = services.resume(people.dispatcher, case, version=case.version)
    assert case.state == State.DISPATCHED


def test_closing_a_filed_case_without_dispatch_needs_a_reason(people, category):
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    with pytest.raises(InvalidInput):
        services.close(people.dispatcher, case, version=case.version)
    case = services.close(people.dispatcher, case, version=case.version, reason="监督员现场自行处置")
    assert case.state == State.CLOSED


def test_handling_needs_a_reply(people, category):
    case = dispatched(people, category)
    with pytest.raises(InvalidInput):
        services.handle(people.handler, case, version=case.version, reply="  ")


def test_late_signing_is_recorded(people, category):
    case = dispatched(people, category)
    Case.objects.filter(pk=case.pk).update(sign_due_at=timezone.now() - dt.timedelta(hours=1))
    case = services.sign(people.handler, case, version=case.version)
    assert case.events.get(action="sign").payload == {"on_time": False}
    with pytest.raises(ForbiddenTransition):
        services.sign(people.handler, case, version=case.version)


def test_actions_for_lists_what_a_person_may_do(people, category):
    case = report_case(people.inspector, category)
    assert set(services.actions_for(people.dispatcher, case)) == {"file", "reject", "request_verification"}
    assert services.actions_for(people.handler, case) == []
