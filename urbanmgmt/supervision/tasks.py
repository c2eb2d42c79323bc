"""Supervision as background work: the periodic sweep of the rules (settings.PERIODIC_JOBS
enqueues it every SUPERVISION_SWEEP_S seconds, urbanmgmt/jobs/periodic.py)."""

from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background
from urbanmgmt.supervision import rules


@background()
def sweep_supervision(job: Job) -> dict:
    """Apply the supervision rules once and escalate late answers (rules.sweep)."""
    return rules.sweep()
