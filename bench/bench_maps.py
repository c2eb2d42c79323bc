"""Benchmark of the dispatch map (issue: grid dispatch map) on SpatiaLite.

A city of 20,000 unit grids (200 × 100 grids of 100 m, 20 streets, 200 communities,
imported through the real importer) and 100,000 open cases (made through the bulk report
service; a third dispatched, some of those overdue). Then, through gunicorn as `make run`
serves (a worker per core, four threads), over HTTP:

- map_grid_layer_p95_ms / map_case_layer_p95_ms: the layer endpoints for city-wide views
  (zoom 11–12) and street-level views (zoom 15–16) at random places, open and overdue;
- map_page_ready_ms: in headless Chromium, from opening the login page to the map usable
  (grids, cases and panel script loaded), median of 5 logins;
- page_ready_ms_hotline_unplaced / _review: the 12345 intake queues with 3,000 tickets to
  place and 5,000 to review, signed in, from opening the page to the placement map's grid
  layer drawn (unplaced) or every script run (review), median of 5;
- bulk_dispatch_100_ms: POST /api/v1/cases/dispatch-many/ with 100 filed cases (each its
  own transaction and version check), signed in as a dispatcher, median of 5 batches.
"""

import datetime as dt
import http.client
import json
import os
import random
import statistics
import time

from common import ROOT, Timer, bench, serve, setup_django

COLS, ROWS, SIZE = 200, 100, 100.0
X0, Y0 = 690000.0, 3822000.0  # EPSG:32650, around Haizhou
CASES = 100_000
REQUESTS = 60  # per layer and view kind
BULK, BULK_ROUNDS = 100, 5
WORKERS, THREADS = os.cpu_count() or 2, 4


def grid_layer(path):
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(32650, 4326, always_xy=True)
    features, counters = [], {}
    for col in range(COLS):
        for row in range(ROWS):
            street = col // 20 * 2 + row // 50 + 1  # 20 streets of 20 × 50 grids
            community = f"{street:03d}{(col % 20) // 10 * 5 + (row % 50) // 10 + 1:03d}"  # 10 per street
            street_code = f"320706{street:03d}"
            community_code = f"{street_code}{community[3:]}"
            counters[community_code] = counters.get(community_code, 0) + 1
            x, y = X0 + col * SIZE, Y0 + row * SIZE
            ring = [list(to_wgs.transform(px, py)) for px, py in
                    ((x, y), (x + SIZE, y), (x + SIZE, y + SIZE), (x, y + SIZE), (x, y))]
            features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {
                "grid_code": f"{community_code}{counters[community_code]:02d}", "community_code": community_code,
                "community_name": f"第{community}社区", "street_code": street_code, "street_name": f"第{street}街道",
                "district_code": "320706", "district_name": "海州区"}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return to_wgs


def build_city(db) -> tuple:
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.utils import timezone

    from demo.city import load_departments
    from urbanmgmt import dbstats
    from urbanmgmt.cases import services
    from urbanmgmt.cases.calendar_seed import seed_calendar
    from urbanmgmt.catalog.loader import load_catalog
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.grids.importer import import_grids

    load_catalog(settings.FIXTURES_DIR / "catalog" / "categories.json")
    load_departments(settings.FIXTURES_DIR / "demo" / "departments.json")
    seed_calendar()
    layer = ROOT / "var" / "bench_maps_grids.geojson"
    to_wgs = grid_layer(layer)
    with Timer() as t:
        report = import_grids(layer)
    assert report.ok, report.lines()
    print(f"  {COLS * ROWS} grids imported in {t.seconds:.0f} s")
    layer.unlink()

    staff = User.objects.create_user("bench_dispatcher", password="bench-dispatcher-pw")
    staff.groups.add(Group.objects.get(name="dispatcher"))
    categories = list(Category.objects.filter(active=True))
    rng = random.Random(7)
    now = timezone.now()
    with Timer() as t:
        for start in range(0, CASES, 5000):
            items = []
            for _ in range(min(5000, CASES - start)):
                x = X0 + rng.random() * COLS * SIZE
                y = Y0 + rng.random() * ROWS * SIZE
                items.append(services.NewReport(point=Point(*to_wgs.transform(x, y), srid=4326),
                                                category=rng.choice(categories), description="基准测试案件",
                                                reported_at=now - dt.timedelta(hours=rng.random() * 2000)))
            services.report_many(staff, "other", items)
    print(f"  {CASES} cases reported in {t.seconds:.0f} s")
    # A third dispatched, a tenth of all overdue: data for the filters and the overdue metric.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET state = 'dispatched', due_at = %s WHERE id % 3 = 0",
                       [now + dt.timedelta(days=3)])
        cursor.execute("UPDATE cases_case SET due_at = %s WHERE id % 30 = 0", [now - dt.timedelta(hours=5)])
    dbstats.refresh()  # as after any bulk load (see urbanmgmt/dbstats.py)
    connection.close()
    return to_wgs


def bbox_around(to_wgs, rng, width_m, height_m) -> str:
    x = X0 + rng.random() * (COLS * SIZE - width_m)
    y = Y0 + rng.random() * (ROWS * SIZE - height_m)
    (w, s), (e, n) = to_wgs.transform(x, y), to_wgs.transform(x + width_m, y + height_m)
    return f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}"


def session_cookie(port, username: str = "bench_dispatcher", password: str = "bench-dispatcher-pw") -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    body = response.read().decode()
    csrf = response.getheader("Set-Cookie").split("csrftoken=")[1].split(";")[0]
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    form = f"username={username}&password={password}&csrfmiddlewaretoken={token}"
    conn.request("POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                     "Cookie": f"csrftoken={csrf}"})
    response = conn.getresponse()
    response.read()
    assert response.status == 302, response.status
    session = response.getheader("Set-Cookie").split("sessionid=")[1].split(";")[0]
    return f"sessionid={session}; csrftoken={csrf}"


def timed_get(conn, path, cookie) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body[:300])
    return (time.perf_counter() - start) * 1000, len(body)


def layers(port, to_wgs) -> dict:
    cookie = session_cookie(port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    city = bbox_around(to_wgs, random.Random(0), COLS * SIZE - 1, ROWS * SIZE - 1)
    for _ in range(WORKERS * 3):  # each worker builds its layer cache once (not counted)
        timed_get(conn, f"/api/v1/map/grids/?bbox={city}&zoom=12", cookie)
        conn.close()
    rng = random.Random(11)
    out = {}
    for layer in ("grids", "cases"):
        for view in ("city", "street"):
            times, sizes = [], []
            for i in range(REQUESTS):
                if view == "city":
                    bbox, zoom = bbox_around(to_wgs, rng, 18000, 9000), rng.choice((11, 12))
                else:
                    bbox, zoom = bbox_around(to_wgs, rng, 1600, 900), rng.choice((15, 16))
                extra = "&metric=overdue" if layer == "grids" and i % 2 else ""
                ms, size = timed_get(conn, f"/api/v1/map/{layer}/?bbox={bbox}&zoom={zoom}{extra}", cookie)
                times.append(ms)
                sizes.append(size)
            out[(layer, view)] = (times, sizes)
            times.sort()
            print(f"  {layer:5s} {view:6s}: median {statistics.median(times):5.0f} ms, "
                  f"p95 {times[int(0.95 * len(times)) - 1]:5.0f} ms, {statistics.median(sizes) / 1024:.0f} KiB")
    return out


def page_ready(port) -> list[float]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
    base = f"http://127.0.0.1:{port}"
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=args)
        for _ in range(6):
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            start = time.perf_counter()
            page.goto(f"{base}/accounts/login/?next=/map/")
            page.fill("input[name=username]", "bench_dispatcher")
            page.fill("input[name=password]", "bench-dispatcher-pw")
            page.click("button[type=submit]")
            try:
                page.wait_for_selector("body[data-ready='1']", timeout=30000)
            except Exception:
                print(f"  the map did not get ready at {page.url}: {errors}")
                raise
            times.append((time.perf_counter() - start) * 1000)
            context.close()
        browser.close()
    return times[1:]  # the first start warms the browser's own caches


INTAKE_TO_PLACE, INTAKE_TO_REVIEW = 3000, 5000


def make_intake_queues() -> None:
    """Tickets waiting in the intake queues, written in bulk (the pages are measured here,
    not the import): some to place, more whose category is to review, each with three
    suggestions as the classifier leaves them."""
    from django.db import connection
    from django.utils import timezone

    from urbanmgmt.catalog.models import Category
    from urbanmgmt.hotline.models import HotlineTicket, TicketState

    rng, now = random.Random(11), timezone.now()
    categories = list(Category.objects.filter(active=True))
    tickets = []
    for i in range(INTAKE_TO_PLACE + INTAKE_TO_REVIEW):
        review = i >= INTAKE_TO_PLACE
        picks = rng.sample(categories, 3)
        tickets.append(HotlineTicket(
            source="bench", external_id=f"B{i:07d}", received_at=now - dt.timedelta(minutes=7 * i),
            request_type="complaint", urgency=rng.choice(["normal"] * 8 + ["urgent", "hard"]),
            text=f"基准测试工单{i}：门口有问题，影响大家生活。", address=f"海州区第{1 + i % 20}街道附近{i}号",
            state=TicketState.OPEN if review else TicketState.UNPLACED, needs_review=review,
            category=picks[0] if review else None, category_confidence=0.3, doubt=rng.random(),
            suggestions=[{"kind": "category", "code": c.service_code, "name": c.name_zh, "confidence": 0.3,
                          "words": ["门口"]} for c in picks]))
    HotlineTicket.objects.bulk_create(tickets, batch_size=2000)
    connection.close()


def hotline_page_ready(port) -> dict[str, list[float]]:
    """The intake queues' ready times in headless Chromium, signed in as the dispatcher."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
    base, out = f"http://127.0.0.1:{port}", {"unplaced": [], "review": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=args)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": k, "value": v, "url": base} for k, v in
                             (part.split("=", 1) for part in session_cookie(port).split("; "))])
        page = context.new_page()
        for _ in range(6):
            start = time.perf_counter()
            page.goto(f"{base}/hotline/unplaced/")  # waits for the load event: every script ran
            page.wait_for_selector("#place-map[data-grids]", timeout=30000)
            out["unplaced"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            page.goto(f"{base}/hotline/review/")
            out["review"].append((time.perf_counter() - start) * 1000)
        browser.close()
    return {name: times[1:] for name, times in out.items()}  # the first warms the browser's caches


def filed_batches() -> list[list[tuple[int, int]]]:
    """BULK_ROUNDS batches of BULK reported cases, filed through the services: (id, version)."""
    from django.contrib.auth.models import User
    from django.db import connection

    from urbanmgmt.cases import services
    from urbanmgmt.cases.models import Case

    staff = User.objects.get(username="bench_dispatcher")
    cases = list(Case.objects.filter(state="reported").order_by("id")[:BULK * BULK_ROUNDS])
    filed = [services.file(staff, case, version=case.version) for case in cases]
    connection.close()
    return [[(c.pk, c.version) for c in filed[i:i + BULK]] for i in range(0, len(filed), BULK)]


def bulk_dispatch(port, batches) -> list[float]:
    """Each batch dispatched in one request to one department; all must be dispatched."""
    cookie = session_cookie(port)
    headers = {"Cookie": cookie, "X-CSRFToken": cookie.split("csrftoken=")[1], "Content-Type": "application/json",
               "Accept": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for batch in batches:
        body = json.dumps({"cases": [{"id": pk, "version": v} for pk, v in batch], "department": "HZ-HWC"})
        start = time.perf_counter()
        conn.request("POST", "/api/v1/cases/dispatch-many/", body, headers)
        response = conn.getresponse()
        data = json.loads(response.read())
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200 and data["dispatched"] == len(batch), (response.status, str(data)[:300])
    return times


def main() -> None:
    db = setup_django("bench_maps.sqlite3")
    to_wgs = build_city(db)
    make_intake_queues()
    batches = filed_batches()
    with serve(db, WORKERS, THREADS) as (_server, port):
        figures = layers(port, to_wgs)
        ready = page_ready(port)
        intake = hotline_page_ready(port)
        bulk = bulk_dispatch(port, batches)

    def p95(layer):
        times = sorted(figures[(layer, "city")][0] + figures[(layer, "street")][0])
        return times[int(0.95 * len(times)) - 1]

    bench("map_grid_layer_p95_ms", p95("grids"), "ms")
    bench("map_case_layer_p95_ms", p95("cases"), "ms")
    bench("map_page_ready_ms", statistics.median(ready), "ms")
    print(f"  page ready: {', '.join(f'{t:.0f}' for t in ready)} ms; gunicorn {WORKERS} workers × {THREADS} threads")
    for name, times in intake.items():
        bench(f"page_ready_ms_hotline_{name}", statistics.median(times), "ms")
        print(f"  /hotline/{name}/: {', '.join(f'{t:.0f}' for t in times)} ms")
    bench("bulk_dispatch_100_ms", statistics.median(bulk), "ms")
    print(f"  bulk dispatch of {BULK}: {', '.join(f'{t:.0f}' for t in bulk)} ms")


if __name__ == "__main__":
    main()
