"""Real worker processes (`manage.py tasks_worker`) on the test database, on the database
queue and on a redis-server of the test's own: a worker killed with SIGKILL in the middle of
a 12345 import is replaced and the import completes exactly once; a failing task is retried
after its wait, by a worker that forks no process (no RQ scheduler: the sweeper delivers it)."""

import contextlib
import os
import signal

import pytest

from tests.hotline.helpers import csv_bytes, row
from tests.hotline.test_intake_pages import named_file, signed_in
from tests.tasks.processes import kill, queue_on, start_worker, wait_until
from urbanmgmt.hotline import uploads
from urbanmgmt.hotline.importer import BATCH_SIZE
from urbanmgmt.hotline.models import HotlineTicket, ImportRun
from urbanmgmt.jobs.models import Job, JobState

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("queue", ["database", "redis"])]


@pytest.fixture
def queue_env(queue, settings, tmp_path):
    """The queue the test process enqueues to and the workers' environment for it."""
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the workers' (URBANMGMT_VAR_DIR/media)
    with queue_on(queue, tmp_path, settings) as env:
        yield env


@contextlib.contextmanager
def worker(tmp_path, env, name):
    log = tmp_path / f"{name}.log"
    process = start_worker(tmp_path, log, **env)
    try:
        yield process
    except BaseException:
        print(f"--- {name} worker's log ---\n{log.read_text(errors='replace')[-5000:]}")
        raise
    finally:
        if process.poll() is None:
            kill(process, signal.SIGTERM)


def finished(run: ImportRun) -> bool:
    return ImportRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists()


def test_an_import_whose_worker_is_killed_mid_file_completes_exactly_once(queue_env, empty_history_after, people,
                                                                        tmp_path):
    rows = [row(f"K{i}", kind="咨询", text="咨询垃圾分类时间", 答复内容="已答复") for i in range(BATCH_SIZE + 2500)]
    client = signed_in(people.dispatcher)
    assert client.post("/hotline/import/", {"file": named_file(csv_bytes(rows), "k.csv"), "source": "kill"}).status_code == 302
    run = ImportRun.objects.get()
    with worker(tmp_path, queue_env, "first") as first:
        # The first batch is in and the second is being read: kill -9, no goodbye.
        wait_until(lambda: ImportRun.objects.filter(pk=run.pk, done__gt=0).exists(), 240, "the first batch")
        kill(first)
    assert not finished(run) and HotlineTicket.objects.filter(source="kill").count() == BATCH_SIZE
    with worker(tmp_path, queue_env, "second"):
        wait_until(lambda: finished(run), 240, "the import to finish", step=0.2)
    run.refresh_from_db()
    job = uploads.job_of(run)
    assert not run.error and job.state == JobState.DONE and job.attempts >= 2, (run.error, job.as_status())
    assert HotlineTicket.objects.filter(source="kill").count() == len(rows)
    assert (run.summary["total"], run.summary["created"], run.summary["updated"]) == (len(rows), 2500, BATCH_SIZE)
    assert any("中断" in note for note in run.summary["notes"])
    assert not list((tmp_path / "media" / "hotline_imports").iterdir())


def test_a_failing_task_is_retried_by_a_worker_after_its_wait(queue_env, empty_history_after, tmp_path):
    from tests.tasks.work import flaky

    job = flaky.enqueue("on a worker", fail_times=1)
    with worker(tmp_path, queue_env, "worker") as process:
        wait_until(lambda: Job.objects.filter(pk=job.pk, state=JobState.DONE).exists(), 60, "the retry", step=0.1)
        # A process forked from the worker while its sweeper's thread runs may inherit a held
        # lock and hang (RQ's scheduler once did, before its first line: no retry came).
        assert children(process.pid) == []
    job.refresh_from_db()
    assert (job.attempts, job.result) == (2, {"attempt": 2})


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
    return out
