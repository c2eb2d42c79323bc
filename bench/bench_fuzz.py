"""The long fuzzing profile (issue #13): schemathesis over every operation of the OpenAPI
schema, against gunicorn serving the demo city as `make run` does, as a dispatcher, a
department handler, an inspector, a video analyst and an administrator.

- fuzz_cases: cases sent, all roles (target ≥ 5,000);
- fuzz_server_errors: answers of 5xx, or requests that got no answer in 20 s (target 0);
- fuzz_schema_violations: answers outside their documented schema or content type (target 0).

The first failures are printed below the figures, each with its request.
"""

import os
import sys
import time

from common import ROOT, bench, load_demo_city, serve, setup_django

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "14"))  # per operation, role and generation mode
BUDGET_S = 40 * 60  # stops starting operations past this (the figures then say how far it got)
WORKERS, THREADS = os.cpu_count() or 2, 4


def people() -> dict:
    """The five roles (and a few cases, so that lists and details have something to show)."""
    sys.path.insert(0, str(ROOT))
    from tests.builders import make_person
    from urbanmgmt.cases import services
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.grids.models import UnitGrid

    grids = list(UnitGrid.objects.order_by("code")[:20])
    users = {
        "dispatcher": make_person("dispatcher", "dispatcher"),
        "handler": make_person("handler", "handler", department="HZ-HWC"),
        "inspector": make_person("inspector", "inspector", grids=grids),
        "analyst": make_person("analyst", "analyst"),
        "admin": make_person("root", "admin"),
    }
    category = Category.objects.get(service_code="E0102")
    for grid in grids[:5]:
        services.report(users["inspector"], channel="inspector", point=grid.geom.point_on_surface, category=category,
                        description="路边垃圾堆放")
    return users


def main() -> None:
    db = setup_django("bench_fuzz.sqlite3")
    load_demo_city()
    sys.path.insert(0, str(ROOT))
    from tests.api.fuzzing import fuzz, tokens_for

    tokens = tokens_for(people())
    media = ROOT / "var" / "bench_fuzz_media"
    with serve(db, WORKERS, THREADS, MEDIA_ROOT=str(media)) as (_server, port):
        started = time.monotonic()
        report = fuzz(f"http://127.0.0.1:{port}", tokens, EXAMPLES, budget_s=BUDGET_S)
        seconds = time.monotonic() - started
    bench("fuzz_cases", report.cases, "count")
    bench("fuzz_server_errors", report.server_errors, "count")
    bench("fuzz_schema_violations", report.schema_violations, "count")
    print(f"  {len(tokens)} roles, {EXAMPLES} examples per operation and mode, {seconds:.0f} s; answers by status: "
          f"{dict(sorted(report.statuses.items()))}")
    for failure in report.failures[:20]:
        print("  " + failure.replace("\n", "\n    "))


if __name__ == "__main__":
    main()
