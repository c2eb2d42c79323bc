"""The intake clerk's queues and ticket page without a browser (issue #15, 12345 intake): lists
to search, order and page through, skip, set aside or forward with a reason; a consultation
without an address waits for an answer, not a place; answer and callback with the ticket's
history; find by ticket number or case code; the import summary's words."""

import re

import pytest
from django.test import Client

from tests.hotline.helpers import csv_bytes, row
from tests.hotline.test_intake_pages import inline_import, upload  # noqa: F401 (a fixture)
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, ImportRun, TicketState

pytestmark = pytest.mark.django_db


def signed_in(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def numbers(html: str) -> list[str]:
    """The ticket numbers of a queue's rows, in order."""
    return re.findall(r'data-ticket="\d+">\s*<td[^>]*><a href="[^"]*">([^<]+)</a>', html)


def unplaced_tickets(people, n: int, **extra) -> None:
    rows = [row(f"N{i:03d}", address=f"不知道哪里{i}号", at=f"2026-03-{1 + i % 28:02d} 09:{i % 60:02d}:00", **extra)
            for i in range(n)]
    import_rows(rows, source="s", actor=people.dispatcher)


def test_the_unplaced_queue_is_a_list_to_search_order_and_page_through(people, gazetteer):
    unplaced_tickets(people, 30)
    HotlineTicket.objects.filter(external_id="N005").update(urgency="urgent")
    HotlineTicket.objects.filter(external_id="N007").update(address="海州区不知道哪里")
    client = signed_in(people.dispatcher)
    first = client.get("/hotline/unplaced/").content.decode()
    assert len(numbers(first)) == 25 and "page=2" in first  # a page of the list, not one ticket
    assert numbers(first)[0] == "N027"  # newest first: 03-28 is the latest day
    assert numbers(client.get("/hotline/unplaced/?order=urgent").content.decode())[0] == "N005"
    assert numbers(client.get("/hotline/unplaced/?order=oldest").content.decode())[0] == "N000"
    assert numbers(client.get("/hotline/unplaced/?q=N012").content.decode()) == ["N012"]
    assert numbers(client.get("/hotline/unplaced/?q=不知道哪里13号").content.decode()) == ["N013"]
    assert numbers(client.get("/hotline/unplaced/?district=320706").content.decode()) == ["N007"]
    second = client.get("/hotline/unplaced/?page=2").content.decode()
    assert len(numbers(second)) == 5


def test_skip_goes_to_the_next_ticket_without_deciding(people, gazetteer):
    unplaced_tickets(people, 3)
    client = signed_in(people.dispatcher)
    html = client.get("/hotline/unplaced/?order=oldest").content.decode()
    second = HotlineTicket.objects.get(external_id="N001")
    assert f'id="place-skip" href="?order=oldest&amp;ticket={second.pk}&amp;page=1"' in html
    html = client.get(f"/hotline/unplaced/?order=oldest&ticket={second.pk}").content.decode()
    assert f'data-ticket="{second.pk}" data-place' in html
    assert HotlineTicket.objects.filter(state=TicketState.UNPLACED).count() == 3


def test_a_ticket_set_aside_leaves_the_queue_with_its_reason_in_history_and_comes_back(people, gazetteer):
    unplaced_tickets(people, 2)
    ticket = HotlineTicket.objects.get(external_id="N000")
    client = signed_in(people.dispatcher)
    empty = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/set-aside/", {"reason": " "},
                        content_type="application/json")
    assert empty.status_code == 400 and "原因" in empty.json()["detail"]  # in the user's language
    answer = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/set-aside/", {"reason": "来电人说不清地点，电话打不通"},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["state"] == "set_aside"
    assert "N000" not in numbers(client.get("/hotline/unplaced/").content.decode())
    listed = client.get("/hotline/tickets/?state=set_aside").content.decode()
    assert "N000" in listed and "N001" not in listed
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    assert "来电人说不清地点" in page and "无法定位" in page and 'id="take-back"' in page
    back = client.post(f"/api/v1/hotline/tickets/{ticket.pk}/take-back/", {}, content_type="application/json")
    assert back.status_code == 200 and back.json()["state"] == "unplaced"
    assert "N000" in numbers(client.get("/hotline/unplaced/").content.decode())
    assert list(ticket.events.values_list("kind", flat=True)) == ["set_aside", "taken_back"]


def test_not_ours_forwards_the_ticket_out_of_the_queue_and_says_so_in_history(people, gazetteer, bureaus):
    from urbanmgmt.hotline.models import Bureau

    unplaced_tickets(people, 1)
    ticket = HotlineTicket.objects.get()
    bureau = Bureau.objects.filter(active=True).first()
    client = signed_in(people.dispatcher)
    html = client.get("/hotline/unplaced/").content.decode()
    assert f'<option value="{bureau.code}">' in html and 'id="forward-form"' in html
    client.post(f"/api/v1/hotline/tickets/{ticket.pk}/forward/", {"bureau": bureau.code, "reason": "物业纠纷，不归城管"},
                content_type="application/json")
    assert numbers(client.get("/hotline/unplaced/").content.decode()) == []
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    assert "物业纠纷，不归城管" in page and bureau.name in page
    assert ">N000<" in client.get("/hotline/tickets/?state=forwarded").content.decode()  # listed
    assert 'id="take-in-form"' in page  # reversible: the clerk takes it back into city management
    client.post(f"/api/v1/hotline/tickets/{ticket.pk}/classify/", {"category": "E0102"}, content_type="application/json")
    assert numbers(client.get("/hotline/unplaced/").content.decode()) == ["N000"]


def test_the_pager_counts_one_ticket_as_one(people, gazetteer):
    unplaced_tickets(people, 1)
    assert "Page 1 of 1 (1 ticket)" in signed_in(people.dispatcher, "en").get("/hotline/unplaced/").content.decode()
    assert "第 1 页，共 1 页（1 件工单）" in signed_in(people.dispatcher).get("/hotline/unplaced/").content.decode()
    unplaced_tickets(people, 2)  # N000 again and N001
    assert "Page 1 of 1 (2 tickets)" in signed_in(people.dispatcher, "en").get("/hotline/unplaced/").content.decode()


def test_the_recent_imports_count_one_row_as_one(people, gazetteer, inline_import):  # noqa: F811
    client = signed_in(people.dispatcher, "en")
    upload(client, csv_bytes([row("R1", col=1.5, cell=1.5)]))
    assert "1 row, 0 refused" in client.get("/hotline/import/").content.decode()
    upload(client, csv_bytes([row("R2", col=1.5, cell=1.5), row("R3", col=2.5, cell=1.5)]))
    assert "2 rows, 0 refused" in client.get("/hotline/import/").content.decode()
    assert "1 行，拒收 0 行" in signed_in(people.dispatcher).get("/hotline/import/").content.decode()


def test_bureaus_are_named_in_the_pages_language_and_in_chinese_back_to_the_source(people, gazetteer, bureaus,
                                                                                   tmp_path):
    import io

    from django.core.management import call_command
    from django.utils import translation

    from urbanmgmt.hotline.models import Bureau

    unplaced_tickets(people, 1)
    ticket = HotlineTicket.objects.get()
    bureau = Bureau.objects.get(code="RSJ")
    assert (bureau.name_zh, bureau.name_en) == ("人力资源和社会保障局", "Human Resources and Social Security Bureau")
    assert not Bureau.objects.filter(name_en="").exists()  # every bureau of the list has its English name
    english, chinese = signed_in(people.dispatcher, "en"), signed_in(people.dispatcher)
    assert '<option value="RSJ">Human Resources and Social Security Bureau</option>' in english.get(
        "/hotline/unplaced/").content.decode()
    assert '<option value="RSJ">人力资源和社会保障局</option>' in chinese.get("/hotline/unplaced/").content.decode()
    english.post(f"/api/v1/hotline/tickets/{ticket.pk}/forward/", {"bureau": "RSJ", "reason": "拖欠工资"},
                 content_type="application/json")
    assert "Human Resources and Social Security Bureau: 拖欠工资" in english.get(
        f"/hotline/tickets/{ticket.pk}/").content.decode()
    path = tmp_path / "back.csv"
    with translation.override("en"):
        call_command("export_tickets", str(path), "--source", "s", stdout=io.StringIO())
    assert "人力资源和社会保障局" in path.read_bytes().decode("utf-8-sig")  # the 12345 platform reads Chinese


def test_the_review_queue_shows_every_ticket_a_page_at_a_time_with_a_searchable_list(people, gazetteer):
    rows = [row(f"V{i:02d}", text=f"门口这块有问题{i}，影响大家生活。", col=1.5 + i % 4, cell=0.5 + i % 3) for i in range(60)]
    import_rows(rows, source="s", actor=people.dispatcher)
    waiting = set(HotlineTicket.objects.filter(needs_review=True).values_list("external_id", flat=True))
    assert len(waiting) == 60
    client = signed_in(people.dispatcher)
    seen, page = [], 1
    while True:
        html = client.get(f"/hotline/review/?page={page}").content.decode()
        found = re.findall(r'<td[^>]*><a href="/hotline/tickets/\d+/">(V\d\d)</a>', html)
        seen += found
        if 'rel="next"' not in html:
            break
        page += 1
    assert set(seen) == waiting and len(seen) == 60  # all of them, none twice
    first = client.get("/hotline/review/").content.decode()
    assert '<datalist id="category-list">' in first and "<select aria-label" not in first
    assert first.count('list="category-list"') == 25
    assert max(len(re.findall(r'class="choice"', part)) for part in first.split('class="review-row"')) <= 3
    assert re.findall(r'<td[^>]*><a href="/hotline/tickets/\d+/">(V\d\d)</a>',
                      client.get("/hotline/review/?q=V42").content.decode()) == ["V42"]
    assert client.get("/hotline/review/?order=newest").status_code == 200


def test_a_consultation_without_an_address_waits_for_an_answer_not_a_place(people, gazetteer):
    import_rows([row("C1", kind="咨询", text="请问垃圾分类的投放时间是几点？"),
                 row("C2", kind="投诉举报", address="不知道哪里")], source="s", actor=people.dispatcher)
    question = HotlineTicket.objects.get(external_id="C1")
    assert question.state == "to_answer" and question.case is None
    client = signed_in(people.dispatcher)
    assert numbers(client.get("/hotline/unplaced/").content.decode()) == ["C2"]
    assert "C1" in client.get("/hotline/tickets/?state=to_answer").content.decode()
    page = client.get(f"/hotline/tickets/{question.pk}/").content.decode()
    assert 'id="answer-form"' in page
    client.post(f"/api/v1/hotline/tickets/{question.pk}/answer/", {"answer": "每天 7:00–9:00 和 18:00–20:00。"},
                content_type="application/json")
    question.refresh_from_db()
    assert question.state == TicketState.ANSWERED and question.case is None


def test_the_ticket_page_answers_and_records_the_callback_in_its_history(people, gazetteer):
    import_rows([row("A1", kind="咨询", text="请问大件垃圾怎么预约？")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get()
    client = signed_in(people.dispatcher)
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    assert "答复" in page and "回访" in page and 'id="callback-form"' not in page  # a callback follows an answer
    api = f"/api/v1/hotline/tickets/{ticket.pk}/"
    empty = client.post(api + "answer/", {"answer": ""}, content_type="application/json")
    assert empty.status_code == 400 and "答复" in empty.json()["detail"]
    assert client.post(api + "answer/", {"answer": "拨打 12319 预约"}, content_type="application/json").status_code == 200
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    assert 'id="answer-form"' not in page and 'value="basic"' in page  # answered once; now the callback
    wrong = client.post(api + "callback/", {"satisfaction": "great"}, content_type="application/json")
    assert wrong.status_code == 400 and "great" in wrong.json()["detail"] and "未知" in wrong.json()["detail"]
    assert client.post(api + "callback/", {"satisfaction": "basic", "resolved": "true", "note": "希望更快一些"},
                       content_type="application/json").status_code == 200
    page = client.get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    history = page.split('id="ticket-history"')[1].split("</table>")[0]
    assert "拨打 12319 预约" in history and "基本满意" in history and "希望更快一些" in history
    english = signed_in(people.dispatcher, "en").get(f"/hotline/tickets/{ticket.pk}/").content.decode()
    history = english.split('id="ticket-history"')[1].split("</table>")[0]
    assert "Callback recorded" in history and "Basically satisfied" in history


def test_find_by_ticket_number_or_case_code_opens_the_ticket(people, gazetteer):
    import_rows([row("F1", col=1.5, cell=1.5), row("F2", address="不知道哪里")], source="s", actor=people.dispatcher)
    placed = HotlineTicket.objects.get(external_id="F1")
    client = signed_in(people.dispatcher)
    assert client.get("/hotline/tickets/?q=F1")["Location"] == f"/hotline/tickets/{placed.pk}/"
    assert client.get(f"/hotline/tickets/?q={placed.case.code.lower()}")["Location"] == f"/hotline/tickets/{placed.pk}/"
    missing = client.get("/hotline/tickets/?q=ZZ99").content.decode()
    assert 'id="find-none"' in missing and "ZZ99" in missing
    assert 'id="find-number"' in client.get("/hotline/unplaced/").content.decode()
    assert 'id="find-number"' in client.get("/hotline/review/").content.decode()
    assert numbers(client.get(f"/hotline/unplaced/?q={placed.case.code}").content.decode()) == []
    assert "F1" in client.get(f"/hotline/tickets/{placed.pk}/").content.decode()
    for user in (people.inspector, people.handler, people.manager):
        assert signed_in(user).get(f"/hotline/tickets/{placed.pk}/").status_code == 403
        assert signed_in(user).get("/hotline/tickets/?q=F1").status_code == 403


def test_the_summary_calls_reported_cases_reported_not_filed(people, gazetteer, inline_import):  # noqa: F811
    client = signed_in(people.dispatcher)
    upload(client, csv_bytes([row("S1", col=1.5, cell=1.5)]))
    run = ImportRun.objects.get()
    page = client.get(f"/hotline/import/{run.pk}/").content.decode()
    assert "新立案件" not in page and "新上报案件（待立案）" in page
    assert HotlineTicket.objects.get().case.state == "reported"


def test_a_file_without_the_request_type_column_is_refused_once_by_its_name(people, gazetteer,
                                                                             inline_import):  # noqa: F811
    client = signed_in(people.dispatcher)
    rows = [{k: v for k, v in row(f"M{i}", col=1.5, cell=1.5).items() if k != "诉求类型"} for i in range(5)]
    upload(client, csv_bytes(rows))
    status = client.get(f"/hotline/import/{ImportRun.objects.get().pk}/status/").json()
    assert status["finished"] and "诉求类型" in status["error"] and "缺少" in status["error"]
    assert status["summary"].get("rejected", 0) == 0 and "未知诉求类型" not in status["error"]
    assert not HotlineTicket.objects.exists()


def test_the_import_notes_and_refusals_are_in_the_uploaders_language(people, gazetteer, inline_import):  # noqa: F811
    client = signed_in(people.dispatcher, "en")
    upload(client, csv_bytes([row("L1", col=1.5, cell=1.5), row("L2", 受理时间="明天下午")], encoding="gb18030"))
    run = ImportRun.objects.get()
    notes = client.get(f"/hotline/import/{run.pk}/status/").json()["summary"]["notes"]
    assert any("GBK" in note for note in notes)
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(notes) + run.rejects.replace("明天下午", "")), (notes, run.rejects)


@pytest.mark.parametrize("order, index", [("doubt", "ticket_review_doubt"), ("newest", "ticket_review_received"),
                                          ("oldest", "ticket_review_received")])
def test_the_review_queue_reads_its_own_tickets_through_an_index_not_the_whole_table(people, gazetteer, order, index):
    from django.db import connection

    from urbanmgmt import dbstats
    from urbanmgmt.hotline import queues

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics; SQLite's plan is fixed by the indexes")
    import_rows([row(f"Q{i:02d}", text=f"门口这块有问题{i}，影响大家生活。") for i in range(60)], source="s",
                actor=people.dispatcher)
    HotlineTicket.objects.exclude(external_id__in=["Q01", "Q02", "Q03"]).update(needs_review=False)  # most are filed
    dbstats.refresh()  # the statistics a running city has (ANALYZE)
    listing = queues.ordered(HotlineTicket.objects.filter(needs_review=True).select_related("category", "case"), order)
    sql, params = listing[:25].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(step[-1]) for step in cursor.fetchall())
    assert f"USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, plan
