"""Benchmark of the supervision sweep (issue #18) on SpatiaLite.

The demo city plays the last BENCH_SUPERVISION_DAYS days (21 by default) of a Lianyungang
year up to now (demo.simulate at the "lianyungang" scale: 292,200 collector reports and
575,774 12345 tickets a year, through the bulk ledger and the hotline import). The open
cases a year leaves at its end are those of its last weeks (a case's life is days long);
the ones suspended earlier (0.3 % of the dispatched, about a thousand a year) stay open
too, are never overdue and cost the sweep one row each: the window's open cases are
printed with the figure.

- supervision_sweep_ms: one pass of every default rule (fixtures/supervision/rules.json)
  over those open cases and the week's tickets, as the periodic job runs it: the notices
  raised with their history, the handlers' notifications and e-mail deliveries recorded
  and their sending queued, the late answers escalated. The first pass, which raises
  everything (a second pass, which finds it all raised, is printed too).

BENCH_SUPERVISION_REUSE=1 measures an earlier run's database again (its notices emptied).
"""

import datetime as dt
import os
import sys
import time

from common import ROOT, Timer, bench, load_demo_city, setup_django

DB = "bench_supervision.sqlite3"
DAYS = int(os.environ.get("BENCH_SUPERVISION_DAYS", "21"))


def simulate() -> None:
    from django.utils import timezone

    from demo.simulate import SCALES, Simulator

    today = timezone.localdate()
    with Timer() as timer:
        made = Simulator(SCALES["lianyungang"]).run(today - dt.timedelta(days=DAYS - 1), today)
    print(f"  (simulated {DAYS} days, {made:,} cases, in {timer.seconds:.0f} s)")


def reuse() -> None:
    """Point Django at the earlier run's database and empty its supervision tables (the
    history last: its trigger refuses to delete the events of an existing notice)."""
    sys.path.insert(0, str(ROOT))
    os.environ["SQLITE_PATH"] = str(ROOT / "var" / DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("supervision_delivery", "supervision_notification", "supervision_notice",
                      "supervision_noticeevent"):
            cursor.execute(f"DELETE FROM {table}")


def main() -> None:
    if os.environ.get("BENCH_SUPERVISION_REUSE"):
        reuse()
    else:
        setup_django(DB)
        load_demo_city()
        simulate()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from urbanmgmt.cases.models import Case
    from urbanmgmt.org import roles as R
    from urbanmgmt.supervision import rules
    from urbanmgmt.supervision.models import Delivery, Notice, Notification

    for user in get_user_model().objects.filter(groups__name=R.HANDLER):
        user.email = f"{user.username}@example.invalid"
        user.save(update_fields=["email"])
    now = timezone.now()
    open_cases = Case.objects.open()
    print(f"  ({open_cases.count():,} open cases, {open_cases.overdue(now).count():,} overdue, "
          f"{open_cases.filter(state='suspended').count():,} suspended)")
    started = time.perf_counter()
    first = rules.sweep(now)
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    second = rules.sweep(now)
    second_ms = (time.perf_counter() - started) * 1000
    print(f"  (first pass raised {first['raised']}, escalated {first['escalated']}: {Notice.objects.count():,} "
          f"notices, {Notification.objects.count():,} notifications, {Delivery.objects.count():,} deliveries)")
    print(f"  (second pass: {second_ms:.0f} ms, raised {sum(second['raised'].values())})")
    bench("supervision_sweep_ms", first_ms, "ms")


if __name__ == "__main__":
    main()
