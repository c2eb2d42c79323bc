"""A 12345 file uploaded to one node waits in the media store, not on that node's disk, so the
task worker of any machine imports it; with the store down the upload is refused whole."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.hotline.helpers import csv_bytes, row
from tests.storage.conftest import S3Server, use_bucket
from urbanmgmt.hotline.models import ImportRun
from urbanmgmt.hotline.uploads import stored_name
from urbanmgmt.jobs.worker import drain

pytestmark = [pytest.mark.slow, pytest.mark.django_db]  # against a moto server process


def upload(user, name: str):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    data = csv_bytes([row("S1", text="小区门口暴露垃圾没人清理"), row("S2", text="路灯不亮")])
    return client.post("/hotline/import/", {"file": SimpleUploadedFile(name, data), "source": "bucket"})


def test_an_uploaded_file_waits_in_the_bucket_and_is_removed_once_imported(bucket, people, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert upload(people.dispatcher, "tickets.csv").status_code == 302
    run = ImportRun.objects.get()
    assert stored_name(run) in bucket.keys() and not list(tmp_path.rglob("run*.csv"))
    drain()
    run.refresh_from_db()
    assert run.finished and not run.error and run.summary["total"] == 2, (run.error, run.summary)
    assert stored_name(run) not in bucket.keys()


def test_an_upload_while_the_store_is_down_is_refused_and_leaves_no_run(people, settings, tmp_path):
    server = S3Server()  # its own process: stopping it leaves the other tests' server alone
    server.start()
    try:
        use_bucket(settings, server)
        server.stop()
        settings.VAR_DIR = tmp_path
        answer = upload(people.dispatcher, "tickets.csv")
    finally:
        server.stop()
    assert answer.status_code == 503 and "文件存储" in answer.content.decode()
    assert not ImportRun.objects.exists() and not list(tmp_path.rglob("run*.csv"))
