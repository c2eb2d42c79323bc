"""Benchmark of the inspectors' report submission (issue: 城管通), over real HTTP.

8 concurrent clients post reports, each with one ~3 MB, 12-megapixel JPEG (a different one
every time), to gunicorn serving the platform on a fresh SpatiaLite database: at least 400
reports with the media on the local disk, then 400 with the media on an S3-compatible store
(moto's server on this machine, issue #19). Prints report_submit_p95_ms, report_submit_per_s
and the same with the suffix _s3.
"""

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

from common import ROOT, bench, load_demo_city, serve, setup_django
from photos import phone_jpeg, unique_pieces

# As `make run` serves on this 2-core machine: a worker per core, four threads each.
CLIENTS, REPORTS = 8, 400
WORKERS, THREADS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)), int(os.environ.get("BENCH_THREADS", "4"))


def multipart_pieces(fields: dict, photo: list) -> tuple[list, str]:
    """A multipart/form-data body (fields, then the photo) as pieces to send one after the
    other, the photo's own pieces uncopied: the clients share the server's two cores, so they
    should not spend CPU copying 3 MB twice per report. Also returns the content type."""
    boundary = uuid.uuid4().hex
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="photo.jpg"\r\n'
             f"Content-Type: image/jpeg\r\n\r\n")
    return [head.encode(), *photo, f"\r\n--{boundary}--\r\n".encode()], f"multipart/form-data; boundary={boundary}"


def post_report(conn: http.client.HTTPConnection, token: str, pieces: list, content_type: str) -> tuple[int, bytes]:
    """One report over the connection (kept alive), the body's pieces sent as they are."""
    conn.request("POST", "/api/v1/collect/reports/", pieces,
                 {"Content-Type": content_type, "Content-Length": str(sum(len(p) for p in pieces)),
                  "Authorization": f"Token {token}"})
    response = conn.getresponse()
    return response.status, response.read()


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
    photo = phone_jpeg()
    with serve(db, WORKERS, THREADS, MEDIA_ROOT=str(media)) as (server, port):
        _measure(server, port, token, points, photo, "")
    try:
        with s3_store() as (env, store), serve(db, WORKERS, THREADS, MEDIA_ROOT=str(media), **env) as (server, port):
            _measure(server, port, token, points, photo, "_s3", store.pid)
    except subprocess.TimeoutExpired:
        # serve() gives gunicorn 10 s to stop; on a loaded machine the exit of workers that
        # loaded boto3's models takes longer (measured 12 s at a load of 13 on 2 cores).
        server.wait(120)


def _measure(server, port: int, token: str, points: list, photo: bytes, suffix: str, store_pid: int = 0) -> None:
    """REPORTS reports from CLIENTS clients; the figures, named with `suffix`. `store_pid`:
    the S3 server's process, whose CPU shares the machine's cores with gunicorn's."""
    _warm_up(port, token, points[0], photo)
    print(f"  photo: {len(photo) / 1e6:.1f} MB, 4000 × 3000; gunicorn {WORKERS} workers × {THREADS} threads, "
          f"{CLIENTS} clients; media {'in an S3 bucket (moto server)' if suffix else 'on the disk'}")
    latencies, failures, by_client = [], [], []  # by client: a worker holding more connections shows here
    counter, lock = [0], threading.Lock()

    def client():
        mine = []
        by_client.append(mine)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if counter[0] >= REPORTS:
                    conn.close()  # gunicorn then stops without waiting for idle keep-alives
                    return
                counter[0] += 1
                n = counter[0]
            point = points[n % len(points)]
            pieces, content_type = multipart_pieces({
                "client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 6,
                "category": "E0102", "description": "基准测试", "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            }, unique_pieces(photo, n + REPORTS * bool(suffix)))
            start = time.perf_counter()
            code, answer = post_report(conn, token, pieces, content_type)
            latencies.append(time.perf_counter() - start)
            mine.append(latencies[-1])
            if code != 201:
                failures.append((code, answer[:200]))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    server_cpu_before, store_cpu_before = _cpu_of_children(server.pid), _cpu_of(store_pid)
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - cpu
    server_cpu = _cpu_of_children(server.pid) - server_cpu_before
    store_cpu = _cpu_of(store_pid) - store_cpu_before
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}")
        sys.exit(1)
    latencies.sort()
    bench(f"report_submit_p95_ms{suffix}", latencies[int(0.95 * len(latencies)) - 1] * 1000, "ms")
    bench(f"report_submit_per_s{suffix}", len(latencies) / wall, "reports/s")
    from urbanmgmt.cases.models import Case

    print(f"  {Case.objects.count()} cases, median {latencies[len(latencies) // 2] * 1000:.0f} ms; CPU per report: "
          f"clients {client_cpu / len(latencies) * 1000:.0f} ms, server {server_cpu / len(latencies) * 1000:.0f} ms"
          + (f", S3 server {store_cpu / len(latencies) * 1000:.0f} ms" if store_pid else ""))
    means = sorted(sum(mine) / len(mine) * 1000 for mine in by_client if mine)
    print(f"  clients' mean latency: {means[0]:.0f} to {means[-1]:.0f} ms")


@contextlib.contextmanager
def s3_store():
    """moto's S3 server on a free local port with an empty bucket; yields the settings'
    environment that sends media there, and the server's process."""
    import boto3

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        env = {"MEDIA_S3_BUCKET": "bench-media", "MEDIA_S3_ENDPOINT_URL": url, "MEDIA_S3_REGION": "us-east-1",
               "MEDIA_S3_ACCESS_KEY": "bench", "MEDIA_S3_SECRET_KEY": "bench-secret"}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                              aws_secret_access_key="bench-secret")
        for _ in range(150):
            with contextlib.suppress(Exception):
                client.create_bucket(Bucket=env["MEDIA_S3_BUCKET"])
                break
            time.sleep(0.2)
        yield env, process
    finally:
        process.kill()
        process.wait()


def _warm_up(port: int, token: str, point, photo: bytes) -> None:
    """One report per worker first (imports, grid index), not counted."""
    for n in range(WORKERS * 2):
        pieces, content_type = multipart_pieces({
            "client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 5, "category": "E0102",
            "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00")}, unique_pieces(photo, -1 - n))
        assert post_report(http.client.HTTPConnection("127.0.0.1", port, timeout=60), token, pieces, content_type)[0] == 201


def _cpu_of_children(pid: int) -> float:
    """CPU seconds used so far by gunicorn's workers (from /proc)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sum(_cpu_of(int(child)) for child in children)


def _cpu_of(pid: int) -> float:
    """CPU seconds used so far by one process (0 for none)."""
    if not pid:
        return 0.0
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
