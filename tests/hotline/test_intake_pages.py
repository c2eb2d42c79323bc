"""The intake pages without a browser: upload (streamed to disk, imported, summary and
rejects), the size limit before the file is read, roles, the queues, the export back."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, ImportRun
from urbanmgmt.jobs.worker import drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline_import(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = str(tmp_path / "media")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, data: bytes, name="tickets.csv", **fields):
    """Post the file, then run the queued import here (the database queue, drained in this
    process: a worker process would not see the test's transaction)."""
    answer = client.post("/hotline/import/", {"file": named_file(data, name), **fields})
    drain()
    return answer


def named_file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_an_upload_imports_the_good_rows_and_keeps_the_refused_with_line_and_reason(people, gazetteer, inline_import,
                                                                                      tmp_path):
    client = signed_in(people.dispatcher)
    data = csv_bytes([row("U1", col=1.5, cell=1.5), row("U2", col=2.5, cell=1.5, 受理时间="明天下午"),
                      row("U3", kind="咨询", text="咨询垃圾分类时间", 答复内容="已答复")], encoding="gb18030")
    answer = upload(client, data, source="hz12345")
    assert answer.status_code == 302
    run = ImportRun.objects.get()
    assert answer["Location"] == f"/hotline/import/{run.pk}/"
    assert (run.source, run.file_format, run.encoding, run.started_by) == ("hz12345", "csv", "gb18030", people.dispatcher)
    status = client.get(f"/hotline/import/{run.pk}/status/").json()
    assert status["finished"] and status["done"] == status["total"] == len(data) and not status["error"]
    assert (status["summary"]["created"], status["summary"]["rejected"], status["summary"]["answered"]) == (2, 1, 1)
    assert any("GBK" in note for note in status["summary"]["notes"])
    assert [(r["line"], r["id"]) for r in status["rejects_shown"]] == [("3", "U2")] and status["rejects_shown"][0]["reason"]
    rejects = client.get(f"/hotline/import/{run.pk}/rejects.csv")
    refused = list(csv.reader(io.StringIO(rejects.content.decode("utf-8-sig"))))
    assert refused[1][:2] == ["3", "U2"] and refused[1][2]
    assert set(HotlineTicket.objects.values_list("external_id", flat=True)) == {"U1", "U3"}
    assert not list((tmp_path / "media" / "hotline_imports").iterdir())  # the uploaded file is gone
    page = client.get(f"/hotline/import/{run.pk}/")
    assert page.status_code == 200 and b"import-progress" in page.content


def test_the_same_tickets_from_another_file_without_a_source_are_updated_not_doubled(people, gazetteer, inline_import,
                                                                                      settings):
    """A walk imported four tickets, then the same four re-encoded in a file of another name, the
    source left empty: the source defaulted to each file's name, and every ticket came twice
    (the page promises a ticket imported before is updated, never doubled). A source not named
    is the city's platform (HOTLINE_DEFAULT_SOURCE), whatever the file is called."""
    client = signed_in(people.dispatcher)
    rows = [row("R1", col=1.5, cell=1.5), row("R2", col=2.5, cell=1.5)]
    upload(client, csv_bytes(rows), name="2026-12-05.csv")
    upload(client, csv_bytes(rows, encoding="gb18030"), name="export (1).csv")
    assert HotlineTicket.objects.count() == 2
    assert set(HotlineTicket.objects.values_list("source", flat=True)) == {settings.HOTLINE_DEFAULT_SOURCE} == {"12345"}
    second = ImportRun.objects.order_by("pk").last()
    assert (second.source, second.summary["created"], second.summary["updated"]) == ("12345", 0, 2)
    page = client.get("/hotline/import/").content.decode()
    assert 'placeholder="默认：12345"' in page and '<option value="12345">' in page
    upload(client, csv_bytes(rows), name="other.csv", source="lyg12345")  # another platform: its own tickets
    assert HotlineTicket.objects.count() == 4


def test_the_page_answers_before_the_import_runs_and_says_it_waits_for_a_worker(people, gazetteer, inline_import):
    client = signed_in(people.dispatcher)
    answer = client.post("/hotline/import/", {"file": named_file(csv_bytes([row("W1", col=1.5, cell=1.5)]), "t.csv")})
    assert answer.status_code == 302 and not HotlineTicket.objects.exists()  # queued, not imported in the request
    run = ImportRun.objects.get()
    status = client.get(f"/hotline/import/{run.pk}/status/").json()
    assert not status["finished"] and status["job"]["state"] == "queued" and "等待" in status["waiting"]
    drain()
    status = client.get(f"/hotline/import/{run.pk}/status/").json()
    assert status["finished"] and status["job"]["state"] == "done" and status["summary"]["created"] == 1


def test_an_import_whose_worker_died_is_taken_up_again_and_duplicates_nothing(people, gazetteer, inline_import):
    """The worker was killed mid-import: the job is running with its lease run out, its file
    kept, two of its three tickets already in. The sweep delivers it again; it runs from the
    start of the file and updates the two."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from urbanmgmt.hotline.uploads import import_upload, stored_name
    from urbanmgmt.jobs.models import Job, JobState
    from urbanmgmt.jobs.queue import sweep

    rows = [row("R1", col=1.5, cell=1.5), row("R2", col=2.5, cell=1.5), row("R3", col=4.5, cell=2.5)]
    import_rows(rows[:2], source="hz12345", actor=people.dispatcher)
    run = ImportRun.objects.create(source="hz12345", filename="tickets.csv", started_by=people.dispatcher,
                                   file_format="csv", done=100, total=1000)
    default_storage.save(stored_name(run), ContentFile(csv_bytes(rows)))
    gone = timezone.now() - dt.timedelta(seconds=1)
    Job.objects.create(kind=import_upload.kind, key=f"run{run.pk}", params={"run_id": run.pk}, attempts=1,
                       state=JobState.RUNNING, lease_until=gone, started_by=people.dispatcher)
    assert sweep() == 1
    drain()
    client = signed_in(people.dispatcher)
    status = client.get(f"/hotline/import/{run.pk}/status/").json()
    assert status["finished"] and not status["error"], status
    assert (status["summary"]["created"], status["summary"]["updated"]) == (1, 2), status["summary"]
    assert any("中断" in note for note in status["summary"]["notes"])  # interrupted, ran again
    assert status["job"]["attempts"] == 2
    assert sorted(HotlineTicket.objects.values_list("external_id", flat=True)) == ["R1", "R2", "R3"]
    # One whose file is gone ends with a reason.
    lost = ImportRun.objects.create(source="s", filename="b.csv", started_by=people.dispatcher, file_format="csv")
    Job.objects.create(kind=import_upload.kind, key=f"run{lost.pk}", params={"run_id": lost.pk}, attempts=1,
                       state=JobState.RUNNING, lease_until=gone, started_by=people.dispatcher)
    sweep()
    drain()
    answer = client.get(f"/hotline/import/{lost.pk}/status/").json()
    assert answer["finished"] and "重新上传" in answer["error"]  # upload the file again


def test_a_file_over_the_limit_is_refused_before_it_is_read(people, inline_import, settings):
    settings.HOTLINE_UPLOAD_MAX_BYTES = 1000
    client = signed_in(people.dispatcher)
    answer = upload(client, b"x" * 5000)
    assert answer.status_code == 413 and "import_tickets" in answer.content.decode()
    assert not ImportRun.objects.exists()
    # Without a length the running byte count stops it too.
    from urbanmgmt.hotline.uploads import CountingUploadHandler

    handler = CountingUploadHandler(None)
    handler.new_file("file", "big.csv", "text/csv", None)
    with pytest.raises(Exception) as raised:
        handler.receive_data_chunk(b"x" * 1500, 0)
    assert type(raised.value).__name__ == "SkipFile" and handler.too_large


def test_an_unreadable_file_ends_the_run_with_the_reason(people, inline_import):
    client = signed_in(people.dispatcher)
    upload(client, b"\x00\xff" * 100, name="tickets.xlsx")
    run = ImportRun.objects.get()
    assert run.finished and ("Excel" in run.error or "xlsx" in run.error)


def test_the_intake_pages_are_for_intake_staff(people, gazetteer):
    import_rows([row("Q1", address="不知道哪里"), row("Q2", text="有点问题", col=1.5, cell=1.5)], source="s",
                actor=people.dispatcher)
    for user in (people.inspector, people.handler, people.manager):
        client = signed_in(user)
        for path in ("/hotline/import/", "/hotline/unplaced/", "/hotline/review/"):
            assert client.get(path).status_code == 403, (user, path)
    client = signed_in(people.dispatcher)
    unplaced = client.get("/hotline/unplaced/")
    assert unplaced.status_code == 200 and "不知道哪里" in unplaced.content.decode()
    assert b"vendor/leaflet/leaflet.js" in unplaced.content
    review = client.get("/hotline/review/")
    assert review.status_code == 200 and "有点问题" in review.content.decode()
    home = client.get("/").content.decode()
    assert "/hotline/import/" in home and "/hotline/unplaced/" in home
    assert "/hotline/import/" not in signed_in(people.inspector).get("/").content.decode()


def test_the_results_go_back_in_the_source_format_with_the_mapping(people, gazetteer, inline_import):
    client = signed_in(people.dispatcher)
    mapping = "columns:\n  external_id: 单号\n  satisfaction: 评价\nvalues:\n  satisfaction:\n    很满意: satisfied\n"
    data = csv_bytes([{**row("E1", kind="咨询", text="咨询", 答复内容="已答复"), "单号": "E1"}], encoding="gb18030")
    client.post("/hotline/import/", {"file": named_file(data, "t.csv"), "mapping": named_file(mapping.encode(), "m.yaml"),
                                     "source": "gb"})
    drain()
    run = ImportRun.objects.get()
    ticket = HotlineTicket.objects.get(source="gb")
    client.post(f"/api/v1/hotline/tickets/{ticket.pk}/callback/", {"satisfaction": "satisfied", "resolved": "true"})
    body = b"".join(client.get(f"/hotline/import/{run.pk}/results/").streaming_content)
    text = body.decode("gb18030")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["单号"] == "E1" and rows[0]["评价"] == "很满意" and rows[0]["是否解决"] == "是"
    assert rows[0]["办理结果"] == "已答复" and rows[0]["答复时间"]
    xlsx = b"".join(client.get(f"/hotline/import/{run.pk}/results/?format=xlsx").streaming_content)
    sheet = load_workbook(io.BytesIO(xlsx)).active
    headers = [c.value for c in sheet[1]]
    assert sheet.cell(2, headers.index("评价") + 1).value == "很满意"


def test_export_tickets_writes_the_results_in_the_sources_csv_encoding(people, gazetteer, tmp_path):
    from django.core.management import call_command

    import_rows([row("X1", col=1.5, cell=1.5), row("X2", kind="咨询", text="咨询", 答复内容="已当场答复")], source="gbk12345",
                actor=people.dispatcher)
    ImportRun.objects.create(source="gbk12345", filename="x.csv", file_format="csv", encoding="gb18030",
                             mapping={"values": {"satisfaction": {"非常满意": "satisfied"}}})
    HotlineTicket.objects.filter(external_id="X2").update(satisfaction="satisfied", resolved=True)
    out = tmp_path / "results.csv"
    call_command("export_tickets", str(out), source="gbk12345", stdout=io.StringIO())
    rows = {r["工单编号"]: r for r in csv.DictReader(io.StringIO(out.read_bytes().decode("gb18030")))}
    assert rows["X2"]["满意度"] == "非常满意" and rows["X2"]["是否解决"] == "是" and rows["X2"]["办理结果"] == "已当场答复"
    case = HotlineTicket.objects.get(external_id="X1").case
    assert rows["X1"]["案件编号"] == case.code and rows["X1"]["案件状态"] and rows["X1"]["满意度"] == ""
    assert rows["X1"]["诉求内容"] == row("X1")["诉求内容"]  # the row as it came
    call_command("export_tickets", str(tmp_path / "r.json"), source="gbk12345", stdout=io.StringIO())
    assert (tmp_path / "r.json").read_text(encoding="utf-8").count("工单编号") == 2


def test_an_empty_ticket_list_says_so(people, client):
    client.force_login(people.dispatcher)
    client.cookies["django_language"] = "en"
    assert "No tickets." in client.get("/hotline/tickets/?state=to_answer").content.decode()
