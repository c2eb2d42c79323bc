"""A ticket's history (工单记录) says what happened to it even where the ticket no longer points
to a case: forwarded by the import without review, linked to a case by hand, taken off a
case, its own case rejected when it was forwarded or linked elsewhere. Read on the ticket
page, in Chinese and in English."""

import re

import pytest
from django.test import Client

from tests.builders import client_for, report_case
from tests.hotline.helpers import row
from tests.hotline.test_scope import GARBAGE, WAGES
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db


def history(user, ticket, language="zh-hans") -> list[list[str]]:
    """The rows of the ticket page's history: [when, who, what, note]."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    html = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    table = html[html.index('id="ticket-history"'):]
    table = table[:table.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


def test_a_forward_the_import_made_without_review_is_in_the_history(people, gazetteer, bureaus):
    import_rows([row("W1", col=1.5, cell=1.5, text=WAGES, title="拖欠工资")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="W1")
    assert ticket.state == "forwarded" and not ticket.needs_review
    steps = history(people.dispatcher, ticket)
    assert [s[2] for s in steps] == ["受理（电话）", "导入时已转办：人力资源和社会保障局"], steps
    assert "拖欠工资" in steps[1][3] and steps[1][3] == ticket.forward_reason
    english = history(people.dispatcher, ticket, "en")
    assert english[1][2] == "Forwarded when imported: Human Resources and Social Security Bureau", english


def test_forwarding_a_ticket_says_its_own_case_was_rejected(people, gazetteer, bureaus):
    import_rows([row("G1", col=2.5, cell=1.5, text=GARBAGE)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="G1")
    code = ticket.case.code
    answer = client_for(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/forward/",
                                                {"bureau": "ZJJ", "reason": "物业管理范围"}, format="json")
    assert answer.status_code == 200, answer.content
    whats = [s[2] for s in history(people.dispatcher, ticket)]
    assert f"其案件不予立案：{code}" in whats and any(w.endswith("转办：住房和城乡建设局(物业/房产)") for w in whats), whats
    assert f"Its own case rejected: {code}" in [s[2] for s in history(people.dispatcher, ticket, "en")]


def test_linking_by_hand_and_unlinking_name_the_cases_the_ticket_left(people, gazetteer, category):
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get()
    own = ticket.case.code
    other = report_case(people.inspector, category, col=2.5, row=2.5, description="另一处暴露垃圾")
    client = client_for(people.dispatcher)
    linked = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/link/",
                         {"case": other.pk, "version": other.version, "reason": "同一堆垃圾"})
    assert linked.status_code == 200, linked.content
    other.refresh_from_db()
    unlinked = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/unlink/", {"version": other.version, "reason": "不是同一处"})
    assert unlinked.status_code == 200, unlinked.content
    steps = [(s[2], s[3]) for s in history(people.dispatcher, ticket)]
    assert steps[1:] == [(f"其案件不予立案：{own}", ""), (f"人工关联到案件：{other.code}", "同一堆垃圾"),
                         (f"已取消关联案件：{other.code}", "不是同一处")], steps
    assert [s[1] for s in history(people.dispatcher, ticket)][1:] == ["dispatcher"] * 3
