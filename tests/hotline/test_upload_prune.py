"""Kept 12345 upload files that no import will read again are removed by a daily job."""

import datetime as dt

import pytest
from django.utils import timezone

from urbanmgmt import storage
from urbanmgmt.hotline.models import ImportRun
from urbanmgmt.hotline.uploads import UPLOAD_DIR, import_upload, prune_upload_files, stored_name
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.worker import drain

pytestmark = pytest.mark.django_db


def kept(run: ImportRun) -> str:
    name = stored_name(run)
    storage.write(name, b"ticket_no,title\n")
    return name


def run_with(job_state=None, *, finished=False, days_old=0) -> ImportRun:
    run = ImportRun.objects.create(source="hz12345", filename="tickets.csv",
                                   finished_at=timezone.now() if finished else None)
    ImportRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(days=days_old))
    if job_state:
        Job.objects.create(kind=import_upload.kind, key=f"run{run.pk}", state=job_state)
    return ImportRun.objects.get(pk=run.pk)


def test_the_daily_job_removes_the_files_no_import_will_read_and_keeps_the_others(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    removed = {kept(run_with(JobState.DONE, finished=True)),
               kept(run_with(JobState.FAILED, days_old=2)),  # its worker died every time
               kept(run_with(None, days_old=2))}             # the page died before queueing it
    waiting = {kept(run_with(JobState.RETRYING, days_old=2)), kept(run_with(JobState.QUEUED)),
               kept(run_with(None))}                         # queued a moment from now
    deleted_run = run_with(None)
    removed.add(kept(deleted_run))
    deleted_run.delete()
    storage.write(f"{UPLOAD_DIR}/notes.txt", b"not a run's file")
    prune = next(job for job in schedule() if job.kind == prune_upload_files.kind)
    while drain():
        pass
    prune.refresh_from_db()
    assert prune.state == JobState.DONE and prune.result == {"removed": 4}
    _dirs, left = storage.store().listdir(UPLOAD_DIR)
    assert {f"{UPLOAD_DIR}/{name}" for name in left} == waiting | {f"{UPLOAD_DIR}/notes.txt"}


def test_with_nothing_ever_uploaded_there_is_nothing_to_remove(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "empty")
    job = prune_upload_files.enqueue("once")
    drain()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result == {"removed": 0}
