"""A ticket keeps its row as received with the complaint's text once: `raw` holds null in the
text's column, and the row comes back whole (the export, the admin's page), also after a
re-import changes the text or sends none."""

import csv
import io

import pytest

from tests.hotline.helpers import row
from urbanmgmt.hotline.export import tickets_of, write_results
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import HotlineTicket, received_row, text_kept_once

pytestmark = pytest.mark.django_db
TEXT = "小区门口暴露垃圾没人清理，味道很大。" * 20


def _exported(source: str) -> list[dict]:
    out = io.BytesIO()
    write_results(tickets_of(source), Mapping(), "csv", out)
    return list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))


def test_the_text_is_stored_once_and_the_row_comes_back_whole(people, gazetteer):
    sent = row("R1", col=1.5, cell=1.5, text=TEXT, 备注="来电两次")
    assert import_rows([dict(sent)], source="s", actor=people.dispatcher).created == 1
    ticket = HotlineTicket.objects.get(external_id="R1")
    assert ticket.text == TEXT and ticket.text_column == "诉求内容" and ticket.raw["诉求内容"] is None
    assert set(ticket.raw) == set(sent)  # every column (jsonb keeps no order on PostGIS)
    assert ticket.received() == sent
    (exported,) = _exported("s")
    assert exported["诉求内容"] == TEXT and exported["备注"] == "来电两次"


def test_a_re_import_gives_the_new_row_and_an_empty_text_stays_empty_in_it(people, gazetteer):
    import_rows([row("R2", col=1.5, cell=1.5, text=TEXT)], source="s", actor=people.dispatcher)
    import_rows([row("R2", col=1.5, cell=1.5, text="垃圾已经清走了，又堆上了")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="R2")
    assert ticket.received()["诉求内容"] == ticket.text == "垃圾已经清走了，又堆上了"

    # A row without text leaves the ticket's text as it was, and the row as received says "".
    assert import_rows([row("R2", col=1.5, cell=1.5, text="")], source="s", actor=people.dispatcher).updated == 1
    ticket.refresh_from_db()
    assert ticket.text == "垃圾已经清走了，又堆上了" and ticket.text_column == ""
    assert ticket.raw["诉求内容"] == "" and ticket.received()["诉求内容"] == ""
    assert _exported("s")[0]["诉求内容"] == ""


def test_only_a_column_that_holds_the_text_exactly_is_kept_once():
    raw = {"内容": "井盖丢了", "备注": ""}
    assert text_kept_once(raw, "内容", "井盖丢了 ") == "" and raw["内容"] == "井盖丢了"
    assert text_kept_once(raw, None, "井盖丢了") == "" and text_kept_once(raw, "内容", "") == ""
    assert text_kept_once(raw, "内容", "井盖丢了") == "内容" and raw == {"内容": None, "备注": ""}
    assert received_row(raw, "内容", "井盖丢了") == {"内容": "井盖丢了", "备注": ""}
    # Rows kept before the text was kept once, and tickets made without a file, have no column.
    assert received_row({"内容": "x"}, "", "y") == {"内容": "x"} and received_row({}, "内容", "y") == {}


def test_the_admin_shows_the_row_whole_and_keeps_the_text_as_received(client, people, gazetteer):
    from django.contrib.auth.models import User

    import_rows([row("R3", col=1.5, cell=1.5, text=TEXT)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="R3")
    client.force_login(User.objects.create_superuser("row_reader", "row_reader@example.org", "x"))
    page = client.get(f"/admin/hotline/hotlineticket/{ticket.pk}/change/").content.decode()
    assert f"&quot;诉求内容&quot;: &quot;{TEXT}&quot;" in page and 'name="text"' not in page
