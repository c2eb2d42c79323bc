"""Periodic background work: settings.PERIODIC_JOBS maps a `@background` function's dotted
path to its period in seconds, and `schedule()` enqueues each one once per period.

Every task worker calls `schedule()` beside its sweep (worker.Sweeper); the job's key is the
period's slot (the moment divided by the period), and enqueueing is idempotent per kind and
key (queue.Background.enqueue), so N workers enqueue it once, and a worker down for a while
enqueues only the current slot, not the ones it missed."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import background


def slot_key(period_s: int, at: dt.datetime) -> str:
    """The key of the period that `at` falls in: the same for every moment of one period."""
    return f"every {period_s}s #{int(at.timestamp() // period_s)}"


def schedule(at: dt.datetime | None = None) -> list[Job]:
    """Enqueue each periodic job of settings.PERIODIC_JOBS for the period `at` falls in (now
    by default); returns the jobs, new or already there."""
    at = at or timezone.now()
    return [import_string(path).enqueue(slot_key(int(period_s), at))
            for path, period_s in getattr(settings, "PERIODIC_JOBS", {}).items()]


@background()
def prune_jobs(job: Job) -> dict:
    """Delete the jobs that finished more than settings.TASKS_KEEP_DAYS ago (periodic by
    itself, see settings.PERIODIC_JOBS); running, waiting and recent ones stay. A pruned
    job's key may be enqueued again as new work, so the days kept should exceed the life of
    any key that is enqueued twice on purpose (a 12345 import's key is its run's id, once)."""
    before = timezone.now() - dt.timedelta(days=settings.TASKS_KEEP_DAYS)
    deleted, _ = Job.objects.filter(state__in=[JobState.DONE, JobState.FAILED], finished_at__lt=before).delete()
    return {"deleted": deleted}
