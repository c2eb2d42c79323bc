"""Periodic jobs on the queue: enqueued once per period however many workers ask, and the
supervision sweep run by the queue, not by a page view."""

import datetime as dt

import pytest

from tests.supervision.conftest import MONDAY, dispatched_at
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.worker import drain
from urbanmgmt.supervision.models import Notice

pytestmark = pytest.mark.django_db

KIND = "urbanmgmt.supervision.tasks.sweep_supervision"


def test_a_periodic_job_is_enqueued_once_per_period(settings):
    settings.PERIODIC_JOBS = {KIND: 300}
    at = dt.datetime(2026, 12, 3, 10, 0, 10, tzinfo=dt.UTC)
    first = schedule(at)
    assert [j.pk for j in schedule(at + dt.timedelta(seconds=200))] == [j.pk for j in first]  # a second worker
    assert Job.objects.filter(kind=KIND).count() == 1
    schedule(at + dt.timedelta(seconds=300))
    assert Job.objects.filter(kind=KIND).count() == 2


def test_the_queue_runs_the_sweep_and_a_page_view_does_not(people, category, only, client, settings):
    only("overdue-4h")
    settings.PERIODIC_JOBS = {KIND: 300}
    dispatched_at(people, category, MONDAY)
    client.force_login(people.dispatcher)
    assert client.get("/supervision/").status_code == 200
    assert Notice.objects.count() == 0
    (job,) = schedule()
    assert drain() >= 1
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["raised"] == {"overdue-4h": 1}
    assert Notice.objects.count() == 1
