"""Linking tickets to open cases, undoing a link, the API for the map, replies, Open311."""

import json

import pytest

from tests.builders import client_for, report_case
from tests.hotline.helpers import row
from urbanmgmt.cases import services as case_services
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, Open311Client

pytestmark = pytest.mark.django_db


def test_a_ticket_near_an_open_case_of_its_category_is_linked_with_its_reason(people, gazetteer, category):
    case = report_case(people.inspector, category, col=1.5, row=1.5, description="暴露垃圾无人清理")
    summary = import_rows([row("T1", col=1.52, cell=1.5), row("T2", col=4.5, cell=3.5)], source="s",
                          actor=people.dispatcher)
    assert (summary.linked, summary.cases_created) == (1, 1)
    ticket = HotlineTicket.objects.get(external_id="T1")
    case.refresh_from_db()
    assert ticket.case == case and case.ticket_count == 1 and case.version == 2
    why = ticket.link_reason
    assert why["distance_m"] < 5 and why["category"] == "same" and "hours_apart" in why and "similarity" in why
    event = CaseEvent.objects.get(case=case, action="link")
    assert event.payload["ticket"] == "s:T1" and event.payload["why"] == why
    assert HotlineTicket.objects.get(external_id="T2").case != case


def test_a_case_near_the_windows_edge_in_time_and_space_with_other_words_is_not_linked(people, gazetteer, category):
    """Same category, 45 m and six days before, nothing in common in the words: the score
    (0.4 category + 0.03 distance + 0.01 time + words) stays under HOTLINE_LINK_THRESHOLD."""
    import datetime as dt

    from django.utils import timezone

    from urbanmgmt.cases import clock

    with clock.at(timezone.now() - dt.timedelta(days=6)):
        far = report_case(people.inspector, category, col=1.05, row=1.5, description="东侧绿化带枯枝")
    summary = import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    assert (summary.linked, summary.cases_created) == (0, 1)
    assert HotlineTicket.objects.get(external_id="T1").case != far


def test_several_tickets_on_one_problem_make_one_case_that_is_dispatched_once(people, gazetteer):
    import_rows([row(f"R{i}", col=2.5, cell=2.5) for i in range(3)], source="s", actor=people.dispatcher)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.ticket_count == 3 and CaseEvent.objects.filter(case=case, action="link").count() == 2


def test_unlink_gives_the_ticket_its_own_case_and_needs_the_version(people, gazetteer, category):
    case = report_case(people.inspector, category, col=1.5, row=1.5, description="暴露垃圾")
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get()
    client = client_for(people.dispatcher)
    stale = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/unlink/", {"version": 1, "reason": "not the same"})
    assert stale.status_code == 409
    case.refresh_from_db()
    answer = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/unlink/", {"version": case.version, "reason": "另一处"})
    assert answer.status_code == 200, answer.content
    ticket.refresh_from_db()
    case.refresh_from_db()
    assert ticket.owns_case and ticket.case != case and case.ticket_count == 0
    assert ticket.case.ticket_count == 1 and ticket.case.channel == "hotline"
    relink = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/link/", {"case": case.pk, "version": case.version})
    assert relink.status_code == 200, relink.content
    assert HotlineTicket.objects.get().case == case
    assert Case.objects.get(external_ref="s:T1").state == "rejected"


def test_the_map_lists_a_cases_tickets_and_only_intake_staff_see_the_caller(people, gazetteer):
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    case = Case.objects.get()
    staff = client_for(people.dispatcher).get(f"/api/v1/hotline/tickets/?case={case.pk}").json()
    assert staff["results"][0]["contact_phone"] == "13800000000"
    manager = client_for(people.manager).get(f"/api/v1/hotline/tickets/?case={case.pk}").json()
    assert manager["results"] and "contact_phone" not in manager["results"][0]
    assert client_for(people.inspector).post(f"/api/v1/hotline/tickets/{manager['results'][0]['id']}/unlink/",
                                             {"version": 1, "reason": "x"}).status_code in (403, 404)


def test_closing_the_case_replies_to_every_ticket_and_callbacks_are_recorded(people, gazetteer):
    import_rows([row("T1", col=1.5, cell=1.5), row("T2", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    case = Case.objects.get()
    case = case_services.file(people.dispatcher, case, version=case.version)
    case = case_services.close(people.dispatcher, case, version=case.version, reason="已清理完毕")
    assert set(HotlineTicket.objects.values_list("reply", "state")) == {("已清理完毕", "replied")}
    ticket = HotlineTicket.objects.first()
    answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/callback/",
                                                {"satisfaction": "satisfied", "resolved": "true"})
    assert answer.status_code == 200 and answer.json()["satisfaction"] == "satisfied"


def test_push_api_takes_a_batch_and_names_refused_rows(people, gazetteer):
    answer = client_for(people.dispatcher).post("/api/v1/hotline/tickets/?source=wx",
                                                [row("P1", col=0.5, cell=0.5), row("P2", at="never")], format="json")
    body = answer.json()
    assert answer.status_code == 201 and body["created"] == 1 and body["refused"][0]["external_id"] == "P2"


def test_open311_services_requests_and_a_post_with_an_api_key(people, gazetteer, client):
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    services = client.get("/open311/v2/services.json").json()
    assert any(s["service_code"] == "E0102" for s in services)
    assert client.get("/open311/v2/services.xml").content.startswith(b'<?xml')
    listed = client.get("/open311/v2/requests.json?status=open").json()
    assert listed[0]["service_code"] == "E0102" and "+08:00" in listed[0]["requested_datetime"]
    assert "contact" not in json.dumps(listed) and "13800000000" not in json.dumps(listed)
    point = HotlineTicket.objects.get().point
    refused = client.post("/open311/v2/requests.json", {"service_code": "E0102", "lat": point.y, "long": point.x})
    assert refused.status_code == 403
    Open311Client.objects.create(name="app", api_key="k1")
    made = client.post("/open311/v2/requests.json", {"api_key": "k1", "service_code": "E0102", "lat": point.y,
                                                     "long": point.x, "description": "垃圾没人清理"})
    assert made.status_code == 201, made.content
    rid = made.json()[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{rid}.xml").status_code == 200
    assert HotlineTicket.objects.get(pk=rid).case == HotlineTicket.objects.get(external_id="T1").case
    far = client.post("/open311/v2/requests.json", {"api_key": "k1", "service_code": "E0102", "lat": 39.9,
                                                    "long": 116.4})
    reason = far.json()[0]["description"]
    assert far.status_code == 400 and ("outside" in reason.lower() or "服务区" in reason)


def test_reclassifying_a_ticket_moves_its_own_case_through_the_services_with_an_event(people, gazetteer):
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get()
    answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/classify/", {"category": "E0401"})
    assert answer.status_code == 200, answer.content
    case = Case.objects.get()
    assert case.category.service_code == "E0401" and case.version == 2
    event = CaseEvent.objects.get(case=case, action="recategorize")
    assert event.payload["service_code"] == "E0401" and event.actor == people.dispatcher and event.to_state == "reported"
    with pytest.raises(case_services.NotAllowed):
        case_services.recategorize(people.inspector, case, version=case.version, category=ticket.category)
    filed = case_services.file(people.dispatcher, case, version=case.version)
    with pytest.raises(case_services.ForbiddenTransition):
        case_services.recategorize(people.dispatcher, filed, version=filed.version, category=ticket.category)
