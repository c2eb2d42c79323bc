"""Benchmarks of many web nodes and bounded memory (issue #19).

- web_worker_rss_mb: gunicorn started as `make run` starts it (deploy/gunicorn.conf.py, two
  workers × four threads) on a SpatiaLite city of 100,000 cases of a year (the demo city's
  grids, made through the bulk report service); then the map's layers, the KPI dashboard's
  year view, the monthly report as Excel, the KPI workbook of the year and the year of cases
  as GeoPackage and CSV (asked for as the pages ask: a POST, the job followed, the file
  downloaded; made by the task worker `make run` starts beside gunicorn), and a 12345 upload
  of 50,000 rows, over HTTP; the peak resident set of a web worker (psutil, sampled every
  50 ms). GIS files are written by a short-lived child of the process making them
  (urbanmgmt/grids/gisio.py); the task worker's peak and its child's are printed apart.
- two_nodes_lost_writes: the kill test of tests/nodes/test_two_nodes.py on a throw-away
  PostGIS (scripts/pgtest.sh), longer: two nodes, one killed with SIGKILL mid-traffic; the
  acknowledged writes not found exactly once (target 0). Skipped without PostgreSQL.

BENCH_NODES_REUSE=1 measures an earlier run's city again (no new cases); --only-two-nodes runs
the kill scenario alone.
"""

import datetime as dt
import os
import random
import subprocess
import sys
import threading
import time

from common import ROOT, Timer, bench, load_demo_city, setup_django

CASES = int(os.environ.get("BENCH_NODES_CASES", 100_000))
TICKET_ROWS = 50_000
YEAR = dt.date.today().year - 1


class PeakRss(threading.Thread):
    """Samples the resident set of gunicorn's workers (the master's children) and of their
    own children (the GIS writer), keeping each one's peak."""

    def __init__(self, master_pid: int):
        super().__init__(daemon=True)
        import psutil

        self.master = psutil.Process(master_pid)
        self.workers: dict[int, float] = {}
        self.helpers = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.05):
            try:
                for worker in self.master.children():
                    rss = worker.memory_info().rss / 2**20
                    self.workers[worker.pid] = max(self.workers.get(worker.pid, 0.0), rss)
                    for helper in worker.children(recursive=True):
                        self.helpers = max(self.helpers, helper.memory_info().rss / 2**20)
            except psutil.Error:  # a worker recycled or a helper gone between the two calls
                continue


class TaskWorkerRss(PeakRss):
    """The task worker's own peak (it is the process itself, not a master of workers)."""

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.05):
            try:
                self.workers[self.master.pid] = max(self.workers.get(self.master.pid, 0.0),
                                                    self.master.memory_info().rss / 2**20)
                for helper in self.master.children(recursive=True):
                    self.helpers = max(self.helpers, helper.memory_info().rss / 2**20)
            except psutil.Error:
                continue

    def peak(self) -> float:
        return max(self.workers.values(), default=0.0)


def build_year(rng: random.Random):
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from urbanmgmt import dbstats
    from urbanmgmt.cases import services
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.grids.models import UnitGrid

    manager = User.objects.create_user("bench_manager", password="bench_manager-pw")
    manager.groups.add(Group.objects.get(name="manager"))
    dispatcher = User.objects.create_user("bench_dispatcher", password="bench_dispatcher-pw")
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    centres = [g.geom.point_on_surface for g in UnitGrid.objects.only("geom")]
    categories = list(Category.objects.filter(active=True))
    start = dt.datetime(YEAR, 1, 1, tzinfo=timezone.get_current_timezone())
    with Timer() as timer:
        for first in range(0, CASES, 5000):
            items = [services.NewReport(point=Point(c.x, c.y, srid=4326),
                                        category=rng.choice(categories), description="基准测试案件：路边垃圾堆放",
                                        reported_at=start + dt.timedelta(minutes=rng.random() * 365 * 1440))
                     for c in (rng.choice(centres) for _ in range(min(5000, CASES - first)))]
            services.report_many(dispatcher, "other", items)
    dbstats.refresh()
    print(f"  {CASES:,} cases of {YEAR} made in {timer.seconds:.0f} s")


def login(base: str, user: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/")
    assert 'name="csrfmiddlewaretoken"' in page.text, (page.status_code, page.text[:500])
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answer = session.post(f"{base}/accounts/login/", data={"username": user, "password": f"{user}-pw",
                                                          "csrfmiddlewaretoken": token}, allow_redirects=False)
    assert answer.status_code == 302, answer.status_code
    return session


def asked_export(session, base: str, path: str):
    """An export asked for as the pages ask: a POST answering a download at once (small) or the
    job making it, polled until done; the file's response (streamed)."""
    answer = session.post(base + path, headers={"X-CSRFToken": session.cookies["csrftoken"]})
    assert answer.status_code in (200, 202), (path, answer.status_code, answer.text[:300])
    job = answer.json()
    while "id" in job and not job["finished"]:
        time.sleep(0.5)
        job = session.get(base + job["status_url"]).json()
    assert job.get("download"), job
    return session.get(base + job["download"], stream=True)


def traffic(base: str, peak) -> dict[str, float]:
    """The map, KPI, export and 12345 requests; seconds each kind took. Prints `peak()`, the
    workers' peak so far, after each export and each kind."""
    from tests.nodes.cluster import ticket_file

    manager, dispatcher = login(base, "bench_manager"), login(base, "bench_dispatcher")
    period = f"start={YEAR}-01-01&end={YEAR}-12-31"
    steps = {
        "map": [(dispatcher, f"/api/v1/map/{layer}/?bbox=119.0,34.4,119.4,34.8&zoom={zoom}&open=all")
                for layer in ("grids", "cases") for zoom in (11, 12, 15, 16)] * 3,
        "kpi": [(manager, f"/kpi/?{period}"), (manager, f"/api/v1/kpi/valid-rate/?{period}&by=channel"),
                (manager, f"/kpi/report/monthly/?month={YEAR}-10"),
                (manager, f"/kpi/report/monthly/?month={YEAR}-10&format=xlsx")],
        # As the pages ask for them: a POST, then the job followed until its file can be downloaded.
        "export": [(manager, f"/kpi/export/?{period}"), (manager, "/api/v1/map/export/?layer=cases&as=gpkg&open=all"),
                   (manager, "/api/v1/map/export/?layer=cases&as=csv&open=all"),
                   (manager, "/api/v1/map/export/?layer=grids&as=gpkg")],
    }
    seconds = {}
    for kind, requests_ in steps.items():
        with Timer() as timer:
            for session, path in requests_:
                answer = asked_export(session, base, path) if kind == "export" else session.get(base + path, stream=True)
                size = sum(len(chunk) for chunk in answer.iter_content(2**16))
                assert answer.status_code == 200, (path, answer.status_code)
                if kind == "export":
                    print(f"    {path}: {size / 2**20:.1f} MiB, workers' peak {peak():.0f} MB")
        seconds[kind] = timer.seconds
        print(f"  after the {kind} requests: workers' peak {peak():.0f} MB")
    numbers = [f"B{i:07d}" for i in range(TICKET_ROWS)]
    token = dispatcher.cookies["csrftoken"]
    with Timer() as timer:
        answer = dispatcher.post(f"{base}/hotline/import/", data={"csrfmiddlewaretoken": token, "source": "bench"},
                                 files={"file": ("t.csv", ticket_file(numbers), "text/csv")}, allow_redirects=False,
                                 headers={"Referer": base + "/hotline/import/"})
        assert answer.status_code == 302, answer.status_code
        dispatcher.get(base + answer.headers["Location"])
    seconds["12345"] = timer.seconds
    print(f"  after the 12345 upload: workers' peak {peak():.0f} MB")
    return seconds


def worker_rss(db) -> None:
    from common import free_port

    from tests.nodes.cluster import healthy
    from tests.tasks.processes import wait_until

    port = free_port()
    env = {**os.environ, "SQLITE_PATH": str(db), "DJANGO_SETTINGS_MODULE": "urbanmgmt.settings", "WORKERS": "2",
           "THREADS": "4", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": ""}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "urbanmgmt.wsgi:application", "--config",
               str(ROOT / "deploy" / "gunicorn.conf.py")]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The task worker `make run` starts beside gunicorn: the large exports are made there.
    worker = subprocess.Popen([sys.executable, "manage.py", "tasks_worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: healthy(f"http://127.0.0.1:{port}"), 120, "gunicorn", step=0.2)
        sampler = PeakRss(server.pid)
        sampler.start()
        tasks = TaskWorkerRss(worker.pid)
        tasks.start()
        time.sleep(0.5)
        started = max(sampler.workers.values())
        seconds = traffic(f"http://127.0.0.1:{port}", lambda: max(sampler.workers.values()))
        sampler.stop.set()
        sampler.join()
        tasks.stop.set()
        tasks.join()
    finally:
        server.terminate()
        server.wait(30)
        worker.terminate()
        worker.wait(60)
    bench("web_worker_rss_mb", max(sampler.workers.values()), "MB")
    print(f"  (task worker peak {tasks.peak():.0f} MB, its GIS writer child {tasks.helpers:.0f} MB)")
    print(f"  (workers at start {started:.0f} MB, peaks {', '.join(f'{v:.0f}' for v in sampler.workers.values())} MB; "
          f"GIS writer child peak {sampler.helpers:.0f} MB; "
          f"{', '.join(f'{k} {v:.1f} s' for k, v in seconds.items())})")


def two_nodes() -> None:
    """The kill test's scenario on a PostGIS of its own (run in a child: Django is set up once a process)."""
    folder = ROOT / "var" / "bench_nodes_pg"
    env = {**os.environ, "PGTEST_DIR": str(folder)}
    try:
        url = subprocess.run([str(ROOT / "scripts" / "pgtest.sh"), "start"], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"  (no PostgreSQL here, no two_nodes_lost_writes: {getattr(exc, 'stderr', exc)})")
        return
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
            server.execute("CREATE DATABASE urbanmgmt")
        subprocess.run([sys.executable, __file__, "--two-nodes"], env={**env, "DATABASE_URL": url}, check=True)
    finally:
        subprocess.run([str(ROOT / "scripts" / "pgtest.sh"), "stop"], env=env, check=False)


def two_nodes_child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load_demo_city()
    from rest_framework.authtoken.models import Token

    from tests.builders import make_person
    from tests.nodes.cluster import run_measured
    from urbanmgmt.grids.models import UnitGrid

    grids = UnitGrid.objects.order_by("code")[:200]
    inspector = make_person("bench_inspector", "inspector", grids=grids)
    dispatcher = make_person("bench_dispatcher", "dispatcher")
    tokens = {"inspector": Token.objects.create(user=inspector).key, "dispatcher": Token.objects.create(user=dispatcher).key}
    folder = ROOT / "var" / "bench_nodes_run"
    lost, acked = run_measured(folder, tokens, dispatcher, grids[0].geom.point_on_surface, before_s=20, after_s=20)
    bench("two_nodes_lost_writes", len(lost), "count")
    print(f"  ({acked.sent} requests, {acked.failed} unanswered by the killed node; acknowledged {len(acked.reports)} "
          f"reports, {len([c for c in acked.filed if c > 0])} 立案, {len(acked.tickets)} pushed tickets, "
          f"{len(acked.uploads)} files){''.join(chr(10) + '  ' + line for line in lost[:20])}")


def main() -> None:
    if "--two-nodes" in sys.argv:
        two_nodes_child()
        return
    if "--only-two-nodes" in sys.argv:
        two_nodes()
        return
    if os.environ.get("BENCH_NODES_REUSE"):  # measure an earlier run's city again
        db = ROOT / "var" / "bench_nodes.sqlite3"
        sys.path.insert(0, str(ROOT))
        os.environ["SQLITE_PATH"] = str(db)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")
        import django

        django.setup()
    else:
        db = setup_django("bench_nodes.sqlite3")
        load_demo_city()
        build_year(random.Random(19))
    worker_rss(db)
    if "--only-rss" not in sys.argv:
        two_nodes()


if __name__ == "__main__":
    main()
