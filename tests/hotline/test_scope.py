"""Scope first: a ticket that is not city management is forwarded (转办) to a bureau with
the reason, counted, exported back, and never becomes a 城管 case; intake can overrule."""

import io
import json

import pytest

from tests.builders import client_for
from tests.hotline.helpers import row
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.export import tickets_of, write_results
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import Decision, HotlineTicket, TicketDecision, TicketState

pytestmark = pytest.mark.django_db

WAGES = "我在工地干了半年，老板拖欠工资三万元不给，多次讨薪无果，劳动合同也没签，请帮助农民工讨回欠薪"
GARBAGE = "小区门口暴露垃圾没人清理，味道很大"


def test_unpaid_wages_are_forwarded_to_the_labour_bureau_and_never_make_a_case(people, gazetteer, bureaus):
    summary = import_rows([row("W1", col=1.5, cell=1.5, text=WAGES, title="拖欠工资"),
                           row("G1", col=2.5, cell=1.5, text=GARBAGE)], source="s", actor=people.dispatcher)
    wages = HotlineTicket.objects.get(external_id="W1")
    assert wages.state == TicketState.FORWARDED and wages.in_scope is False and not wages.needs_review
    assert wages.bureau.code == "RSJ" and "拖欠工资" in wages.forward_reason
    assert wages.case is None and not Case.objects.filter(external_ref="s:W1").exists()
    assert summary.forwarded == 1 and summary.cases_created == 1
    assert HotlineTicket.objects.get(external_id="G1").in_scope is True


def test_a_forwarded_ticket_goes_back_to_the_source_with_its_bureau_and_reason(people, gazetteer, bureaus):
    import_rows([row("W1", col=1.5, cell=1.5, text=WAGES, title="拖欠工资")], source="s", actor=people.dispatcher)
    out = io.BytesIO()
    write_results(tickets_of("s"), Mapping(), "json", out)
    exported = json.loads(out.getvalue())[0]
    assert exported["转办单位"] == "人力资源和社会保障局" and "拖欠工资" in exported["转办原因"]
    assert exported["案件编号"] == ""


def test_the_reasons_written_for_the_platform_are_in_its_language_whoever_imports(people, gazetteer, bureaus):
    """The reason goes back to the 12345 platform: an import or a forward by a clerk working
    in English still writes it in Chinese (a reason the clerk types is theirs)."""
    from django.utils import translation

    with translation.override("en"):
        import_rows([row("W1", col=1.5, cell=1.5, text=WAGES, title="拖欠工资"),
                     row("G1", col=2.5, cell=1.5, text=GARBAGE)], source="s", actor=people.dispatcher)
        garbage = HotlineTicket.objects.get(external_id="G1")
        answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{garbage.pk}/forward/",
                                                    {"bureau": "ZJJ"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200, answer.content
    wages, garbage = HotlineTicket.objects.get(external_id="W1"), HotlineTicket.objects.get(external_id="G1")
    assert wages.forward_reason.startswith("不属城市管理（依据词语：") and "拖欠工资" in wages.forward_reason
    assert garbage.forward_reason == "不属城市管理，转住房和城乡建设局(物业/房产)办理。"
    out = io.BytesIO()
    write_results(tickets_of("s"), Mapping(), "csv", out)
    assert "Not city management" not in out.getvalue().decode("utf-8-sig")


def test_intake_overrules_a_forwarding_and_the_ticket_gets_its_case(people, gazetteer, bureaus):
    import_rows([row("W1", col=1.5, cell=1.5, text=WAGES, title="拖欠工资")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="W1")
    answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/classify/",
                                                {"category": "E0102"}, format="json")
    assert answer.status_code == 200, answer.content
    ticket.refresh_from_db()
    assert ticket.in_scope is True and ticket.state == TicketState.OPEN and ticket.case.category.service_code == "E0102"
    decision = TicketDecision.objects.get(ticket=ticket)
    assert decision.kind == Decision.KEPT and decision.in_scope and decision.category.service_code == "E0102"


def test_intake_forwards_an_in_scope_ticket_and_its_own_case_is_rejected_as_out_of_scope(people, gazetteer, bureaus):
    import_rows([row("G1", col=2.5, cell=1.5, text=GARBAGE)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="G1")
    case = ticket.case
    answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/forward/",
                                                {"bureau": "ZJJ", "reason": "物业管理范围"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "forwarded" and answer.json()["bureau_code"] == "ZJJ"
    case.refresh_from_db()
    assert case.state == "rejected" and case.reject_reason == "out_of_scope"
    ticket.refresh_from_db()
    assert ticket.case is None and ticket.forward_reason == "物业管理范围"
    assert TicketDecision.objects.get(ticket=ticket).kind == Decision.FORWARDED


def test_only_intake_staff_forward_and_only_to_a_known_bureau(people, gazetteer, bureaus):
    import_rows([row("G1", col=2.5, cell=1.5, text=GARBAGE)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="G1")
    url = f"/api/v1/hotline/tickets/{ticket.pk}/forward/"
    assert client_for(people.dispatcher).post(url, {"bureau": "NOPE"}, format="json").status_code == 400
    assert client_for(people.manager).post(url, {"bureau": "RSJ"}, format="json").status_code in (403, 404)
    ticket.refresh_from_db()
    assert ticket.in_scope is True and ticket.case is not None
