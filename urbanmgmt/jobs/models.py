"""A piece of background work as its starter sees it: state, attempts, progress, error.

The queue (Django's tasks API, urbanmgmt/jobs/queue.py) only carries a job's id; the job row
is what makes the work idempotent (one row per kind and key), retried (attempts, run_after)
and recoverable (a running job holds a lease its worker renews; an expired lease means the
worker is gone)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    RETRYING = "retrying", _("waiting to retry")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Job(models.Model):
    """One piece of background work (后台任务), e.g. the import of an uploaded 12345 file."""

    kind = models.CharField(_("kind"), max_length=120)
    # Enqueueing the same kind and key again returns this job instead of doing the work twice.
    key = models.CharField(_("key"), max_length=120)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("most attempts"), default=3)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    run_after = models.DateTimeField(_("run after"), null=True, blank=True)
    # While running: the worker renews this; once past, the worker is taken for dead.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The queue's id of the latest delivery (django-tasks' TaskResult id).
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="job_kind_key_unique")]
        indexes = [models.Index(fields=["state", "lease_until"], name="job_state_lease")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def last_attempt(self) -> bool:
        """The attempt running now is the last one allowed."""
        return self.attempts >= self.max_attempts

    def as_status(self) -> dict:
        """What its starter is shown: state, attempts, progress, error."""
        return {"id": self.pk, "state": self.state, "state_label": str(self.get_state_display()),
                "attempts": self.attempts, "max_attempts": self.max_attempts, "done": self.done,
                "total": self.total, "error": self.error, "finished": self.finished,
                "retry_at": self.run_after.isoformat() if self.state == JobState.RETRYING and self.run_after else None}
