"""The task queue on its embedded backend (the database), run by django-tasks-db's own task
runner in this process: idempotent enqueueing and delivery, retries with backoff, errors
kept for the starter, lost workers and lost messages taken up again."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from tests.tasks.work import flaky, noop
from urbanmgmt.errors import DomainError
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import background, backoff, execute, sweep
from urbanmgmt.jobs.worker import drain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.TASKS_RETRY_BASE_S = 0.05


@background()
def refuse(job) -> dict:
    raise DomainError("这个文件不是工单表。")


@background(max_attempts=2)
def unrecordable(job) -> dict:
    return {"at": timezone.now()}  # a result JSON cannot hold: the database refuses the finish


def queued_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


def test_enqueueing_the_same_key_twice_makes_one_job_and_one_delivery(people):
    first = noop.enqueue("k1", started_by=people.dispatcher)
    again = noop.enqueue("k1", started_by=people.dispatcher)
    assert first.pk == again.pk and Job.objects.count() == 1 and queued_tasks() == 1
    assert first.task_id and first.state == JobState.QUEUED and first.started_by == people.dispatcher
    assert drain() == 1
    assert Job.objects.get().state == JobState.DONE and noop.enqueue("k1").state == JobState.DONE
    assert queued_tasks() == 0  # a finished job is not queued again


def test_a_job_delivered_twice_runs_once():
    job = flaky.enqueue("twice", fail_times=0)
    assert execute(job.pk) == JobState.DONE
    assert execute(job.pk) == "skipped"  # the second delivery finds it done
    job.refresh_from_db()
    assert (job.state, job.attempts, job.result) == (JobState.DONE, 1, {"attempt": 1})


def test_a_failing_job_is_retried_with_doubling_waits_then_succeeds(settings):
    # Long enough that a drain on a loaded machine ends before the retry is due.
    settings.TASKS_RETRY_BASE_S = 0.5
    job = flaky.enqueue("flaky", fail_times=2)
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.RETRYING, 1) and "attempt 1 breaks" in job.error
    first_wait = (job.run_after - job.started_at).total_seconds()
    assert 0.375 <= first_wait <= 0.625 + 0.05  # 0.5 s ± 25 %
    assert drain() == 0  # not due yet: the retry waits
    time.sleep(first_wait)
    drain()
    job.refresh_from_db()
    second_wait = (job.run_after - job.started_at).total_seconds()
    assert (job.state, job.attempts) == (JobState.RETRYING, 2) and 0.75 <= second_wait <= 1.25 + 0.05
    time.sleep(second_wait)
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.result, job.error) == (JobState.DONE, 3, {"attempt": 3}, "")


def test_a_finish_the_database_refuses_fails_the_attempt_instead_of_leaving_the_job_running(settings):
    settings.TASKS_RETRY_BASE_S = 0.5  # the first drain ends before the retry is due
    job = unrecordable.enqueue("unrecordable")
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.lease_until) == (JobState.RETRYING, 1, None) and "datetime" in job.error
    time.sleep(max(0.0, (job.run_after - timezone.now()).total_seconds()))
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.FAILED, 2) and "datetime" in job.error


def test_backoff_doubles_with_jitter_and_stops_growing(settings):
    settings.TASKS_RETRY_BASE_S, settings.TASKS_RETRY_MAX_S = 10, 600
    assert 7.5 <= backoff(1) <= 12.5 and 15 <= backoff(2) <= 25 and 30 <= backoff(3) <= 50
    assert 450 <= backoff(12) <= 750


def test_a_job_failing_every_attempt_ends_failed_with_the_error_in_the_users_language():
    job = flaky.enqueue("broken", fail_times=5)
    for _attempt in range(3):
        drain()
        job.refresh_from_db()
        if job.run_after:
            time.sleep(max(0.0, (job.run_after - timezone.now()).total_seconds()))
    assert (job.state, job.attempts) == (JobState.FAILED, 3) and job.finished_at
    assert job.error == "任务中止：attempt 3 breaks"
    assert job.as_status()["state_label"] == "失败"


def test_a_users_error_is_not_retried():
    job = refuse.enqueue("bad file")
    drain()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.FAILED, 1, "这个文件不是工单表。")


def test_a_job_whose_worker_died_runs_again_and_on_its_last_attempt_fails_saying_so():
    gone = timezone.now() - dt.timedelta(seconds=1)
    lost = Job.objects.create(kind=flaky.kind, key="lost", params={"fail_times": 0}, state=JobState.RUNNING,
                              attempts=1, lease_until=gone)
    last = Job.objects.create(kind=flaky.kind, key="last", params={"fail_times": 0}, state=JobState.RUNNING,
                              attempts=3, lease_until=gone)
    alive = Job.objects.create(kind=flaky.kind, key="alive", params={"fail_times": 0}, state=JobState.RUNNING,
                               attempts=1, lease_until=timezone.now() + dt.timedelta(minutes=1))
    assert sweep() == 2 and sweep() == 0  # each lost job taken up once
    drain()
    lost.refresh_from_db(), last.refresh_from_db(), alive.refresh_from_db()
    assert (lost.state, lost.attempts, lost.result) == (JobState.DONE, 2, {"attempt": 2})
    assert last.state == JobState.FAILED and "3 次" in last.error
    assert alive.state == JobState.RUNNING  # its worker still renews the lease


def test_a_lost_message_is_delivered_again(settings):
    from django_tasks_db.models import DBTaskResult

    job = noop.enqueue("lost message")
    DBTaskResult.objects.all().delete()  # the queue lost it (a Redis restarted without its data)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert drain() == 0
    assert sweep() == 1 and drain() == 1
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_the_admin_lists_the_jobs_with_their_state(people):
    from django.test import Client

    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    flaky.enqueue("shown", fail_times=0, started_by=people.dispatcher)
    client = Client()
    client.force_login(people.admin)
    page = client.get("/admin/jobs/job/")
    assert page.status_code == 200 and "shown" in page.content.decode() and "排队中" in page.content.decode()
