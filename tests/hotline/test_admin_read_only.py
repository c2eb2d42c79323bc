"""Tickets, their decisions and the import runs are read in the admin, never changed there:
a ticket changes by a re-import of its source's row or on the review pages, where each
decision is kept (and learned from); the admin would go round both."""

import pytest

from tests.hotline.helpers import row
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, ImportRun, TicketDecision

pytestmark = pytest.mark.django_db


def test_a_ticket_is_shown_but_neither_changed_nor_deleted(admin_client, people, gazetteer):
    import_rows([row("A1", col=1.5, cell=1.5, text="井盖丢了")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="A1")
    url = f"/admin/hotline/hotlineticket/{ticket.pk}/"
    page = admin_client.get(url + "change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "井盖丢了" in html and "A1" in html
    assert 'name="title"' not in html and 'name="address"' not in html and 'name="_save"' not in html

    sent = admin_client.post(url + "change/", {"title": "改过的标题", "address": "别处", "source": "s",
                                               "external_id": "A1", "text": "改过的诉求"})
    assert sent.status_code == 403
    assert admin_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/hotline/hotlineticket/add/").status_code == 403
    kept = HotlineTicket.objects.get(pk=ticket.pk)
    assert (kept.title, kept.address, kept.text) == (ticket.title, ticket.address, "井盖丢了")
    listing = admin_client.get("/admin/hotline/hotlineticket/").content.decode()
    assert "A1" in listing and 'name="action"' not in listing  # no bulk delete


@pytest.mark.parametrize("model", [ImportRun, TicketDecision])
def test_an_import_run_and_a_decision_are_records(admin_client, model):
    label = model._meta.model_name
    assert admin_client.get(f"/admin/hotline/{label}/").status_code == 200
    assert admin_client.get(f"/admin/hotline/{label}/add/").status_code == 403


def test_how_a_ticket_was_placed_and_classified_reads_in_words(admin_client, people, gazetteer):
    import_rows([row("A2", col=1.5, cell=1.5, text="井盖丢了")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="A2")
    assert (ticket.place_method, ticket.category_method) == ("coordinates", "keywords")
    html = admin_client.get(f"/admin/hotline/hotlineticket/{ticket.pk}/change/").content.decode()
    assert '<div class="readonly">坐标</div>' in html and '<div class="readonly">目录关键词</div>' in html


def test_the_knowledge_base_list_names_departments_and_bureaus_in_the_pages_language(admin_client, people, bureaus):
    import datetime as dt

    from urbanmgmt.hotline.models import Bureau, KnowledgeEntry
    from urbanmgmt.org.models import Department

    department = Department.objects.exclude(name_en="").first()
    bureau = Bureau.objects.exclude(name_en="").first()
    KnowledgeEntry.objects.create(code="KB-1", question="咨询路灯报修", answer="拨打12345", department=department,
                                  valid_from=dt.date(2026, 1, 1))
    KnowledgeEntry.objects.create(code="KB-2", question="咨询燃气报修", answer="拨打燃气公司电话", bureau=bureau,
                                  valid_from=dt.date(2026, 1, 1))
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/admin/hotline/knowledgeentry/").content.decode()
    assert department.name_en in english and bureau.name_en in english and "2 knowledge base entries" in english
    assert department.name not in english and bureau.name_zh not in english
    admin_client.cookies["django_language"] = "zh-hans"
    chinese = admin_client.get("/admin/hotline/knowledgeentry/").content.decode()
    assert department.name in chinese and bureau.name_zh in chinese and department.name_en not in chinese
