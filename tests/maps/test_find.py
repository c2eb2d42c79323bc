"""Find anything by its number (#15): /api/v1/map/find/ answers cases by code or id and 12345
tickets by number, each with its case and where it lies, only within what the user may see."""

import pytest
from django.utils import timezone

from tests.builders import client_for, point_in, report_case
from tests.cases.test_step_contract import dispatched
from urbanmgmt.hotline import services as hotline
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db


def find(user, q):
    answer = client_for(user).get("/api/v1/map/find/", {"q": q})
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_case_is_found_by_its_code_its_beginning_or_its_id(people, category):
    case = report_case(people.inspector, category)
    other = report_case(people.inspector, category, 1.5)
    exact = find(people.dispatcher, case.code)["cases"]
    assert [c["id"] for c in exact] == [case.pk] and exact[0]["exact"]
    assert (exact[0]["lon"], exact[0]["lat"]) == pytest.approx((case.point.x, case.point.y))
    assert {c["id"] for c in find(people.dispatcher, case.code[:6])["cases"]} == {case.pk, other.pk}
    assert find(people.dispatcher, str(case.pk))["cases"][0]["id"] == case.pk


def test_a_ticket_number_leads_to_its_case(people, category):
    case = report_case(people.inspector, category)
    ticket = HotlineTicket.objects.create(source="12345", external_id="GD-2026-0042", received_at=timezone.now(),
                                          request_type="complaint", title="垃圾", text="垃圾", point=point_in(0.5, 0.5),
                                          link_reason={})
    hotline.link(people.dispatcher, ticket, case, version=case.version)
    found = find(people.dispatcher, "GD-2026-0042")["tickets"]
    assert [(t["id"], t["case"], t["case_code"]) for t in found] == [(ticket.pk, case.pk, case.code)]


def test_nothing_is_found_beyond_what_the_user_may_see(people, category):
    case = dispatched(people, category)
    assert find(people.handler, case.code)["cases"]
    assert find(people.other_handler, case.code) == {"cases": [], "tickets": [], "candidates": []}
    assert find(people.dispatcher, "   ") == {"cases": [], "tickets": [], "candidates": []}
