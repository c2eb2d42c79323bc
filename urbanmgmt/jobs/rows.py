"""The two writes every job makes, its claim and its finish, as one SQL statement each.

They run once per job on every worker, so their cost is the queue's cost: the ORM spends
~0.3 ms of CPU compiling each filtered UPDATE or SELECT, the statement itself ~0.05 ms. The
claim is the compare-and-set of queue.py (queued or retrying → running, one attempt more, a
lease) and reads the claimed row back in the same statement (RETURNING, SQLite ≥ 3.35 and
PostgreSQL), so there is no moment where a job is claimed and not yet read. Same SQL on both
databases: only the table's name and the parameters' adaptation come from Django."""

import datetime as dt
import functools

from django.db import connection

from urbanmgmt.jobs.models import Job, JobState


@functools.cache
def _statements(vendor: str) -> tuple[str, str]:
    table = connection.ops.quote_name(Job._meta.db_table)
    claim = (f"UPDATE {table} SET state = %s, attempts = attempts + 1, started_at = %s, lease_until = %s "
             f"WHERE id = %s AND state IN (%s, %s) RETURNING *")
    finish = (f"UPDATE {table} SET state = %s, finished_at = %s, lease_until = NULL, error = '', result = %s "
              f"WHERE id = %s AND state = %s AND attempts = %s")
    return claim, finish


def claim(job_id: int, now: dt.datetime, lease_until: dt.datetime) -> Job | None:
    """Take the job `job_id` if it is queued or waiting to retry: running, one more attempt,
    leased until `lease_until`; returns it as it is now, or None when it was not to take."""
    sql = _statements(connection.vendor)[0]
    at = connection.ops.adapt_datetimefield_value
    params = [JobState.RUNNING.value, at(now), at(lease_until), job_id, JobState.QUEUED.value,
              JobState.RETRYING.value]
    taken = list(Job.objects.raw(sql, params))
    return taken[0] if taken else None


def finish(job: Job, now: dt.datetime, result: dict) -> int:
    """Mark the job done with `result`, if it is still this attempt's (a worker taken for
    dead may have lost it); returns how many rows changed (0 or 1). Raises what the database
    raises, and TypeError for a result that JSON cannot hold."""
    sql = _statements(connection.vendor)[1]
    stored = Job._meta.get_field("result").get_db_prep_save(result, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [JobState.DONE.value, connection.ops.adapt_datetimefield_value(now), stored,
                             job.pk, JobState.RUNNING.value, job.attempts])
        return cursor.rowcount
