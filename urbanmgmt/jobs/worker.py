"""Running the queue's tasks: the worker process (`manage.py tasks_worker`) and, for tests
and one-off runs, draining the database queue in this process."""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django_tasks import task_backends
from django_tasks_db.utils import is_locked_database_exception

from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.queue import sweep, uses_the_database

logger = logging.getLogger(__name__)


def drain(backend: str = "default") -> int:
    """Run every task due in the database queue now, in this process and its transaction
    (db_worker's loop would close a connection inside one), with db_worker's own task runner.
    Returns how many ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name=backend, startup_delay=False,
                    max_tasks=None, worker_id="drain", excluded_queue_names=[])
    ran = 0
    while (result := DBTaskResult.objects.ready().filter(backend_name=backend).first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran


class Sweeper(threading.Thread):
    """Takes up jobs whose worker is gone and enqueues the periodic jobs that are due
    (jobs/periodic.py), beside the worker's own loop, every half lease; with Redis it also
    delivers the retries that are due, so there every half of the first retry's wait where
    that is shorter (the database queue keeps its own run_after)."""

    def __init__(self):
        super().__init__(daemon=True, name="job-sweeper")
        self.stop = threading.Event()

    def run(self) -> None:
        while True:
            try:
                sweep()
                schedule()
            except Exception:  # a locked or restarting database: try again next round
                logger.exception("sweeping lost jobs and scheduling periodic ones")
            finally:
                connection.close()
            if self.stop.wait(period()):
                return


def period() -> float:
    """Seconds between the sweeper's rounds (see Sweeper)."""
    if uses_the_database():
        return settings.TASKS_LEASE_S / 2
    return min(settings.TASKS_LEASE_S, settings.TASKS_RETRY_BASE_S) / 2


def _database_worker(burst: bool, interval: float, verbosity: int) -> None:
    # db_worker gives up when SQLite stays locked past its timeout as it begins a look at the
    # queue (a long write elsewhere on a loaded machine); the queue is intact: look again.
    while True:
        try:
            call_command("db_worker", queue_name="*", interval=interval, batch=burst, reload=False,
                         startup_delay=False, verbosity=verbosity)
            return
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            logger.warning("the database stayed locked (%s): looking at the queue again", exc)
            connection.close()


def work(*, burst: bool = False, interval: float = 0.5, verbosity: int = 1) -> None:
    """Run the configured queue's worker (django-tasks-db's db_worker, or RQ's worker) with
    the sweeper beside it. RQ's worker runs without its scheduler, a process it would fork
    from this one while the sweeper's thread runs: the sweeper delivers the retries."""
    sweeper = Sweeper()
    sweeper.start()
    try:
        if uses_the_database():
            _database_worker(burst, interval, verbosity)
        else:
            # SimpleWorker runs the task in the worker process: killing the worker stops the
            # work and its lease with it (a forked work-horse would outlive a kill -9).
            call_command("rqworker", *task_backends["default"].queues, job_class="django_tasks_rq.Job",
                         worker_class="rq.worker.SimpleWorker", with_scheduler=False, burst=burst,
                         verbosity=verbosity)
    finally:
        sweeper.stop.set()
