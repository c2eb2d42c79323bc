import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from urbanmgmt.kpi import daily
from urbanmgmt.kpi.excel import store_days


class Command(BaseCommand):
    help = ("Store the managers' figures per day for a period (every table of the workbook), so the "
            "dashboard's first look at it is quick; --forget drops every stored day first. Days that "
            "later writes touch are counted again by themselves when next read.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="a calendar year (default: the last 400 days)")
        parser.add_argument("--forget", action="store_true", help="drop every stored day first")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["year"]:
            if not 2000 <= options["year"] <= today.year:
                raise CommandError(f"--year must lie between 2000 and {today.year}")
            first, last = dt.date(options["year"], 1, 1), min(dt.date(options["year"], 12, 31), today)
        else:
            first, last = today - dt.timedelta(days=400), today
        if options["forget"]:
            daily.forget()
        started = time.monotonic()
        stored = store_days(first, last)
        self.stdout.write(f"{stored:,} day figures stored for {first} … {last} in {time.monotonic() - started:,.1f} s")
