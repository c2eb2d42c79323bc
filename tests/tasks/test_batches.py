"""On Redis, jobs enqueued faster than one message goes out share a message; the guarantees
stay per job: jobs waiting behind a long one go back to the queue for other workers, and
those waiting behind a job whose worker died are delivered again with it. A redis-server of
the test's own, the jobs' rows in the test database."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from redis import Redis

from tests.tasks.processes import redis_server, wait_until
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import run_jobs, sweep
from urbanmgmt.jobs.redis import BatchWatch, outbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_queue(settings, tmp_path):
    with redis_server(tmp_path) as url:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
        settings.CACHES = {**settings.CACHES, "tasks-redis": {**settings.CACHES["tasks-redis"], "LOCATION": url}}
        yield Redis.from_url(url)


def jobs(n: int, **fields) -> list[int]:
    return [Job.objects.create(kind="urbanmgmt.jobs.queue.ping", key=f"batch-{time.monotonic_ns()}-{i}", params={},
                               max_attempts=3, **fields).pk for i in range(n)]


def messages(redis) -> list[list[int]]:
    """The job ids each waiting message carries."""
    from django_tasks import task_backends

    backend = task_backends["default"]
    out = []
    for task_id in redis.lrange("rq:queue:default", 0, -1):
        result = backend.get_result(task_id.decode())
        ids = result.args[0]
        out.append(ids if isinstance(ids, list) else [ids])
    return out


def test_jobs_enqueued_together_go_in_one_message(redis_queue, settings):
    settings.TASKS_BATCH = 10
    ids = jobs(25)
    for job_id in ids:
        outbox.ids.put(job_id)
    outbox.flush()
    sent = messages(redis_queue)
    assert [len(m) for m in sent] == [10, 10, 5] and sorted(sum(sent, [])) == ids
    assert Job.objects.filter(pk__in=ids, task_id="").count() == 0


def test_jobs_waiting_behind_a_long_one_go_back_to_the_queue(redis_queue, settings):
    settings.TASKS_BATCH_HOLD_S = 0.3
    long_one, *waiting = jobs(4)
    ran = []

    def execute(job_id: int) -> str:
        ran.append(job_id)
        if job_id == long_one:
            time.sleep(1.2)
        return "done"

    assert BatchWatch().run([long_one, *waiting], execute) == ["done"]
    assert ran == [long_one] and messages(redis_queue) == [waiting]


def test_jobs_behind_a_job_whose_worker_died_are_delivered_again(redis_queue):
    message = "rq-message-1"
    gone = timezone.now() - dt.timedelta(seconds=5)
    lost = jobs(1, task_id=message, state=JobState.RUNNING, attempts=1, lease_until=gone)
    behind = jobs(3, task_id=message)
    assert sweep() == 1
    wait_until(lambda: sorted(sum(messages(redis_queue), [])) == sorted(lost + behind), 10, "the deliveries")
    assert Job.objects.get(pk=lost[0]).state == JobState.RETRYING


def test_a_message_of_several_jobs_runs_each_once(redis_queue):
    ids = jobs(3)
    Job.objects.filter(pk=ids[1]).update(state=JobState.DONE)  # done already: a second delivery does nothing
    assert run_jobs.call(ids) == [JobState.DONE, "skipped", JobState.DONE]
    assert list(Job.objects.filter(pk__in=ids).values_list("attempts", flat=True).order_by("pk")) == [1, 0, 1]


def test_when_a_job_cannot_even_start_the_jobs_behind_it_go_back_to_the_queue(redis_queue):
    first, *behind = jobs(3)

    def execute(job_id: int) -> str:
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError):
        BatchWatch().run([first, *behind], execute)
    assert messages(redis_queue) == [behind]
