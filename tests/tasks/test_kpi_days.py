"""The KPI day storage as a queued task: `kpi_days --enqueue` queues it, a worker stores the
days, asking again the same day finds the same job."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.kpi.test_daily import month  # noqa: F401 (a fixture)
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.worker import drain
from urbanmgmt.kpi.models import DayDone

pytestmark = pytest.mark.django_db


def test_kpi_days_enqueue_queues_the_storage_for_the_worker_once_a_day(month):  # noqa: F811
    out = io.StringIO()
    call_command("kpi_days", "--enqueue", stdout=out)
    job = Job.objects.get()
    assert "queued" in out.getvalue() and job.state == JobState.QUEUED and not DayDone.objects.exists()
    call_command("kpi_days", "--enqueue", stdout=io.StringIO())
    assert Job.objects.count() == 1  # the same day's run is one job
    assert drain() == 1
    job.refresh_from_db()
    today = timezone.localdate()
    assert job.state == JobState.DONE and job.result["stored"] == job.done > 0
    assert job.total == 401 and DayDone.objects.filter(day__lt=today - dt.timedelta(days=14)).exists()
