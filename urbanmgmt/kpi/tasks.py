"""The KPI day storage as background work: `manage.py kpi_days --enqueue` (from cron, or a
systemd timer, nightly) queues it for the task worker."""

import datetime as dt

from django.utils import timezone

from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background, progress


def period(year: int | None = None) -> tuple[dt.date, dt.date]:
    """A calendar year up to today, or the last 400 days."""
    today = timezone.localdate()
    if year:
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    return today - dt.timedelta(days=400), today


@background()
def store_kpi_days(job: Job, first: str, last: str, forget: bool = False) -> dict:
    """Store the managers' figures per day for [first, last] (ISO dates); storing a day again
    recounts it, so running it twice stores the same figures."""
    from urbanmgmt.kpi import daily
    from urbanmgmt.kpi.excel import store_days

    if forget:
        daily.forget()
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    stored = store_days(start, end)
    progress(job, stored, (end - start).days + 1)
    return {"stored": stored}


def enqueue_kpi_days(first: dt.date, last: dt.date, forget: bool = False, started_by=None) -> Job:
    """Queue the storage of [first, last]; once per period and day it is asked on (the
    nightly run of one day is one job, however often it is asked for)."""
    key = f"{first}/{last}/{'forget' if forget else 'keep'}@{timezone.localdate()}"
    return store_kpi_days.enqueue(key, started_by=started_by, first=first.isoformat(), last=last.isoformat(),
                                  forget=forget)
