import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.simulate import SCALES, Simulator
from urbanmgmt import dbstats
from urbanmgmt.kpi.excel import store_days


class Command(BaseCommand):
    help = ("Simulate a city year (or its last months) by the rules of the case services: "
            "--scale lianyungang (about 868,000 items a year) or demo (a few months, for make run).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="default: this year, up to today")
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--months", type=int, default=None, help="only the last N months of the year")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--through-services", action="store_true",
                            help="one service call per step instead of the bulk ledger (the same rows, ~50 times slower)")

    def handle(self, *args, **options):
        today = timezone.localdate()
        year = options["year"] or today.year
        if year > today.year:
            raise CommandError("a simulated year cannot lie in the future")
        last = min(dt.date(year, 12, 31), today)
        first = dt.date(year, 1, 1)
        if options["months"]:
            first = max(first, last - dt.timedelta(days=30 * options["months"]))
        started, shown = time.monotonic(), [-1]
        terminal = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            percent = int(100 * done / total) if total else 100
            if percent == shown[0] or (not terminal and percent % 10 and percent != 100):
                return
            shown[0] = percent
            width, rate = 30, done / max(1e-6, time.monotonic() - started)
            bar = f"[{'#' * (width * percent // 100):.<{width}}] {done:,}/{total:,} cases, {rate:,.0f}/s"
            sys.stderr.write(f"\r{bar}" if terminal else f"{bar}\n")
            sys.stderr.flush()

        made = Simulator(SCALES[options["scale"]], options["seed"], progress,
                         bulk=not options["through_services"]).run(first, last)
        sys.stderr.write("\n")
        dbstats.refresh()  # exact statistics: the year view's plans depend on them
        # The year's days' figures (all of it, as the dashboard's year view reads it), as the
        # dashboard would on its first look.
        stored = store_days(dt.date(year, 1, 1), last)
        self.stdout.write(f"simulated {made:,} cases from {first} to {last} ({stored:,} day figures stored) "
                          f"in {time.monotonic() - started:,.0f} s")
