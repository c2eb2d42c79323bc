"""Benchmarks of the managers' side (issue #8) over a simulated Lianyungang year, SpatiaLite.

- simulate_year_s: `manage.py simulate_year --year 2025 --scale lianyungang` on the demo
  city (about 868,000 items: collector reports and 12345 tickets through the hotline
  import, every case's life through the bulk ledger), statistics refreshed at the end.
- dashboard_year_ms: server time of the dashboard's year view (/kpi/ for 2025-01-01 …
  2025-12-31, the whole city): the page plus every API call its script makes on load
  (quota, valid rate by channel, 12345 figures, campaigns, evaluation of inspectors),
  summed; through Django's test client in one process, so it is the server's time without
  the network. Warm: the median of 3 runs after a first (cold: the first run, printed too).
- excel_export_s: /kpi/export.xlsx for the same year (the workbook of every table), warm.

BENCH_KPI_REUSE=1 skips the simulation and measures an earlier run's database again.
"""

import os
import statistics
import sys
import time

from common import ROOT, Timer, bench, load_demo_city, setup_django

DB = "bench_kpi.sqlite3"
YEAR = 2025


def simulate() -> None:
    from django.conf import settings
    from django.core.management import call_command

    from urbanmgmt.kpi.loader import load_quotas, load_schemes

    load_demo_city()
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    with Timer() as timer:
        call_command("simulate_year", year=YEAR, scale="lianyungang")
    bench("simulate_year_s", timer.seconds, "s")


def year_view(client) -> dict[str, float]:
    """The dashboard's year view: the page and the calls dashboard.js makes on load."""
    period = f"start={YEAR}-01-01&end={YEAR}-12-31"
    urls = {"page": f"/kpi/?{period}", "quota": f"/api/v1/kpi/quota/?year={YEAR}&as_of={YEAR}-12-31",
            "valid_rate": f"/api/v1/kpi/valid-rate/?{period}&by=channel", "hotline": f"/api/v1/kpi/hotline/?{period}",
            "campaigns": f"/api/v1/kpi/campaigns/?{period}", "evaluation": f"/api/v1/kpi/evaluation/?{period}&who=inspector"}
    times = {}
    for name, url in urls.items():
        started = time.perf_counter()
        response = client.get(url)
        times[name] = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.content[:300]!r}")
    return times


def main() -> None:
    if os.environ.get("BENCH_KPI_REUSE"):
        sys.path.insert(0, str(ROOT))
        os.environ["SQLITE_PATH"] = str(ROOT / "var" / DB)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")
        import django

        django.setup()
    else:
        setup_django(DB)
        simulate()
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from urbanmgmt.cases.models import Case, CaseEvent
    from urbanmgmt.hotline.models import HotlineTicket

    print(f"  ({Case.objects.count():,} cases, {HotlineTicket.objects.count():,} 12345 tickets, "
          f"{CaseEvent.objects.count():,} events)")
    manager, _ = User.objects.get_or_create(username="bench_manager")
    manager.groups.add(Group.objects.get(name="manager"))
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    cold = year_view(client)
    runs = [year_view(client) for _ in range(3)]
    warm = {name: statistics.median(run[name] for run in runs) for name in cold}
    print("  cold: " + ", ".join(f"{k} {v:,.0f} ms" for k, v in cold.items()))
    print("  warm: " + ", ".join(f"{k} {v:,.0f} ms" for k, v in warm.items()))
    bench("dashboard_year_cold_ms", sum(cold.values()), "ms")
    bench("dashboard_year_ms", sum(warm.values()), "ms")
    times = []
    for _ in range(2):
        with Timer() as timer:
            response = client.get(f"/kpi/export.xlsx?start={YEAR}-01-01&end={YEAR}-12-31")
            assert response.status_code == 200, response.status_code
        times.append(timer.seconds)
    print(f"  excel: first {times[0]:.1f} s, second {times[1]:.1f} s, {len(response.content):,} bytes")
    bench("excel_export_s", times[-1], "s")


if __name__ == "__main__":
    main()
