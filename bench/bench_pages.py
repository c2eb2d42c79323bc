"""Benchmark of the working pages' readiness in a real browser, on the dispatch map's city.

The city of bench_maps.py (20,000 unit grids, 100,000 open cases), plus a camera with 60
pending video candidates and one person per role. Then, through gunicorn as `make run` serves,
in headless Chromium with the person already signed in: from asking for the page to the page
usable (its data drawn), median of 5 after a first warm-up load.

Each page is one line of PAGES (name, path, role, what shows it is ready); a page whose
script marks `body[data-ready='1']` needs nothing else. Prints `BENCH page_ready_ms_<name>`.
"""

import datetime as dt
import json
import os
import statistics
import time
from dataclasses import dataclass

from bench_maps import THREADS, WORKERS, build_city
from common import Timer, bench, serve, setup_django

PASSWORD = "bench-pages-pw"
CANDIDATES = 60
ROUNDS = 6  # the first warms the browser's caches and is not counted


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    role: str
    ready: str  # a CSS selector that appears once the page is usable
    app_login: bool = False  # 城管通 signs in with a token of its own, not the session


PAGES = [
    Page("m", "/m/", "inspector", "#view-main:not([hidden]) #tab-new", app_login=True),
    Page("workspace", "/workspace/", "handler", "body[data-ready='1']"),
    Page("vision", "/vision/", "analyst", "article.cand img"),
    # the managers' dashboard (this month, the whole city) until every card shows its figures
    Page("kpi", "/kpi/", "manager", "#kpi-dashboard[data-ready='1']"),
]


def people() -> dict[str, str]:
    """A user per role (the handler in the department with the most cases); role → username."""
    from django.contrib.auth.models import Group, User
    from django.db.models import Count

    from urbanmgmt.cases.models import Case
    from urbanmgmt.org.models import Department, Profile

    busiest = (Case.objects.exclude(department=None).values("department").annotate(n=Count("id"))
               .order_by("-n").first())
    department = Department.objects.get(pk=busiest["department"]) if busiest else Department.objects.first()
    out = {}
    for role in {p.role for p in PAGES}:
        user = User.objects.create_user(f"bench_{role}", password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        Profile.objects.create(user=user, display_name=f"基准{role}",
                               department=department if role == "handler" else None)
        out[role] = user.username
    return out


def managers_figures() -> None:
    """The quotas and schemes the dashboard counts against, and half the cases made inspector
    reports (filed, rejected or waiting) so that its valid-rate tables have rows to count."""
    from django.conf import settings
    from django.db import connection

    from urbanmgmt.kpi.loader import load_quotas, load_schemes

    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM auth_user WHERE username = 'bench_inspector'")
        [staff] = cursor.fetchone()
        cursor.execute("UPDATE cases_case SET channel = 'inspector', reporter_id = %s WHERE id % 2 = 0", [staff])
        cursor.execute("UPDATE cases_case SET filed_at = reported_at WHERE id % 2 = 0 AND state = 'dispatched'")
        cursor.execute("UPDATE cases_case SET state = 'rejected' WHERE id % 2 = 0 AND id % 5 = 1")
    connection.close()


def video_candidates() -> None:
    """A camera over the city with a zone and CANDIDATES pending candidates (real JPEGs)."""
    from django.utils import timezone

    from demo import synth
    from urbanmgmt.grids.models import UnitGrid
    from vision import services
    from vision.models import Camera, WorkerKey, Zone
    from vision.worker.output import snapshot

    camera = Camera.objects.create(code="CAM-B1", name="基准路口", frame_width=640, frame_height=360)
    zone = Zone.objects.create(camera=camera, name="禁停区", rule="illegal_parking",
                               polygon=[list(p) for p in synth.NO_PARKING])
    worker = WorkerKey(name="bench-worker")
    worker.new_key()
    worker.save()
    picture = snapshot(synth.background(), [400, 180, 560, 290], synth.NO_PARKING, "car #7 0.87")
    # On the ground inside the city, so that each is an alert (the queue's first tab), not a detection.
    ground = list(UnitGrid.objects.order_by("pk").first().geom.point_on_surface.coords)
    now = timezone.now()
    for i in range(CANDIDATES):
        seen = now - dt.timedelta(minutes=i)
        services.ingest(worker, json.dumps({
            "camera": camera.code, "zone": zone.pk, "rule": "illegal_parking", "class": "car", "track_id": i,
            "started_at": (seen - dt.timedelta(seconds=90)).isoformat(), "last_seen_at": seen.isoformat(),
            "score": 0.8, "box": [400, 180, 560, 290], "frame_size": [640, 360], "ground": ground}), picture)


def session_cookies(port: int, username: str) -> list[dict]:
    from bench_maps import session_cookie

    cookie = session_cookie(port, username, PASSWORD)
    return [{"name": k, "value": v, "url": f"http://127.0.0.1:{port}"}
            for k, v in (part.split("=", 1) for part in cookie.split("; "))]


def app_token(page, base: str, username: str) -> None:
    """Sign 城管通 in once, as the inspector does; later loads find the token on the phone."""
    page.goto(f"{base}/m/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#tab-new")


def ready_times(browser, port: int, spec: Page, username: str) -> list[float]:
    base = f"http://127.0.0.1:{port}"
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900})
    context.add_cookies(session_cookies(port, username))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if spec.app_login:
        app_token(page, base, username)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        page.goto(f"{base}{spec.path}")
        try:
            page.wait_for_selector(spec.ready, timeout=30000)
        except Exception:
            print(f"  {spec.path} did not get ready at {page.url}: {errors}")
            raise
        times.append((time.perf_counter() - start) * 1000)
    context.close()
    return times[1:]


def main() -> None:
    from playwright.sync_api import sync_playwright

    db = setup_django("bench_pages.sqlite3")
    build_city(db)
    with Timer() as t:
        users = people()
        managers_figures()
        video_candidates()
    print(f"  people and {CANDIDATES} candidates in {t.seconds:.0f} s")
    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
    with serve(db, WORKERS, THREADS) as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=args)
        for spec in PAGES:
            times = ready_times(browser, port, spec, users[spec.role])
            bench(f"page_ready_ms_{spec.name}", statistics.median(times), "ms")
            print(f"  {spec.path}: {', '.join(f'{t:.0f}' for t in times)} ms")
        browser.close()


if __name__ == "__main__":
    main()
