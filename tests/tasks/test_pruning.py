"""Finished jobs are pruned after settings.TASKS_KEEP_DAYS, by a periodic job of their own."""

import datetime as dt

import pytest
from django.utils import timezone

from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.worker import drain

pytestmark = pytest.mark.django_db


def test_the_daily_prune_deletes_the_jobs_finished_before_the_days_kept_and_nothing_else(settings):
    settings.TASKS_KEEP_DAYS = 30
    now = timezone.now()
    old, recent = now - dt.timedelta(days=31), now - dt.timedelta(days=29)
    for key, state, finished in [("old done", JobState.DONE, old), ("old failed", JobState.FAILED, old),
                                 ("recent", JobState.DONE, recent), ("running", JobState.RUNNING, None),
                                 ("waiting", JobState.RETRYING, None)]:
        Job.objects.create(kind="urbanmgmt.jobs.queue.ping", key=key, state=state, finished_at=finished,
                           created_at=old)
    prune = next(job for job in schedule() if job.kind == "urbanmgmt.jobs.periodic.prune_jobs")
    while drain():
        pass
    prune.refresh_from_db()
    assert prune.state == JobState.DONE and prune.result == {"deleted": 2}
    assert set(Job.objects.filter(kind="urbanmgmt.jobs.queue.ping").values_list("key", flat=True)) == {
        "recent", "running", "waiting"}
