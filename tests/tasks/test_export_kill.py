"""A large export whose task worker is killed (SIGKILL, with its GIS writer) in the middle of
writing is taken up by another worker once its lease runs out, and ends as one whole file in
the media store, named by its job (issue #19): nothing of the killed attempt is left, neither
its working folder nor a partial copy in the store."""

import signal

import pytest
from django.test import Client

from tests.builders import report_case
from tests.tasks.processes import kill, start_worker, wait_until
from urbanmgmt.grids.gisio import read_frame
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.storage.exports import job_token

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CASES = 120


def test_an_export_whose_worker_dies_mid_file_is_made_again_as_one_file(empty_history_after, people, category,
                                                                        settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the workers' (URBANMGMT_VAR_DIR/media)
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 10
    for i in range(CASES):
        report_case(people.inspector, category, 0.5 + i % 6, 0.5 + i % 4, description=f"第{i}件")
    client = Client()
    client.force_login(people.manager)
    answer = client.post("/api/v1/map/export/?layer=cases&as=gpkg&open=all")
    assert answer.status_code == 202, answer.content
    job = Job.objects.get(pk=answer.json()["id"])
    # A frame a case: long enough to be killed in. Its own temporary folder: what an attempt
    # leaves there is seen.
    (tmp_path / "tmp").mkdir()
    # The workers' SECRET_KEY is this process's, as every node's is one: the job's file token.
    env = {"REDIS_URL": "", "EXPORT_FRAME_ROWS": "1", "TMPDIR": str(tmp_path / "tmp"), "SECRET_KEY": settings.SECRET_KEY}
    first = start_worker(tmp_path, tmp_path / "first.log", **env)
    try:
        wait_until(lambda: Job.objects.filter(pk=job.pk, done__gte=10, state=JobState.RUNNING).exists(), 180,
                   "the export to be under way")
    except AssertionError:
        print(Job.objects.get(pk=job.pk).as_status(), (tmp_path / "first.log").read_text(errors="replace")[-5000:])
        raise
    finally:
        kill(first)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.done < CASES and not (tmp_path / "media" / "exports").exists()
    assert leftovers(tmp_path), "the killed attempt's working folder"
    # What a worker killed while copying the file into the store leaves: a partial copy.
    part = tmp_path / "media" / "exports" / str(people.manager.pk) / job_token(job) / f"cases.gpkg.{'c' * 32}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"SQLite format 3\x00 half")
    second = start_worker(tmp_path, tmp_path / "second.log", **env)
    try:
        wait_until(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists(), 240,
                   "the export to be made again", step=0.2)
    except AssertionError:
        print((tmp_path / "second.log").read_text(errors="replace")[-5000:])
        raise
    finally:
        kill(second, signal.SIGTERM)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done, job.total) == (JobState.DONE, 2, CASES, CASES), job.as_status()
    files = [path for path in (tmp_path / "media" / "exports").rglob("*") if path.is_file()]
    assert [str(path.relative_to(tmp_path / "media")) for path in files] == [job.result["file"]]
    assert leftovers(tmp_path) == []
    assert sorted(read_frame(files[0])["descr"]) == sorted(f"第{i}件" for i in range(CASES))


def leftovers(var_dir) -> list:
    """The working folders and files the workers' exports left (in EXPORT_WORK_DIR, by default
    under their URBANMGMT_VAR_DIR, or in their temporary folder)."""
    return [*(var_dir / "tmp").iterdir(), *((var_dir / "export-work").iterdir() if (var_dir / "export-work").exists()
                                             else [])]
