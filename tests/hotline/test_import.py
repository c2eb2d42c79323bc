"""Importing tickets: formats, encodings, idempotency, refusals with reasons, placing."""

import io
import json

import pytest
from openpyxl import Workbook

from tests.builders import point_in
from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.grids.geo import distance_m
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import HotlineTicket, TicketState
from urbanmgmt.hotline.readers import read

pytestmark = pytest.mark.django_db


def run_file(data: bytes, name: str, actor, source="hz12345", mapping=None):
    mapping = mapping or Mapping()
    notes = []
    summary = import_rows(read(io.BytesIO(data), name, mapping, notes), source=source, actor=actor, mapping=mapping)
    summary.notes += notes
    return summary


def test_a_gcj02_ticket_becomes_a_hotline_case_at_its_wgs84_point(people, gazetteer):
    summary = run_file(csv_bytes([row("T1", col=1.5, cell=1.5)]), "t.csv", people.dispatcher)
    assert (summary.created, summary.cases_created, summary.rejected) == (1, 1, [])
    ticket = HotlineTicket.objects.get(external_id="T1")
    assert ticket.datum == "gcj02" and ticket.original_lon is not None
    assert distance_m(ticket.point, point_in(1.5, 1.5)) < 1.0  # GCJ-02 offset (~500 m) removed
    case = ticket.case
    assert case.channel == "hotline" and case.request_type == "complaint" and case.ticket_count == 1
    assert case.category.service_code == "E0102" and ticket.owns_case
    assert case.external_ref == "hz12345:T1"
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert ticket.reply_due_at is not None and ticket.state == TicketState.OPEN


def test_an_import_runs_with_the_cyclic_collector_paused_and_restores_it(people, gazetteer):
    import gc

    was, states = gc.isenabled(), []
    gc.enable()
    try:
        import_rows([row(f"P{i}", col=1.5, cell=1.5) for i in range(3)], source="hz12345", actor=people.dispatcher,
                    progress=lambda done: states.append(gc.isenabled()))
        assert states == [False] and gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_an_import_runs_with_the_bulk_sqlite_settings_and_restores_the_connections_own(people, gazetteer,
                                                                                      settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite connection's settings")
    settings.SQLITE_BULK_CACHE_MB, settings.SQLITE_BULK_WAL_MB = 300, 400

    def pragmas():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cache, cursor.fetchone()[0]

    before, during = pragmas(), []
    import_rows([row(f"Q{i}", col=1.5, cell=1.5) for i in range(3)], source="hz12345", actor=people.dispatcher,
                progress=lambda done: during.append(pragmas()))
    assert during[0][0] == -300 * 1024 and during[0][1] > before[1] and pragmas() == before


def test_gbk_csv_is_read(people, gazetteer):
    summary = run_file(csv_bytes([row("G1", col=0.5, cell=0.5)], encoding="gbk"), "t.csv", people.dispatcher)
    assert summary.created == 1
    assert HotlineTicket.objects.get(external_id="G1").text.startswith("小区门口")


def test_a_second_import_updates_and_never_duplicates(people, gazetteer):
    run_file(csv_bytes([row("T1", col=1.5, cell=1.5)]), "t.csv", people.dispatcher)
    summary = run_file(csv_bytes([row("T1", col=1.5, cell=1.5, 满意度="满意")]), "t.csv", people.dispatcher)
    assert (summary.created, summary.updated) == (0, 1)
    assert HotlineTicket.objects.count() == 1 and Case.objects.count() == 1
    assert HotlineTicket.objects.get().satisfaction == "satisfied"


def test_a_second_import_stamps_the_tickets_it_updates_and_leaves_the_others(people, gazetteer):
    rows = [row(f"U{i}", col=1.5, cell=1.5, text=f"小区门口暴露垃圾没人清理 {i}") for i in range(3)]
    run_file(csv_bytes(rows), "u.csv", people.dispatcher)
    before = dict(HotlineTicket.objects.values_list("external_id", "updated_at"))
    rows[1].update(满意度="不满意", 诉求内容="小区门口暴露垃圾还是没人清理")
    summary = run_file(csv_bytes(rows[1:2]), "u.csv", people.dispatcher)
    assert (summary.created, summary.updated) == (0, 1)
    after = {t.external_id: t for t in HotlineTicket.objects.all()}
    assert after["U1"].updated_at > before["U1"]
    assert (after["U1"].satisfaction, after["U1"].text) == ("unsatisfied", "小区门口暴露垃圾还是没人清理")
    assert after["U1"].raw["满意度"] == "不满意"
    assert [after[n].updated_at for n in ("U0", "U2")] == [before["U0"], before["U2"]]


def test_bad_rows_are_refused_with_line_and_reason_and_good_rows_go_in(people, gazetteer):
    rows = [row("OK1", col=0.5, cell=0.5), row("OK1", col=0.5, cell=0.5), row("BADTIME", at="yesterday"),
            row("FAR", lon_override=True), row("DATUM", col=0.5, cell=0.5, 坐标系="UTM"), row("", col=0.5, cell=0.5),
            row("TYPE", kind="闲聊", col=0.5, cell=0.5), row("RANGE", 经度="200", 纬度="34.6"),
            row("OK2", col=2.5, cell=2.5, text="路灯不亮")]
    rows[3].update({"经度": "116.40", "纬度": "39.90", "坐标系": "WGS84"})  # Beijing
    summary = run_file(csv_bytes(rows), "t.csv", people.dispatcher)
    reasons = {line: reason for line, _id, reason in summary.rejected}
    assert summary.created == 2 and set(HotlineTicket.objects.values_list("external_id", flat=True)) == {"OK1", "OK2"}
    assert "line 2" in reasons[3] or "第" in reasons[3]
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "outside" in reasons[5] or "服务区" in reasons[5]


def test_address_only_tickets_are_placed_by_the_gazetteer_or_queued(people, gazetteer):
    rows = [row("A1", address="连云港市海州区新海街道新海001社区幸福小区3号楼"),
            row("A2", address="不知道哪里"), row("A3", address="")]
    summary = run_file(csv_bytes(rows), "t.csv", people.dispatcher)
    assert summary.created == 3 and summary.unplaced == 2
    placed = HotlineTicket.objects.get(external_id="A1")
    assert placed.place_method == "gazetteer" and placed.place_confidence >= 0.5 and "新海001社区" in placed.place_match
    assert placed.case.community.name == "新海001社区"
    assert HotlineTicket.objects.get(external_id="A2").state == TicketState.UNPLACED


def test_consultations_answered_at_intake_are_closed_there(people, gazetteer):
    rows = [row("C1", kind="咨询", text="请问垃圾分类投放时间", 答复内容="每天7:00-9:00和18:00-20:00", col=0.5, cell=0.5)]
    summary = run_file(csv_bytes(rows), "t.csv", people.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert summary.answered == 1 and ticket.state == TicketState.ANSWERED and ticket.case is None
    assert not Case.objects.exists()


def test_xlsx_with_a_two_row_header_is_read_with_a_note(people, gazetteer):
    book = Workbook()
    sheet = book.active
    sheet.append(["工单信息", None, None, None, "位置", None, None])
    sheet.append(["工单编号", "受理时间", "诉求类型", "诉求内容", "经度", "纬度", "坐标系"])
    r = row("X1", col=0.5, cell=0.5)
    sheet.append([r["工单编号"], r["受理时间"], r["诉求类型"], r["诉求内容"], r["经度"], r["纬度"], r["坐标系"]])
    data = io.BytesIO()
    book.save(data)
    summary = run_file(data.getvalue(), "t.xlsx", people.dispatcher)
    assert summary.created == 1 and summary.notes


def test_json_array_and_json_lines(people, gazetteer):
    items = [row("J1", col=0.5, cell=0.5), row("J2", col=3.5, cell=0.5, text="路灯不亮")]
    assert run_file(json.dumps(items, ensure_ascii=False).encode(), "t.json", people.dispatcher).created == 2
    lines = "\n".join(json.dumps(row(f"L{i}", col=4.5, cell=2.5), ensure_ascii=False) for i in range(2)) + "\n{oops\n"
    summary = run_file(lines.encode(), "t.jsonl", people.dispatcher, source="other")
    assert summary.created == 2 and summary.rejected[0][0] == 3


def test_a_file_in_no_known_encoding_is_refused_whole(people):
    from urbanmgmt.hotline.readers import ImportRefused

    with pytest.raises(ImportRefused):
        run_file(b"\xff\xfe\x00\x01\x80\x81" * 100, "t.csv", people.dispatcher)


def test_the_command_imports_a_file_and_writes_the_rejects(people, gazetteer, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([row("OK", col=0.5, cell=0.5), row("BAD", at="never")]))
    out = io.StringIO()
    call_command("import_tickets", str(path), "--source", "hz", "--user", people.dispatcher.username, stdout=out)
    assert "created: 1" in out.getvalue()
    rejects = (tmp_path / "t.csv.rejects.csv").read_text(encoding="utf-8")
    assert "3,BAD," in rejects


def test_the_refused_rows_come_back_in_the_files_order(people, gazetteer):
    """A batch refuses the rows it cannot read before those it cannot place: the list the
    clerk downloads is in line order all the same."""
    summary = run_file(csv_bytes([row("FAR", col=400.5, cell=0.5), row("BAD", at="never"), row("OK", col=0.5, cell=0.5)]),
                       "t.csv", people.dispatcher)
    assert summary.created == 1 and {r[1] for r in summary.rejected} == {"FAR", "BAD"}
    lines = [line.split(",")[:2] for line in summary.rejects_csv().lstrip("\ufeff").splitlines()[1:]]
    assert lines == [["2", "FAR"], ["3", "BAD"]]


def test_the_reply_deadline_per_minute_of_arrival_equals_the_working_calendar(people):
    import datetime as dt

    from django.utils import timezone

    from urbanmgmt.cases import worktime
    from urbanmgmt.hotline.importer import Importer

    importer = Importer(people.dispatcher, "s")
    start = timezone.make_aware(dt.datetime(2025, 9, 30, 11, 58, 7))  # before lunch, the National Day holidays
    edges = [timezone.make_aware(dt.datetime(2025, 9, 29, h, m, sec)) for h, m in ((11, 59), (12, 0), (13, 29), (17, 29),
                                                                                  (8, 29), (8, 30)) for sec in (0, 30, 59)]
    for at in [*edges, *(start + dt.timedelta(seconds=step) for step in range(0, 3 * 24 * 3600, 523))]:
        for days in (1, 5):
            assert importer._due(at, days) == worktime.add_working_days(at, days), (at, days)


def test_a_batch_refused_as_a_whole_goes_in_row_by_row_each_row_placed_and_linked_afresh(people, gazetteer, monkeypatch):
    """The second batch's second ticket is linked to a case rejected meanwhile (after the
    first batch, through the progress callback): link_many refuses the batch, which then goes
    in row by row: that ticket makes a case of its own, the one placed by its address keeps
    that method, the far one is refused once."""
    from urbanmgmt.cases import services
    from urbanmgmt.hotline import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    far = row("B2", col=0.5, cell=0.5)
    far.update({"经度": "116.40", "纬度": "39.90", "坐标系": "WGS84"})  # Beijing
    by_address = row("B0", text="路灯不亮了", address="连云港市海州区新海街道新海001社区幸福小区3号楼")
    rows = [row("A1", col=1.5, cell=1.5), row("A2", col=4.5, cell=2.5), by_address, row("B1", col=1.5, cell=1.5), far]

    def reject_the_first_case(done: int) -> None:
        if done == 2:
            case = HotlineTicket.objects.get(external_id="A1").case
            services.reject(people.dispatcher, case, version=case.version, reason_code="other", reason="测试")

    summary = import_rows([(i, r) for i, r in enumerate(rows, start=2)], source="hz12345", actor=people.dispatcher,
                          progress=reject_the_first_case)
    assert [(line, ticket) for line, ticket, _reason in summary.rejected] == [(6, "B2")]
    b1 = HotlineTicket.objects.get(external_id="B1")
    assert b1.owns_case and b1.link_reason == {} and b1.case.external_ref == "hz12345:B1"
    assert b1.case_id != HotlineTicket.objects.get(external_id="A1").case_id
    assert HotlineTicket.objects.get(external_id="B0").place_method == "gazetteer"  # placed again, by its address
    assert (summary.created, summary.cases_created, summary.linked) == (4, 4, 0)
