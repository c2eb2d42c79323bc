"""Faults under load (issue #13), over real HTTP against gunicorn as `make run` serves it.

First one report of four ~9.5 MB photos (38 MB): upload_40mb_files_kept is the share of its
files stored. Then 8 clients send mixed traffic for BENCH_FAULT_SECONDS (default 120):
inspectors' reports with one to four ~3 MB phone photos, the dispatch map's layers, the closed
loop's steps on each client's own cases (file, dispatch, sign, handle with a photo), and 12345
tickets pushed to /api/v1/hotline/tickets/. Meanwhile a gunicorn worker is killed with SIGKILL
while uploads are in flight, BENCH_FAULT_KILLS times (default 2, one worker each time). Then
every report and ticket that got no answer is sent again (same client UUID, same ticket id)
until it gets one, and the database and the media folder are checked:

- fault_acknowledged_lost: reports, replies and tickets answered 2xx but not in the database,
  or a photo of theirs missing on disk or not the bytes sent (size and SHA-256);
- fault_duplicates: client UUIDs or ticket ids stored more than once;
- fault_server_errors: answers with a 5xx status (a connection the kill cut is no answer; those
  are counted apart).
"""

import datetime as dt
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

from common import ROOT, bench, load_demo_city, multipart, serve, setup_django
from photos import phone_jpeg, unique_pieces

CLIENTS = 8
SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "120"))
KILLS = int(os.environ.get("BENCH_FAULT_KILLS", "2"))
WORKERS, THREADS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)), int(os.environ.get("BENCH_THREADS", "4"))
DEPARTMENT = "HZ-HWC"  # the sanitation office: exposed garbage (E0102) is theirs


class Http:
    """One request per connection (a kept-alive one the server dropped would look like a cut)."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    def call(self, method: str, path: str, body=None, content_type: str = "") -> tuple[int | None, bytes]:
        """(status, body), or (None, b"") when no answer came (the connection was cut)."""
        headers = {"Authorization": f"Token {self.token}", "Accept-Language": "en"}
        if isinstance(body, dict):
            body, content_type = [json.dumps(body).encode()], "application/json"
        if body is not None:
            headers.update({"Content-Type": content_type, "Content-Length": str(sum(len(p) for p in body))})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            return None, b""
        finally:
            conn.close()


class Tally:
    """What the clients saw, shared between their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reports, self.tickets, self.replies = {}, {}, {}  # id → what was sent, and whether answered
        self.server_errors, self.cut, self.uploading = [], 0, 0
        self.statuses = Counter()

    def saw(self, status: int | None, body: bytes, what: str) -> None:
        with self.lock:
            self.statuses[f"{what.split('/')[0]} {status or 'cut'}"] += 1
            if status is None:
                self.cut += 1
                return
            if status >= 500:
                self.server_errors.append((what, status, body[:200]))


def photo_set(photo: bytes, n: int, count: int) -> list[tuple[list, str, int]]:
    """`count` photos of their own (pieces, SHA-256, size)."""
    out = []
    for i in range(count):
        pieces = unique_pieces(photo, n * 10 + i)
        digest = hashlib.sha256()
        for piece in pieces:
            digest.update(piece)
        out.append((pieces, digest.hexdigest(), sum(len(p) for p in pieces)))
    return out


def send_report(api: Http, tally: Tally, report: dict) -> int | None:
    fields = {"client_uuid": report["uuid"], "lon": report["lon"], "lat": report["lat"], "accuracy_m": 6,
              "category": "E0102", "description": "故障测试", "captured_at": report["at"],
              "photo_count": len(report["photos"])}
    pieces, kind = multipart(fields, [("photos", f"p{i}.jpg", p[0]) for i, p in enumerate(report["photos"])])
    with tally.lock:
        tally.uploading += 1
    try:
        status, body = api.call("POST", "/api/v1/collect/reports/", pieces, kind)
    finally:
        with tally.lock:
            tally.uploading -= 1
    tally.saw(status, body, "report")
    report["status"] = status
    if status in (200, 201) and json.loads(body).get("client_uuid") == report["uuid"]:
        report["answered"], report["case"] = True, json.loads(body)["id"]
    return status


def send_ticket(api: Http, tally: Tally, ticket: dict) -> None:
    status, body = api.call("POST", "/api/v1/hotline/tickets/?source=faults", ticket["row"])
    tally.saw(status, body, "ticket")
    ticket["status"] = status
    if status in (200, 201):
        refused = {r["external_id"] for r in json.loads(body).get("refused", [])}
        ticket["answered"], ticket["refused"] = True, ticket["id"] in refused


STEPS = [("file", "dispatcher", {}), ("dispatch", "dispatcher", {"department": DEPARTMENT}),
         ("sign", "handler", {}), ("handle", "handler", {"reply": "已清运"})]


def step_case(apis: dict, tally: Tally, case: dict, photo: bytes) -> None:
    """The next step of the closed loop on one of the client's cases; after a cut, where the
    case stands is read back from its history."""
    name, who, extra = STEPS[case["step"]]
    fields = {"version": case["version"], **extra}
    path = f"/api/v1/cases/{case['id']}/{name}/"
    if name == "handle":
        after = photo_set(photo, -case["id"], 1)[0]
        pieces, kind = multipart(fields, [("photos", "after.jpg", after[0])])
        status, body = apis[who].call("POST", path, pieces, kind)
    else:
        status, body = apis[who].call("POST", path, fields)
    tally.saw(status, body, name)
    if status == 200:
        if name == "handle":
            with tally.lock:
                tally.replies[case["id"]] = after
        case["step"] += 1
        case["version"] = _props(json.loads(body))["version"]
    elif status is None or status == 409:
        status, body = apis["dispatcher"].call("GET", f"/api/v1/cases/{case['id']}/")
        tally.saw(status, body, "case")
        if status == 200:
            detail = _props(json.loads(body))
            done = {e["action"] for e in detail.get("events", [])}
            case["version"] = detail["version"]
            case["step"] = sum(1 for step in STEPS if step[0] in done)
    else:
        case["step"] = len(STEPS)  # refused for a reason of its own: leave this case be


def _props(feature: dict) -> dict:
    return {**feature, **feature.get("properties", {})}


def client(n: int, apis: dict, tally: Tally, world: dict, deadline: float) -> None:
    rng = random.Random(n)
    mine, sent = [], 0
    while time.monotonic() < deadline:
        draw = rng.random()
        if draw < 0.45:
            point = rng.choice(world["points"])
            report = {"uuid": str(uuid.uuid4()), "lon": point[0], "lat": point[1], "answered": False,
                      "at": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"),
                      "photos": photo_set(world["photo"], n * 100_000 + sent, rng.choice((1, 1, 2, 2, 3, 4)))}
            sent += 1
            with tally.lock:
                tally.reports[report["uuid"]] = report
            send_report(apis["inspector"], tally, report)
            if report["answered"]:
                mine.append({"id": report["case"], "version": 1, "step": 0})
        elif draw < 0.70:
            layer = rng.choice(("cases", "grids", "heat"))
            status, body = apis["dispatcher"].call("GET", f"/api/v1/map/{layer}/?bbox={world['bbox']}")
            tally.saw(status, body, f"map/{layer}")
        elif draw < 0.85:
            open_cases = [c for c in mine if c["step"] < len(STEPS)]
            if open_cases:  # the furthest along first, so that cases reach the reply with its photo
                step_case(apis, tally, max(open_cases, key=lambda c: c["step"]), world["photo"])
        else:
            ticket = new_ticket(rng, world, f"F{n}-{sent}-{rng.randrange(10**9)}")
            with tally.lock:
                tally.tickets[ticket["id"]] = ticket
            send_ticket(apis["dispatcher"], tally, ticket)
            sent += 1


def new_ticket(rng: random.Random, world: dict, ticket_id: str) -> dict:
    lon, lat = rng.choice(world["points"])
    at = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=30)
    row = {"工单编号": ticket_id, "受理时间": at.strftime("%Y-%m-%d %H:%M:%S"), "诉求类型": "投诉举报",
           "诉求内容": "小区门口暴露垃圾没人清理，味道很大", "经度": round(lon, 7), "纬度": round(lat, 7),
           "坐标系": "WGS84"}
    return {"id": ticket_id, "row": row, "answered": False}


def killer(server, tally: Tally, started: float, kills: list) -> None:
    """SIGKILL a worker at even intervals, each time once an upload is in flight."""
    for i in range(KILLS):
        time.sleep(max(0.0, started + SECONDS * (i + 1) / (KILLS + 1) - time.monotonic()))
        while tally.uploading < 1 and time.monotonic() < started + SECONDS:
            time.sleep(0.05)
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        if workers:
            victim = int(random.choice(workers))
            os.kill(victim, signal.SIGKILL)
            kills.append((round(time.monotonic() - started, 1), victim, tally.uploading))


def big_photo(target: int) -> bytes:
    """A JPEG of about `target` bytes (noise compresses like a detailed photo)."""
    import io

    import numpy as np
    from PIL import Image

    side = int(3000 * (target / (9.0 * 2**20)) ** 0.5)  # 3000 × 2250 at quality 97: about 9.0 MiB
    pixels = np.random.default_rng(3).integers(0, 255, (side * 3 // 4, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=97)
    return out.getvalue()


def forty_mb_report(api: Http, tally: Tally, point: tuple) -> float:
    """The share of the files of a report of four ~9.5 MB photos that the server stored."""
    from urbanmgmt.cases.models import CaseMedia

    photos = photo_set(big_photo(int(9.5 * 2**20)), 1, 4)
    report = {"uuid": str(uuid.uuid4()), "lon": point[0], "lat": point[1], "answered": False,
              "at": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"),
              "photos": photos}
    status = send_report(api, tally, report)
    size = sum(p[2] for p in photos)
    stored = CaseMedia.objects.filter(case_id=report.get("case"), sha256__in=[p[1] for p in photos]).count()
    print(f"  38 MB report: {size / 2**20:.1f} MiB in 4 photos, answered {status}, {stored} stored")
    return stored / len(photos)


def resend(apis: dict, tally: Tally) -> tuple[int, int]:
    """Send again what got no answer (or a 5xx), until it gets one; (reports, tickets) resent."""
    reports = [r for r in tally.reports.values() if _unanswered(r)]
    tickets = [t for t in tally.tickets.values() if _unanswered(t)]
    for attempt in range(10):
        for report in filter(_unanswered, reports):
            send_report(apis["inspector"], tally, report)
        for ticket in filter(_unanswered, tickets):
            send_ticket(apis["dispatcher"], tally, ticket)
        if not any(map(_unanswered, reports + tickets)):
            break
        time.sleep(1 + attempt)
    return len(reports), len(tickets)


def _unanswered(item: dict) -> bool:
    return item.get("status") is None or item["status"] >= 500


def check(tally: Tally, media_root) -> tuple[list, list]:
    """(lost, duplicated): what was answered but is not whole in the database and on disk, and
    what is stored more than once."""
    from django.db.models import Count

    from urbanmgmt.cases.models import Case, CaseMedia
    from urbanmgmt.hotline.models import HotlineTicket

    lost, duplicated = [], []
    stored = {}
    for ref, pk in Case.objects.filter(external_ref__in=list(tally.reports)).values_list("external_ref", "pk"):
        stored.setdefault(ref, []).append(pk)
    duplicated += [ref for ref, pks in stored.items() if len(pks) > 1]
    expected = {pks[0]: list(tally.reports[ref]["photos"]) for ref, pks in stored.items()}
    for pk, photo in tally.replies.items():  # the after photo of a case made by a report
        expected.setdefault(pk, []).append(photo)
    media = {}
    for row in CaseMedia.objects.filter(case_id__in=list(expected)).values("case_id", "sha256", "file"):
        media.setdefault(row["case_id"], {})[row["sha256"]] = row["file"]
    lost += [ref for ref, r in tally.reports.items() if r["answered"] and ref not in stored]
    lost += [f"{ref} never answered" for ref, r in tally.reports.items() if _unanswered(r)]
    for pk, photos in expected.items():
        for _pieces, sha, size in photos:
            name = media.get(pk, {}).get(sha)
            if not name or not _whole(media_root / name, sha, size):
                lost.append(f"case {pk} photo {sha[:12]}")
    tickets = {t["id"] for t in tally.tickets.values() if t["answered"] and not t["refused"]}
    found = set(HotlineTicket.objects.filter(source="faults", external_id__in=list(tickets))
                .values_list("external_id", flat=True))
    lost += [f"ticket {t}" for t in tickets - found]
    duplicated += list(HotlineTicket.objects.filter(source="faults").values("external_id")
                       .annotate(n=Count("id")).filter(n__gt=1).values_list("external_id", flat=True))
    return lost, duplicated


def _whole(path, sha: str, size: int) -> bool:
    if not path.is_file() or path.stat().st_size != size:
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == sha


def people() -> tuple[dict, list, str]:
    """Tokens of an inspector, a dispatcher and a sanitation-office handler; grid points; a bbox."""
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.db.models import Extent
    from rest_framework.authtoken.models import Token

    from urbanmgmt.grids.models import UnitGrid
    from urbanmgmt.org.models import Department, Profile

    tokens = {}
    for role in ("inspector", "dispatcher", "handler"):
        user = User.objects.create_user(f"faults_{role}")
        user.groups.add(Group.objects.get(name=role))
        profile = Profile.objects.create(user=user, department=Department.objects.get(code=DEPARTMENT)
                                         if role == "handler" else None)
        if role == "inspector":
            profile.grids.set(UnitGrid.objects.all())
        tokens[role] = Token.objects.create(user=user).key
    points = [(p.x, p.y) for p in (g.geom.point_on_surface for g in UnitGrid.objects.all()[:300])]
    extent = UnitGrid.objects.aggregate(e=Extent("geom"))["e"]
    return tokens, points, ",".join(f"{v:.5f}" for v in extent)


def main() -> None:
    db = setup_django("bench_faults.sqlite3")
    load_demo_city()
    tokens, points, bbox = people()
    media = ROOT / "var" / "bench_faults_media"
    shutil.rmtree(media, ignore_errors=True)
    tally, kills = Tally(), []
    log = ROOT / "var" / "bench_faults_server.log"
    with serve(db, WORKERS, THREADS, log=log, MEDIA_ROOT=str(media)) as (server, port):
        apis = {role: Http(port, token) for role, token in tokens.items()}
        kept = forty_mb_report(apis["inspector"], tally, points[0])
        tally.reports.clear()
        world = {"photo": phone_jpeg(), "points": points, "bbox": bbox}
        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n, apis, tally, world, started + SECONDS))
                   for n in range(CLIENTS)]
        threads.append(threading.Thread(target=killer, args=(server, tally, started, kills)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        resent = resend(apis, tally)
        lost, duplicated = check(tally, media)
    answered = sum(r["answered"] for r in tally.reports.values())
    print(f"  {SECONDS:.0f} s, {CLIENTS} clients, gunicorn {WORKERS} workers × {THREADS} threads; killed (s, pid, "
          f"uploads in flight): {kills}")
    print(f"  answers: {dict(sorted(tally.statuses.items()))}")
    print(f"  {len(tally.reports)} reports ({answered} answered in the "
          f"end), {len(tally.replies)} replies with a photo, {len(tally.tickets)} tickets; resent {resent[0]} reports, "
          f"{resent[1]} tickets")
    for item in (lost + duplicated)[:5]:
        print(f"  lost or duplicated: {item}")
    for what, status, body in tally.server_errors[:5]:
        print(f"  server error: {what} {status} {body[:80]!r} (the server's log: {log})")
    bench("upload_40mb_files_kept", kept, "ratio")
    bench("fault_acknowledged_lost", len(lost), "count")
    bench("fault_duplicates", len(duplicated), "count")
    bench("fault_server_errors", len(tally.server_errors), "count")


if __name__ == "__main__":
    main()
