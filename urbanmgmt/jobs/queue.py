"""Background work through Django's tasks API (the django-tasks backport): one way in.

A function becomes background work with `@background()`; `fn.enqueue(key, **params)` stores
a Job row and hands its id to the queue configured in settings.TASKS (the database by
default, Redis with REDIS_URL). A worker (`manage.py tasks_worker`) runs `run_job`, which:

- claims the job with a compare-and-set on its state, so a second delivery of the same job
  (a retry racing a late worker, a message seen twice) does nothing: the work runs once;
- holds a lease on it, renewed by a thread while the work runs; a job whose lease ran out
  lost its worker (killed, the machine gone) and `sweep()` delivers it again;
- on an exception retries with exponential backoff up to `max_attempts`, except for a
  DomainError, whose message is for the user and will not change by trying again.

The work function takes the Job first (for `progress()` and `last_attempt`) and the
enqueued parameters, which must be JSON."""

import datetime as dt
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task, task_backends

from urbanmgmt.errors import DomainError
from urbanmgmt.jobs import rows
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.redis import batch_watch, outbox

logger = logging.getLogger(__name__)


class Background:
    """A function run by the queue; `enqueue()` starts it, calling it runs it here."""

    def __init__(self, function: Callable[..., Any], max_attempts: int | None):
        self.function = function
        self.kind = f"{function.__module__}.{function.__qualname__}"
        self.max_attempts = max_attempts
        self.__doc__ = function.__doc__

    def __call__(self, job: Job, **params: Any) -> Any:
        return self.function(job, **params)

    def enqueue(self, key: str, *, started_by=None, **params: Any) -> Job:
        """The job of this kind and key, created and queued unless it already exists (then
        it is returned as it is: enqueueing is idempotent)."""
        # The row first, the existing one on a conflict: a new job costs one INSERT, not a
        # SELECT, a savepoint and an INSERT. One commit for the row and (on the database
        # queue) its delivery; a conflict rolls back both.
        try:
            with transaction.atomic():
                job = Job.objects.create(kind=self.kind, key=key[:120], params=params, started_by=started_by,
                                         max_attempts=self.max_attempts or settings.TASKS_MAX_ATTEMPTS)
                deliver(job)
        except IntegrityError:
            existing = Job.objects.filter(kind=self.kind, key=key[:120]).first()
            if existing is None:  # another constraint (a user deleted meanwhile): not a second enqueue
                raise
            return existing
        return job


def background(max_attempts: int | None = None) -> Callable[[Callable[..., Any]], Background]:
    """Make `function(job, **params)` background work (see the module's docstring)."""
    return lambda function: Background(function, max_attempts)


def uses_the_database() -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


DUE = "due"  # the task id of a retry taken up by sweep(), until its message has one


def deliver(job: Job, run_after: dt.datetime | None = None) -> None:
    """Hand the job's id to the queue. In the database it goes in the same transaction as
    the job row; another queue gets it once the row is committed (a worker could not see
    it before), through this process's outbox (urbanmgmt/jobs/redis.py) unless it waits."""
    def send() -> None:
        chosen = run_job if run_after is None else run_job.using(run_after=run_after)
        job.task_id = str(chosen.enqueue(job.pk).id)
        Job.objects.filter(pk=job.pk).update(task_id=job.task_id)

    if uses_the_database():
        send()
    elif run_after is None:
        transaction.on_commit(lambda: outbox.put(job.pk), robust=True)  # a lost message: sweep() again
    # A later delivery through Redis waits in the database (run_after, no task id) until a
    # worker's sweep() finds it due: RQ's scheduler would be a process forked from the
    # worker, whose threads may hold a lock at that moment (its child once hung before its
    # first line, and the retry waited for the ten-minute redelivery).


def send_ids(job_ids: list[int]) -> None:
    """Deliver these jobs in one message (several: run_jobs) and note its id on them."""
    result = run_job.enqueue(job_ids[0]) if len(job_ids) == 1 else run_jobs.enqueue(job_ids)
    Job.objects.filter(pk__in=job_ids).update(task_id=str(result.id))


outbox.sender = send_ids


@task()
def run_job(job_id: int) -> str:
    """The queue's one task: run the job `job_id` once (see the module's docstring)."""
    with translation.override(settings.LANGUAGE_CODE):  # errors are kept in the city's language
        return execute(job_id)


@task()
def run_jobs(job_ids: list[int]) -> list[str]:
    """Several jobs delivered in one message, run one after the other as run_job runs each.
    Jobs still waiting when one runs past TASKS_BATCH_HOLD_S are delivered again for other
    workers (urbanmgmt/jobs/redis.py): a long import never holds quick jobs back."""
    with translation.override(settings.LANGUAGE_CODE):
        return batch_watch.run(job_ids, execute)


def execute(job_id: int) -> str:
    """Claim the job and run its work; returns the state it ended in (or "skipped" when it
    was not for this worker to run: finished or running elsewhere). A retry delivered a little
    early (clocks differ between machines) runs: waiting for a next delivery could wait long."""
    now = timezone.now()
    job = rows.claim(job_id, now, now + _lease())
    if job is None:
        return "skipped"
    renewed = not connection.in_atomic_block  # in a caller's transaction no other connection sees the job
    if renewed:
        _leases.hold(job)
    try:
        result = import_string(job.kind)(job, **job.params)
        # The work is done but not yet recorded: a finish the database refuses (a result
        # JSON cannot hold, a database locked past its timeout) is this attempt's failure,
        # retried or reported, not a job left running until its lease runs out.
        rows.finish(job, timezone.now(), result if isinstance(result, dict) else {})
    except Exception as exc:
        return _failed(job, exc)
    finally:
        if renewed:
            _leases.release(job)
    return JobState.DONE


def _failed(job: Job, exc: Exception) -> str:
    now = timezone.now()
    mine = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)
    if isinstance(exc, DomainError) or job.last_attempt:
        message = str(exc) if isinstance(exc, DomainError) else _("The work stopped: %(error)s") % {"error": exc}
        mine.update(state=JobState.FAILED, finished_at=now, lease_until=None, error=message)
        return JobState.FAILED
    logger.warning("job %s attempt %s failed, retrying", job.pk, job.attempts, exc_info=exc)
    retry_at = now + dt.timedelta(seconds=backoff(job.attempts))
    if mine.update(state=JobState.RETRYING, run_after=retry_at, lease_until=None, task_id="",
                   error=_("Attempt %(n)s failed (%(error)s); trying again.") % {"n": job.attempts, "error": exc}):
        deliver(job, retry_at)
    return JobState.RETRYING


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling, ±25 % jitter
    so that jobs failing together do not come back together."""
    base = settings.TASKS_RETRY_BASE_S * 2 ** (attempts - 1)
    return min(base, settings.TASKS_RETRY_MAX_S) * random.uniform(0.75, 1.25)  # noqa: S311


def progress(job: Job, done: int, total: int) -> None:
    """Record how far the job is (units of the job's choosing) and renew its lease."""
    job.done, job.total = done, total
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
        done=done, total=total, lease_until=timezone.now() + _lease())


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TASKS_LEASE_S)


class _LeaseKeeper:
    """One thread per process renews the leases of the jobs running in it; it dies with its
    process, which is the point: a killed worker's leases run out."""

    def __init__(self):
        self.jobs: dict[int, int] = {}  # job id → attempt
        self.lock = threading.Lock()
        self.pid = 0

    def hold(self, job: Job) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first job in this process (or a fork of it)
                self.pid = os.getpid()
                threading.Thread(target=self.run, daemon=True, name="job-leases").start()
            self.jobs[job.pk] = job.attempts

    def release(self, job: Job) -> None:
        with self.lock:
            self.jobs.pop(job.pk, None)

    def run(self) -> None:
        while True:
            time.sleep(settings.TASKS_LEASE_S / 3)
            with self.lock:
                held = list(self.jobs.items())
            try:
                for job_id, attempts in held:
                    Job.objects.filter(pk=job_id, state=JobState.RUNNING, attempts=attempts).update(
                        lease_until=timezone.now() + _lease())
            except Exception:  # the work itself will meet the same trouble and say so
                logger.exception("renewing the leases of jobs %s", held)
            finally:
                connection.close()


_leases = _LeaseKeeper()


def sweep() -> int:
    """Deliver the retries now due that wait in the database (see deliver), and again the
    jobs whose worker is gone (lease run out) or whose message was lost (due for longer than
    TASKS_REDELIVER_S); a job that lost its worker on its last attempt fails saying so.
    Returns how many jobs it took up. Safe to run in every worker at once: each job is taken
    by one compare-and-set."""
    now = timezone.now()
    taken = 0
    if not uses_the_database():
        for job in Job.objects.filter(state=JobState.RETRYING, task_id="", run_after__lte=now):
            if Job.objects.filter(pk=job.pk, state=JobState.RETRYING, task_id="").update(task_id=DUE, run_after=now):
                deliver(job)
                taken += 1
    for job in Job.objects.filter(state=JobState.RUNNING, lease_until__lt=now):
        taken += _take_up_lost(job, now)
    stale = now - dt.timedelta(seconds=settings.TASKS_REDELIVER_S)
    waiting = Job.objects.filter(Q(run_after__lt=stale) | Q(run_after__isnull=True, created_at__lt=stale),
                                 state__in=[JobState.QUEUED, JobState.RETRYING])
    for job in waiting:
        if Job.objects.filter(pk=job.pk, state=job.state, run_after=job.run_after).update(run_after=now):
            deliver(job)
            taken += 1
    return taken


def _take_up_lost(job: Job, now: dt.datetime) -> int:
    mine = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts, lease_until=job.lease_until)
    with translation.override(settings.LANGUAGE_CODE):
        if job.last_attempt:
            return mine.update(state=JobState.FAILED, finished_at=now, lease_until=None, error=_(
                "The worker running it stopped %(n)s times (killed or restarted); it was not tried again.")
                % {"n": job.attempts})
        if not mine.update(state=JobState.RETRYING, run_after=now, lease_until=None, error=_(
                "The worker running it stopped (killed or restarted); it runs again.")):
            return 0
    logger.warning("job %s lost its worker on attempt %s: delivering it again", job.pk, job.attempts)
    _close_lost_delivery(job.task_id)
    deliver(job)
    if job.task_id and not uses_the_database():  # the jobs that waited behind it in the same message
        for waiting in Job.objects.filter(task_id=job.task_id, state=JobState.QUEUED).exclude(pk=job.pk):
            deliver(waiting)
    return 1


def _close_lost_delivery(task_id: str) -> None:
    """The database queue keeps a killed worker's task as running for ever: mark it failed.
    (RQ moves a dead worker's job to its failed registry by itself.)"""
    if not task_id or not uses_the_database():
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path="urbanmgmt.jobs.WorkerLost",
        traceback="The worker running this task stopped (its job's lease ran out).")


@background(max_attempts=1)
def ping(job: Job) -> dict:
    """Does nothing: shows that a worker answers, and measures the queue (bench/bench_tasks.py)."""
    return {}
