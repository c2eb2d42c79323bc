"""Two web nodes on one database, one media folder and one queue, and the traffic of a day
sent to both: used by the kill test (tests/nodes/test_two_nodes.py) and its benchmark
(bench/bench_nodes.py).

Each node is gunicorn started as `make run` starts it (deploy/gunicorn.conf.py) in its own
process group, so that SIGKILL takes the master and its workers at once, as a machine that
dies would. The clients are plain HTTP (the requests package), as the phones, the 12345
system and the dispatchers' browsers are; a write counts as acknowledged when its client
received a 2xx (a 302 for the upload page's form)."""

import contextlib
import datetime as dt
import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.conf import settings

from tests.hotline.helpers import row
from tests.photos import jpeg, now_local
from tests.tasks.processes import database_env, free_port, kill, start_worker, wait_until

ROOT = Path(settings.BASE_DIR)


@contextlib.contextmanager
def node(name: str, folder: Path, **env: str):
    """A web node serving on a free port; yields (its process, its base URL)."""
    port = free_port()
    full = {**os.environ, **database_env(), "URBANMGMT_VAR_DIR": str(folder), "MEDIA_ROOT": str(folder / "media"),
            "GUNICORN_BIND": f"127.0.0.1:{port}", "WORKERS": "1", "THREADS": "4", "GUNICORN_ACCESS_LOG": "",
            "SECRET_KEY": settings.SECRET_KEY, "DJANGO_SETTINGS_MODULE": "urbanmgmt.settings", "PYTHONUNBUFFERED": "1",
            **env}
    if not full.get("DATABASE_URL"):
        full.pop("DATABASE_URL", None)
    log = folder / f"{name}.log"
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "urbanmgmt.wsgi:application", "--config",
                                str(ROOT / "deploy" / "gunicorn.conf.py")], cwd=ROOT, env=full,
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(url) or process.poll() is not None, 120, f"node {name} to answer", step=0.2)
        if process.poll() is not None:
            raise AssertionError(f"node {name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        yield process, url
    finally:
        if process.poll() is None:
            kill(process, signal.SIGTERM)


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


def ticket_file(numbers: list[str]) -> bytes:
    """A 12345 CSV file of these ticket numbers, received an hour ago."""
    lines = ["工单编号,受理时间,诉求类型,紧急程度,诉求内容,地址,联系电话"]
    at = f"{now_local() - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}"
    lines += [f"{n},{at},投诉举报,一般,路边垃圾堆放多日无人清理,新南街道{k % 9 + 1}号楼,13800000000"
              for k, n in enumerate(numbers)]
    return "\n".join(lines).encode("utf-8-sig")


def session_of(user) -> str:
    """A signed-in session of `user` in the database (the upload page's form needs one)."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash()})
    session.create()
    return session.session_key


@contextlib.contextmanager
def task_worker(folder: Path, **env: str):
    """One `manage.py tasks_worker` on the queue `env` names (the database by default),
    sharing the nodes' folders."""
    log = folder / "worker.log"
    process = start_worker(folder, log, **{"REDIS_URL": "", **env}, MEDIA_ROOT=str(folder / "media"))
    try:
        yield process
    except BaseException:
        print(f"--- the task worker's log ---\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        kill(process, signal.SIGTERM)


@dataclass
class Acknowledged:
    """The writes whose clients were told they were made, and what was tried in all."""

    reports: dict[str, int] = field(default_factory=dict)  # client_uuid → case id
    filed: set[int] = field(default_factory=set)  # case ids whose 立案 was answered 200
    tickets: set[str] = field(default_factory=set)  # 12345 ticket numbers pushed
    uploads: dict[str, list[str]] = field(default_factory=dict)  # upload source → its ticket numbers
    sent: int = 0
    at_kill: int = 0  # reports and tickets acknowledged when the node was killed
    failed: int = 0  # no answer (the node died under it) or a 5xx
    lock: threading.Lock = field(default_factory=threading.Lock)


class Traffic:
    """Inspectors' reports, dispatchers' 立案 and 12345 pushes, sent alternately to the live
    nodes by a few client threads; an unanswered request is sent again to another node, as
    the app's offline queue and the 12345 system's retry do."""

    def __init__(self, urls: list[str], tokens: dict[str, str], photo: bytes, point: tuple[float, float]):
        self.urls, self.tokens, self.photo, self.point = list(urls), tokens, photo, point
        self.alive = list(urls)
        self.acked = Acknowledged()
        self.stop = threading.Event()
        self.turn = 0
        self.at_kill = 0

    def target(self) -> str:
        with self.acked.lock:
            self.turn += 1
            return self.alive[self.turn % len(self.alive)]

    def lose(self, url: str) -> None:
        """The load balancer takes a dead node out."""
        with self.acked.lock:
            if url in self.alive and len(self.alive) > 1:
                self.alive.remove(url)

    def send(self, method: str, path: str, **kwargs) -> requests.Response | None:
        """One request, sent again (to the next node) until a node answers; None when none did."""
        for _ in range(4):
            url = self.target()
            with self.acked.lock:
                self.acked.sent += 1
            try:
                response = requests.request(method, url + path, timeout=60, allow_redirects=False, **kwargs)
            except requests.RequestException:
                response = None
            if response is not None and response.status_code < 500:
                return response
            with self.acked.lock:
                self.acked.failed += 1
            time.sleep(0.05)
        return None

    def auth(self, who: str) -> dict:
        return {"Authorization": f"Token {self.tokens[who]}"}

    def report(self, i: int) -> None:
        client_uuid = str(uuid.uuid4())
        lon, lat = self.point
        data = {"client_uuid": client_uuid, "lon": lon, "lat": lat, "accuracy_m": 8, "category": "E0102",
                "description": f"节点测试上报 {i}", "captured_at": now_local().isoformat()}
        response = self.send("POST", "/api/v1/collect/reports/", data=data, headers=self.auth("inspector"),
                             files=[("photos", ("p.jpg", self.photo, "image/jpeg"))])
        if response is not None and response.status_code in (200, 201):
            with self.acked.lock:
                self.acked.reports[client_uuid] = response.json()["id"]

    def file_one(self) -> None:
        with self.acked.lock:
            waiting = [c for c in self.acked.reports.values() if c not in self.acked.filed]
        if not waiting:
            return
        case_id = waiting[0]
        response = self.send("POST", f"/api/v1/cases/{case_id}/file/", json={"version": 1},
                             headers=self.auth("dispatcher"))
        if response is not None and response.status_code == 200:
            with self.acked.lock:
                self.acked.filed.add(case_id)
        elif response is not None and response.status_code == 409:  # filed by a first try that lost its answer
            with self.acked.lock:
                self.acked.filed.add(-case_id)  # not acknowledged, not to be tried again

    def push(self, i: int) -> None:
        number = f"N{i:06d}-{uuid.uuid4().hex[:6]}"
        response = self.send("POST", "/api/v1/hotline/tickets/?source=nodes", headers=self.auth("dispatcher"),
                             json=row(number, text=f"小区门口暴露垃圾没人清理 {i}", address="新南街道"))
        if response is not None and response.status_code in (200, 201):
            with self.acked.lock:
                self.acked.tickets.add(number)

    def upload(self, session: str, numbers: list[str], source: str) -> None:
        """A 12345 file through the upload page (imported by the task worker)."""
        token = uuid.uuid4().hex
        response = self.send("POST", "/hotline/import/", data={"csrfmiddlewaretoken": token, "source": source},
                             files={"file": ("t.csv", ticket_file(numbers), "text/csv")},
                             cookies={"sessionid": session, "csrftoken": token})
        if response is not None and response.status_code == 302 and "/login" not in response.headers["Location"]:
            with self.acked.lock:
                self.acked.uploads[source] = numbers

    def client(self, kind: str, start: int) -> None:
        i = start
        while not self.stop.is_set():
            if kind == "report":
                self.report(i)
            elif kind == "push":
                self.push(i)
            else:
                self.file_one()
                time.sleep(0.02)
            i += 1


def run(traffic: Traffic, victim: subprocess.Popen, victim_url: str, session: str, *, before_s: float,
        after_s: float) -> Acknowledged:
    """Clients on both nodes; a 12345 file uploaded; the victim killed with SIGKILL while
    requests are in flight; the traffic goes on to the survivor for `after_s`."""
    threads = [threading.Thread(target=traffic.client, args=(kind, n * 100_000), daemon=True)
               for n, kind in enumerate(["report", "report", "file", "push"])]
    for thread in threads:
        thread.start()
    traffic.upload(session, [f"F{k:05d}" for k in range(300)], "nodes-file-1")
    time.sleep(before_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(30)
    traffic.lose(victim_url)
    traffic.at_kill = len(traffic.acked.reports) + len(traffic.acked.tickets)
    traffic.upload(session, [f"G{k:05d}" for k in range(300)], "nodes-file-2")
    time.sleep(after_s)
    traffic.stop.set()
    for thread in threads:
        thread.join(120)
    return traffic.acked


def lost_writes(acked: Acknowledged, media_root: Path) -> list[str]:
    """Every acknowledged write that is not in the database exactly once (or whose photo is
    not in the shared media folder); empty when none was lost or doubled."""
    from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia
    from urbanmgmt.hotline.models import HotlineTicket

    wrong = []
    for client_uuid, case_id in acked.reports.items():
        cases = list(Case.objects.filter(external_ref=client_uuid).values_list("pk", flat=True))
        if cases != [case_id]:
            wrong.append(f"report {client_uuid}: cases {cases}, answered {case_id}")
        for media in CaseMedia.objects.filter(case_id=case_id):
            if not (media_root / media.file.name).exists():
                wrong.append(f"report {client_uuid}: photo {media.file.name} not in the shared media folder")
    for case_id in (c for c in acked.filed if c > 0):
        n = CaseEvent.objects.filter(case_id=case_id, action="file").count()
        if n != 1:
            wrong.append(f"case {case_id}: {n} 立案 events")
    for number in acked.tickets:
        n = HotlineTicket.objects.filter(source="nodes", external_id=number).count()
        if n != 1:
            wrong.append(f"ticket {number}: {n} rows")
    for source, numbers in acked.uploads.items():
        found = sorted(HotlineTicket.objects.filter(source=source).values_list("external_id", flat=True))
        if found != sorted(numbers):
            wrong.append(f"upload {source}: {len(found)} tickets of {len(numbers)} ({len(set(found))} distinct)")
    return wrong


def run_measured(folder: Path, tokens: dict[str, str], dispatcher, point, *, before_s: float,
                 after_s: float, env: dict | None = None) -> tuple[list[str], Acknowledged]:
    """The whole scenario in `folder` (shared by the nodes and the worker): a task worker, nodes
    a and b, the traffic with a killed; waits for the uploaded files to be imported. `env`:
    the queue's settings for the nodes and the worker (the database queue by default). Returns
    (the acknowledged writes lost or doubled, what was acknowledged)."""
    from urbanmgmt.hotline.models import ImportRun

    folder.mkdir(parents=True, exist_ok=True)
    session = session_of(dispatcher)
    photo = jpeg(gps=(point.x, point.y), taken=now_local())
    env = env or {}
    with task_worker(folder, **env), node("a", folder, **env) as (a, url_a), node("b", folder, **env) as (b, url_b):
        traffic = Traffic([url_a, url_b], tokens, photo, (point.x, point.y))
        try:
            acked = run(traffic, a, url_a, session, before_s=before_s, after_s=after_s)
            assert a.returncode == -signal.SIGKILL and b.poll() is None, (a.returncode, b.poll())
        except BaseException:
            for name in ("a", "b"):
                print(f"--- node {name}'s log ---\n{(folder / f'{name}.log').read_text(errors='replace')[-3000:]}")
            raise
        wait_until(lambda: ImportRun.objects.filter(finished_at__isnull=False).count() >= len(acked.uploads), 300,
                   "the uploaded files to be imported", step=0.5)
    acked.at_kill = traffic.at_kill
    return lost_writes(acked, folder / "media"), acked
