"""Large exports go through the task queue (issue #19): the map's cases above
EXPORT_IMMEDIATE_MAX_ROWS and the managers' workbook above EXPORT_IMMEDIATE_MAX_DAYS are
asked for with a POST, made by a worker (here: the database queue drained in this process)
a frame or a sheet at a time with the job's progress, and kept in the media store (the disk,
or a bucket on a moto server) for their maker alone; one job however often they are asked
for while they are made; a failure says why in the asker's language and offers no file."""

import datetime as dt
import importlib
import io
import os
import threading

import pytest
import requests
from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from maps import exports as map_exports
from tests.builders import report_case
from tests.storage.conftest import use_bucket
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.grids.gisio import read_frame
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.worker import drain
from urbanmgmt.kpi.excel import sheet_count
from urbanmgmt.org.models import Profile
from urbanmgmt.storage import exports

pytestmark = pytest.mark.django_db

MAP_EXPORT = "/api/v1/map/export/?layer=cases&as=csv&open=all"
GEOPACKAGE = "/api/v1/map/export/?layer=cases&as=gpkg&open=all"


def signed_in(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def five_cases(people, category, settings, tmp_path):
    """Five cases, above a threshold of two rows exported at once, in frames of two."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 2
    settings.EXPORT_FRAME_ROWS = 2
    for i in range(5):
        report_case(people.inspector, category, 0.5 + i, 0.5, description=f"第{i}件 路边垃圾")


@pytest.fixture
def watched_progress(monkeypatch):
    """The job's (done, total) as the database holds it after each progress the export tells."""
    seen = []
    told = map_exports.progress

    def progress(job, done, total):
        told(job, done, total)
        seen.append(tuple(Job.objects.filter(pk=job.pk).values_list("done", "total").get()))

    monkeypatch.setattr(map_exports, "progress", progress)
    return seen


def ask(client, path=MAP_EXPORT) -> dict:
    answer = client.post(path)
    assert answer.status_code == 202, answer.content
    return answer.json()


def downloaded(client, status: dict) -> bytes:
    answer = client.get(status["download"])
    if answer.status_code == 302:  # on S3: a signed URL of the bucket
        return requests.get(answer["Location"], timeout=10).content
    assert answer.status_code == 200
    return b"".join(answer.streaming_content)


def test_a_large_map_export_is_refused_in_the_request_and_made_by_the_queue(people, five_cases, watched_progress,
                                                                            tmp_path):
    client = signed_in(people.manager)
    refused = client.get(GEOPACKAGE)
    assert refused.status_code == 400 and refused.json()["code"] == "export_in_background"
    assert "后台" in refused.json()["detail"]
    status = ask(client, GEOPACKAGE)
    assert status["state"] == JobState.QUEUED and status["download"] is None and status["title"] == "案件 GeoPackage"
    assert drain() == 1
    assert watched_progress == [(0, 5), (2, 5), (4, 5), (5, 5)]  # a frame of two rows at a time
    status = client.get(status["status_url"]).json()
    assert (status["state"], status["done"], status["total"]) == (JobState.DONE, 5, 5)
    assert status["filename"].startswith("urbanmgmt-cases-") and status["filename"].endswith(".gpkg")
    path = tmp_path / "cases.gpkg"
    path.write_bytes(downloaded(client, status))
    assert status["size"] == path.stat().st_size
    assert sorted(read_frame(path)["descr"]) == [f"第{i}件 路边垃圾" for i in range(5)]


def test_a_second_click_or_tab_gets_the_same_job_and_a_later_ask_a_fresh_one(people, five_cases):
    first, second = signed_in(people.manager), signed_in(people.manager)
    job = ask(first)
    assert ask(first)["id"] == job["id"] == ask(second)["id"]
    assert ask(signed_in(people.dispatcher))["id"] != job["id"]  # someone else's is theirs
    other_filters = ask(first, MAP_EXPORT + "&channel=inspector")["id"]
    assert other_filters != job["id"] and Job.objects.count() == 3
    drain()
    again = ask(first)  # asked after it was made: the cases may have changed since
    assert again["id"] not in (job["id"], other_filters) and again["state"] == JobState.QUEUED


def test_an_export_job_and_its_file_are_its_makers_only(people, five_cases):
    maker = signed_in(people.manager)
    status = ask(maker)
    drain()
    status = maker.get(status["status_url"]).json()
    for someone in (people.dispatcher, people.handler, people.outsider):
        assert signed_in(someone).get(status["status_url"]).status_code == 404
        assert signed_in(someone).get(status["download"]).status_code == 404
        assert status["title"] not in signed_in(someone).get("/exports/").content.decode()
    admin = signed_in(people.admin).get(status["status_url"]).json()
    assert admin["state"] == JobState.DONE and admin["download"] is None
    page = maker.get("/exports/").content.decode()
    assert "案件 CSV" in page and status["download"] in page and "已完成" in page
    assert timezone.localtime(Job.objects.get().created_at).strftime("%Y-%m-%d %H:%M") in page  # the city's time


def test_a_small_export_stays_immediate(people, five_cases, settings):
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 5
    client = signed_in(people.manager)
    answer = client.post(MAP_EXPORT)
    assert answer.status_code == 200 and answer.json()["download"] == MAP_EXPORT
    assert client.get(MAP_EXPORT).status_code == 200 and not Job.objects.exists()


def test_an_export_on_object_storage_is_one_private_object(people, five_cases, settings, s3_server, tmp_path):
    bucket = use_bucket(settings, s3_server)
    client = signed_in(people.manager)
    status = ask(client, GEOPACKAGE)
    drain()
    status = client.get(status["status_url"]).json()
    key = status["download"].removeprefix("/media/")
    assert bucket.keys() == {key} and key.startswith(f"exports/{people.manager.pk}/")
    assert bucket.anonymous_get(key).status_code == 403
    assert signed_in(people.dispatcher).get(status["download"]).status_code == 404
    path = tmp_path / "from-bucket.gpkg"
    path.write_bytes(downloaded(client, status))
    assert len(read_frame(path)) == 5


@pytest.mark.parametrize("language, words", [("en", "file store cannot be reached"), ("zh-hans", "文件存储")])
def test_a_failing_export_says_why_in_the_askers_language_and_offers_no_file(people, five_cases, settings, s3_server,
                                                                             language, words):
    bucket = use_bucket(settings, s3_server)
    settings.MEDIA_S3_BUCKET = "no-such-bucket"  # the store refuses every file
    settings.TASKS_MAX_ATTEMPTS = 1
    client = signed_in(people.manager, language)
    status = ask(client)
    drain()
    status = client.get(status["status_url"]).json()
    assert status["state"] == JobState.FAILED and words in status["error"] and status["download"] is None
    assert bucket.keys() == set()
    assert words in client.get("/exports/").content.decode()


def test_a_long_periods_workbook_is_made_in_the_background_with_its_sheets(people, category, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_IMMEDIATE_MAX_DAYS = 7  # a year's, as users ask, is the browser journey's (the days take long)
    report_case(people.inspector, category)
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    period = f"start={first}&end={last}"
    client = signed_in(people.manager)
    assert client.get(f"/kpi/export.xlsx?{period}").status_code == 400
    status = ask(client, f"/kpi/export/?{period}")
    assert ask(client, f"/kpi/export/?{period}")["id"] == status["id"]
    drain()
    status = client.get(status["status_url"]).json()
    assert (status["state"], status["done"], status["total"]) == (JobState.DONE, sheet_count(), sheet_count())
    assert status["filename"] == f"urbanmgmt-kpi-{first}-to-{last}.xlsx"
    book = load_workbook(io.BytesIO(downloaded(client, status)))
    assert len(book.sheetnames) == sheet_count()
    assert {"年度指标", "有效上报率-监督员", "12345时效"} <= set(book.sheetnames), book.sheetnames
    short = client.post(f"/kpi/export/?start={first}&end={first}")
    assert short.status_code == 200 and short.json()["download"].startswith("/kpi/export.xlsx?")


def test_the_monthly_report_as_excel_is_made_in_the_background(people, category, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_IMMEDIATE_MAX_DAYS = 7  # a month is longer
    report_case(people.inspector, category)
    month = timezone.localdate().isoformat()[:7]
    client = signed_in(people.manager)
    status = ask(client, f"/kpi/report/monthly/export/?month={month}")
    assert status["title"] == f"月报 {month}"
    assert ask(client, f"/kpi/report/monthly/export/?month={month}")["id"] == status["id"]
    assert client.post("/kpi/report/monthly/export/?month=13").status_code == 400
    drain()
    status = client.get(status["status_url"]).json()
    assert (status["state"], status["done"], status["total"], status["filename"]) == (
        JobState.DONE, 2, 2, f"urbanmgmt-monthly-{month}.xlsx")
    book = load_workbook(io.BytesIO(downloaded(client, status)))
    assert book.sheetnames[:3] == ["概况", "来源渠道", "办理情况"] and book["概况"]["B1"].value == status["title"]


@pytest.mark.parametrize("kind, field, value", [("daily", "date", "2026-11-30"), ("monthly", "month", "2026-11")])
def test_a_days_or_a_months_report_is_answered_at_once_as_a_download(people, category, settings, kind, field, value):
    settings.EXPORT_IMMEDIATE_MAX_DAYS = 31
    client = signed_in(people.manager)
    answer = client.post(f"/kpi/report/{kind}/export/?{field}={value}&area=320706006")
    assert answer.status_code == 200, answer.content
    download = answer.json()["download"]
    assert download == f"/kpi/report/{kind}/?{field}={value}&area=320706006&format=xlsx" and not Job.objects.exists()
    book = client.get(download)
    assert book.status_code == 200 and book["Content-Disposition"].endswith(f'urbanmgmt-{kind}-{value}.xlsx"')
    assert load_workbook(io.BytesIO(book.content)).sheetnames[0] == "概况"


def test_who_may_export_is_one_rule_for_asking_following_and_downloading(people, five_cases):
    for someone in (people.inspector, people.analyst, people.outsider):
        client = signed_in(someone)
        refused = client.post(MAP_EXPORT)
        assert refused.status_code == 403 and "导出仅限指挥中心和专业部门" in refused.json()["detail"]
        assert client.get(MAP_EXPORT).status_code == 403 and client.get("/exports/").status_code == 404
    department = people.handler.profile.department
    theirs = []
    for case in Case.objects.order_by("pk")[:3]:
        case = services.file(people.dispatcher, case, version=case.version)
        theirs.append(services.dispatch(people.dispatcher, case, version=case.version, department=department).code)
    handler = signed_in(people.handler)
    status = ask(handler)  # three of the five cases: above the two made at once
    drain()
    status = handler.get(status["status_url"]).json()
    rows = downloaded(handler, status).decode("utf-8-sig").splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == sorted(theirs)  # their department's, none other
    assert status["title"] in handler.get("/exports/").content.decode()
    Profile.objects.filter(user=people.handler).update(department=people.other_handler.profile.department)
    moved = signed_in(people.handler)  # now sees the other department's cases: not this file's
    assert moved.get(status["status_url"]).status_code == 404 and moved.get(status["download"]).status_code == 404
    assert status["title"] not in moved.get("/exports/").content.decode()


def test_an_exports_file_goes_with_its_job_and_an_orphan_after_the_days_kept(people, five_cases, settings, tmp_path):
    settings.TASKS_KEEP_DAYS = 30
    client = signed_in(people.manager)
    old, recent = ask(client), ask(client, MAP_EXPORT + "&channel=inspector")
    drain()
    old, recent = Job.objects.get(pk=old["id"]), Job.objects.get(pk=recent["id"])
    month_ago = timezone.now() - dt.timedelta(days=31)
    Job.objects.filter(pk=old.pk).update(finished_at=month_ago)  # pruned today; `recent` finished today
    stray = exports.keep(people.manager, b"code\n", "stray.csv")  # the command's, kept with no job
    young = exports.keep(people.manager, b"code\n", "young.csv")
    part = f"{stray.rsplit('/', 2)[0]}/{'a' * 32}/cases.csv.{'b' * 32}.part"  # a killed copy of a job long gone
    media = tmp_path / "media"
    (media / part).parent.mkdir(parents=True)
    (media / part).write_bytes(b"code\n")
    for name in (old.result["file"], recent.result["file"], stray, part):
        os.utime(media / name, (month_ago.timestamp(), month_ago.timestamp()))
    prune = {job.kind: job for job in schedule()}
    assert "urbanmgmt.storage.exports.prune_files" in prune
    while drain():
        pass
    assert not Job.objects.filter(pk=old.pk).exists()
    left = {str(path.relative_to(media)) for path in (media / "exports").rglob("*") if path.is_file()}
    assert left == {recent.result["file"], young}
    folders = {str(path.relative_to(media)) for path in (media / "exports").rglob("*") if path.is_dir()}
    assert folders == {f"exports/{people.manager.pk}"} | {name.rsplit("/", 1)[0] for name in left}


def test_on_object_storage_an_exports_object_goes_with_its_job(people, five_cases, settings, s3_server):
    bucket = use_bucket(settings, s3_server)
    settings.TASKS_KEEP_DAYS = 30
    client = signed_in(people.manager)
    old, recent = ask(client), ask(client, MAP_EXPORT + "&channel=inspector")
    drain()
    old, recent = Job.objects.get(pk=old["id"]), Job.objects.get(pk=recent["id"])
    stray = exports.keep(people.manager, b"code\n", "stray.csv")
    later = timezone.now() + dt.timedelta(days=31)  # the objects cannot be made older: the sweep runs later
    Job.objects.filter(pk=recent.pk).update(finished_at=later - dt.timedelta(days=1))
    assert sorted(exports.sweep_files(later)) == sorted([old.result["file"], stray])
    assert bucket.keys() == {recent.result["file"]}


def test_an_attempt_after_a_killed_one_keeps_its_own_file_under_the_jobs_name(people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token = "ab" * 16
    for attempt, body in (1, b"id,state\n1,old\n"), (2, b"id,state\n1,reported\n2,dispatched\n"):
        source = tmp_path / f"attempt-{attempt}.csv"
        source.write_bytes(body)
        name = exports.keep(people.manager, source, "cases.csv", token=token)
    with open(os.path.join(settings.MEDIA_ROOT, name), "rb") as kept:
        assert kept.read() == b"id,state\n1,reported\n2,dispatched\n"  # the second attempt's, not the killed one's


def test_an_export_asked_before_keys_carried_their_scope_is_its_makers_again(people, five_cases):
    """Jobs keyed export/<id>/<digest>/<n> (before the rule of who exports) were hidden from
    their makers, files included; the migration gives them the rule's key: the maker follows
    and downloads theirs, someone who may no longer export still does not."""
    made = {}
    for someone in (people.manager, people.handler, people.inspector):
        # As it was asked and kept then: keyed by its maker's id and the digest of its parameters.
        job = Job.objects.create(kind="maps.exports.make_export", key=f"export/{someone.pk}/{'c0ffee' * 4}/0",
                                 started_by=someone, state=JobState.DONE, finished_at=timezone.now(),
                                 params={"title": f"案件 {someone.username}"})
        name = exports.keep(someone, b"code\n1\n", "cases.csv", token=exports.job_token(job))
        Job.objects.filter(pk=job.pk).update(result={"file": name, "filename": "cases.csv", "size": 7})
        made[someone.username] = job.pk
    for someone in (people.manager, people.handler):
        assert signed_in(someone).get(f"/exports/{made[someone.username]}/").status_code == 404  # as it was
    migration = importlib.import_module("urbanmgmt.jobs.migrations.0003_export_keys_carry_their_scope")
    migration.scope_legacy_keys(django_apps, None)
    for someone in (people.manager, people.handler):
        client = signed_in(someone)
        status = client.get(f"/exports/{made[someone.username]}/").json()
        assert status["download"] and downloaded(client, status) == b"code\n1\n"
        assert status["title"] in client.get("/exports/").content.decode()
    inspector = signed_in(people.inspector)
    job = Job.objects.get(pk=made["inspector"])
    assert inspector.get(f"/exports/{job.pk}/").status_code == 404
    assert inspector.get(f"/media/{job.result['file']}").status_code == 404
    # Moved to another department, the handler no longer downloads the old one's file.
    Profile.objects.filter(user=people.handler).update(department=people.other_handler.profile.department)
    assert signed_in(people.handler).get(f"/exports/{made['handler']}/").status_code == 404
    # The key is one ask() never makes: asking the same export again makes a fresh job.
    assert Job.objects.get(pk=made["manager"]).key.startswith(f"export/{people.manager.pk}/all/{'c0ffee' * 4}/legacy-")


@pytest.mark.django_db(transaction=True)
def test_each_attempt_of_an_export_writes_in_a_folder_of_its_own(people, settings, tmp_path):
    """An attempt taken up again after the first one's lease ran out runs beside it: each
    writes, keeps and cleans up its own folder, whichever ends first."""
    settings.MEDIA_ROOT, settings.EXPORT_WORK_DIR = str(tmp_path / "media"), str(tmp_path / "work")
    job = Job.objects.create(kind="test.export", key=f"export/{people.manager.pk}/all/{'d' * 24}/0",
                             started_by=people.manager, attempts=1, state=JobState.RUNNING)
    retry = Job.objects.get(pk=job.pk)
    retry.attempts = 2  # the queue gave the job to another worker meanwhile
    first_half, retry_half, first_done = threading.Event(), threading.Event(), threading.Event()
    folders, results = {}, {}

    def writer(attempt, text, mine, theirs):
        def build(user, folder):
            folders[attempt] = folder
            path = folder / "cases.csv"
            path.write_text(f"code\n{text} half")
            mine.set()
            assert theirs.wait(10)
            with path.open("a") as rest:
                rest.write(f", {text} whole\n")
            return path
        return build

    def run(attempt_job, build, done=None):
        try:
            results[attempt_job.attempts] = exports.make(attempt_job, people.manager.pk, "zh-hans", "cases.csv", build)
        finally:
            if done is not None:
                done.set()

    first = threading.Thread(target=run, args=(job, writer(1, "first", first_half, retry_half), first_done))
    first.start()
    assert first_half.wait(10)  # the first attempt has half its file when the retry starts
    run(retry, writer(2, "retry", retry_half, first_done))  # …and the first ends while the retry writes
    first.join(10)
    assert results[1]["size"] == len("code\nfirst half, first whole\n")
    assert results[2]["size"] == len("code\nretry half, retry whole\n")
    with open(os.path.join(settings.MEDIA_ROOT, results[2]["file"]), "rb") as kept:
        assert kept.read() == b"code\nretry half, retry whole\n"
    assert folders[1] != folders[2] and [path for path in (tmp_path / "work").rglob("*")] == []
