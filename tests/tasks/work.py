"""Background work for the queue's tests and benchmark: importable by a worker process."""

from urbanmgmt.jobs.queue import background


@background()
def noop(job) -> dict:
    return {}


@background(max_attempts=3)
def flaky(job, fail_times: int) -> dict:
    """Fails its first `fail_times` attempts, then succeeds saying on which attempt."""
    if job.attempts <= fail_times:
        raise RuntimeError(f"attempt {job.attempts} breaks")
    return {"attempt": job.attempts}
