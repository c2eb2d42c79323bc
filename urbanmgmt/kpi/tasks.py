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


@background()
def make_workbook(job: Job, user_id: int, language: str, title: str, period: dict) -> dict:
    """The managers' workbook of `period` (the dashboard's start, end and area) made in the
    background and kept for the user `user_id`; the job's progress counts its sheets."""
    from urbanmgmt.kpi.api import period_of
    from urbanmgmt.kpi.excel import write_workbook
    from urbanmgmt.kpi.xlsx import file_name
    from urbanmgmt.storage import exports

    start, end, area = period_of(period)
    name = file_name("urbanmgmt-kpi", start.date(), (end - dt.timedelta(days=1)).date())

    def build(user, folder):
        path = folder / name
        write_workbook(path, start, end, area, lambda done, total: progress(job, done, total))
        return path

    return exports.make(job, user_id, language, name, build)


@background()
def make_report(job: Job, user_id: int, language: str, title: str, kind: str, value: str, area: str = "") -> dict:
    """The daily or monthly report (`kind`, its day or month `value`, an area's code or the
    city) as Excel, made in the background and kept for the user `user_id`; its progress:
    the figures counted, then the workbook written."""
    from urbanmgmt.grids.models import Area
    from urbanmgmt.kpi.reports import summary
    from urbanmgmt.kpi.reports import workbook as report_workbook
    from urbanmgmt.storage import exports

    name = f"urbanmgmt-{kind}-{value}.xlsx"

    def build(user, folder):
        progress(job, 0, 2)
        data = summary(kind, value, Area.objects.filter(code=area).first() if area else None)
        progress(job, 1, 2)
        path = folder / name
        path.write_bytes(report_workbook(data))
        progress(job, 2, 2)
        return path

    return exports.make(job, user_id, language, name, build)
