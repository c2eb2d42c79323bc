"""steps.available: the steps a person may take on a case now, preconditions included."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.builders import report_case
from tests.cases.test_step_contract import checking, dispatched, far_inspector, long_dispatched
from urbanmgmt.cases import services, steps
from urbanmgmt.cases.models import Case

pytestmark = pytest.mark.django_db


def test_a_new_report_offers_the_dispatcher_the_intake_steps_and_the_handler_none(people, category):
    case = report_case(people.inspector, category)
    assert steps.available(case, people.dispatcher) == ["file", "reject", "request_verification", "link",
                                                        "recategorize"]
    assert steps.available(case, people.handler) == []
    assert steps.available(case, people.outsider) == []


def test_only_the_handler_of_its_department_may_sign_and_only_once(people, category):
    case = dispatched(people, category)
    assert steps.available(case, people.handler) == ["sign", "return", "handle"]
    assert steps.available(case, people.other_handler) == []
    case = services.sign(people.handler, case, version=case.version)
    assert "sign" not in steps.available(case, people.handler)


def test_an_extension_is_offered_with_time_left_and_decided_only_while_pending(people, category):
    short = dispatched(people, category)  # 2 working hours: too late to ask
    assert "request_extension" not in steps.available(short, people.handler)
    case = long_dispatched(people, category)
    assert "request_extension" in steps.available(case, people.handler)
    assert not {"approve_extension", "deny_extension"} & set(steps.available(case, people.dispatcher))
    case = services.request_extension(people.handler, case, version=case.version, days=2, reason="需采购")
    assert {"approve_extension", "deny_extension"} <= set(steps.available(case, people.dispatcher))
    assert "request_extension" not in steps.available(case, people.handler)


def test_the_return_window_closes_after_a_working_day(people, category):
    case = dispatched(people, category)
    Case.objects.filter(pk=case.pk).update(dispatched_at=timezone.now() - dt.timedelta(days=7))
    assert "return" not in steps.available(Case.objects.get(pk=case.pk), people.handler)


def test_a_check_is_offered_to_the_inspectors_of_the_case_s_grid_only(people, category):
    case = checking(people, category)
    assert steps.available(case, people.inspector) == ["check_pass", "check_fail", "corroborate"]
    assert steps.available(case, far_inspector(people)) == []
