import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from urbanmgmt.jobs.models import Job
from urbanmgmt.kpi.tasks import enqueue_kpi_days, period, store_kpi_days


class Command(BaseCommand):
    help = ("Store the managers' figures per day for a period (every table of the workbook), so the "
            "dashboard's first look at it is quick; --forget drops every stored day first. Days that "
            "later writes touch are counted again by themselves when next read. With --enqueue the "
            "task worker does it (the nightly run from cron or a timer).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="a calendar year (default: the last 400 days)")
        parser.add_argument("--forget", action="store_true", help="drop every stored day first")
        parser.add_argument("--enqueue", action="store_true", help="queue it for the task worker and return")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["year"] and not 2000 <= options["year"] <= today.year:
            raise CommandError(f"--year must lie between 2000 and {today.year}")
        first, last = period(options["year"])
        if options["enqueue"]:
            job = enqueue_kpi_days(first, last, forget=options["forget"])
            self.stdout.write(f"job {job.pk} ({job.state}): day figures for {first} … {last}")
            return
        started = time.monotonic()
        job = Job(kind=store_kpi_days.kind, key="here")  # run here, now: nothing queued
        stored = store_kpi_days(job, first=first.isoformat(), last=last.isoformat(), forget=options["forget"])["stored"]
        self.stdout.write(f"{stored:,} day figures stored for {first} … {last} in {time.monotonic() - started:,.1f} s")
