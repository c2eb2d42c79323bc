"""Benchmark of the inspectors' report submission (issue: 城管通), over real HTTP.

8 concurrent clients post reports, each with one ~3 MB, 12-megapixel JPEG (a different one
every time), to gunicorn serving the platform on a fresh SpatiaLite database: at least 400
reports. Prints report_submit_p95_ms and report_submit_per_s.
"""

import http.client
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid

from common import ROOT, bench, load_demo_city, serve, setup_django
from photos import phone_jpeg, unique

# As `make run` serves on this 2-core machine: a worker per core, two threads each.
CLIENTS, REPORTS = 8, 400
WORKERS, THREADS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)), int(os.environ.get("BENCH_THREADS", "2"))


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="photo.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    db = setup_django("bench_collect.sqlite3")
    load_demo_city()
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from urbanmgmt.grids.models import UnitGrid
    from urbanmgmt.org.models import Profile

    user = User.objects.create_user("bench_inspector")
    user.groups.add(Group.objects.get(name="inspector"))
    Profile.objects.create(user=user).grids.set(UnitGrid.objects.all()[:200])
    token = Token.objects.create(user=user).key
    points = [g.geom.point_on_surface for g in UnitGrid.objects.all()[:200]]

    media = ROOT / "var" / "bench_media"
    shutil.rmtree(media, ignore_errors=True)
    with serve(db, WORKERS, THREADS, MEDIA_ROOT=str(media)) as (server, port):
        photo = phone_jpeg()
        _warm_up(port, token, points[0], photo)
        print(f"  photo: {len(photo) / 1e6:.1f} MB, 4000 × 3000; gunicorn {WORKERS} workers × {THREADS} threads, "
              f"{CLIENTS} clients")
        latencies, failures, counter, lock = [], [], [0], threading.Lock()

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            while True:
                with lock:
                    if counter[0] >= REPORTS:
                        return
                    counter[0] += 1
                    n = counter[0]
                point = points[n % len(points)]
                body, content_type = multipart({
                    "client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 6,
                    "category": "E0102", "description": "基准测试", "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                }, unique(photo, n))
                start = time.perf_counter()
                conn.request("POST", "/api/v1/collect/reports/", body,
                             {"Content-Type": content_type, "Authorization": f"Token {token}"})
                response = conn.getresponse()
                answer = response.read()
                latencies.append(time.perf_counter() - start)
                if response.status != 201:
                    failures.append((response.status, answer[:200]))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        server_cpu_before = _cpu_of_children(server.pid)
        started, cpu = time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - cpu
        server_cpu = _cpu_of_children(server.pid) - server_cpu_before
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}")
        sys.exit(1)
    latencies.sort()
    bench("report_submit_p95_ms", latencies[int(0.95 * len(latencies)) - 1] * 1000, "ms")
    bench("report_submit_per_s", len(latencies) / wall, "reports/s")
    from urbanmgmt.cases.models import Case

    print(f"  {Case.objects.count()} cases, median {latencies[len(latencies) // 2] * 1000:.0f} ms; CPU per report: "
          f"clients {client_cpu / len(latencies) * 1000:.0f} ms, server {server_cpu / len(latencies) * 1000:.0f} ms")


def _warm_up(port: int, token: str, point, photo: bytes) -> None:
    """One report per worker first (imports, grid index), not counted."""
    for n in range(WORKERS * 2):
        body, content_type = multipart({"client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 5,
                                        "category": "E0102", "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00")},
                                       unique(photo, -1 - n))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/v1/collect/reports/", body, {"Content-Type": content_type,
                                                                "Authorization": f"Token {token}"})
        assert conn.getresponse().status == 201


def _cpu_of_children(pid: int) -> float:
    """CPU seconds used so far by gunicorn's workers (from /proc)."""
    total = 0.0
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        fields = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


if __name__ == "__main__":
    main()
