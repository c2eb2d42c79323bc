"""Benchmarks of background work (issue #19), on SpatiaLite, with real worker processes.

- tasks_per_s_database / tasks_per_s_redis: no-op jobs (urbanmgmt.jobs.queue.ping) through
  the whole job API (the Job row, the queue, a claim, the result) with two `manage.py
  tasks_worker` processes; the clock runs from the first enqueue to the last job done.
  tasks_per_s_redis_queue_only: django-tasks' own no-op task on RQ, without the Job row (what
  the queue itself carries; the Job rows are SpatiaLite writes, the figure above).
- upload_import_started_ms: a 100,000-row 12345 CSV (~12 MB) posted to the upload page of
  gunicorn as `make run` serves it (warmed up by a few page views), with a task worker beside
  it: the time from the first byte sent to the page's answer (the import queued, not done).
  The worst of three uploads; from the second on, the worker imports the previous file.
"""

import contextlib
import csv
import datetime as dt
import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import time

from common import ROOT, Timer, bench, free_port, load_demo_city, serve, setup_django

N_DB, N_REDIS, N_ROWS, UPLOADS = 2000, 5000, 100_000, 3
WORKERS = int(os.environ.get("BENCH_TASK_WORKERS", "2"))


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"waited {timeout} s for {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def workers(db, count: int, **env):
    environment = {**os.environ, "SQLITE_PATH": str(db), "DJANGO_SETTINGS_MODULE": "urbanmgmt.settings", **env}
    command = [sys.executable, "manage.py", "tasks_worker", "--interval", "0.05", "-v", "0"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True) for _ in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)


def jobs_per_s(db, n: int, label: str, **env) -> None:
    from urbanmgmt.jobs.models import Job, JobState
    from urbanmgmt.jobs.queue import ping

    with workers(db, WORKERS, **env) as processes:
        ping.enqueue(f"{label}-warm")
        wait_for(lambda: Job.objects.filter(key=f"{label}-warm", state=JobState.DONE).exists(), 120, "a worker")
        cpu = time.process_time() + sum(map(cpu_seconds, processes))
        with Timer() as timer:
            for i in range(n):
                ping.enqueue(f"{label}-{i}")
            enqueued = time.perf_counter() - timer.start
            wait_for(lambda: Job.objects.filter(key__startswith=f"{label}-", state=JobState.DONE).count() > n, 600,
                     "the jobs")
        cpu = time.process_time() + sum(map(cpu_seconds, processes)) - cpu
    bench(f"tasks_per_s_{label}", n / timer.seconds, "tasks/s")
    # On a shared machine the wall time depends on the others' load: the CPU time is the
    # producer's and the workers' own (the database's or Redis' server work not counted).
    bench(f"tasks_per_cpu_s_{label}", n / cpu, "tasks/s")
    print(f"  ({n} jobs, {WORKERS} workers, enqueued in {enqueued:.2f} s, all done in {timer.seconds:.2f} s, "
          f"{cpu:.1f} s CPU, load average {os.getloadavg()[0]:.2f})")


def cpu_seconds(process) -> float:
    """User and system CPU time of a running process so far (Linux /proc)."""
    fields = open(f"/proc/{process.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def queue_only_per_s(db, url: str, n: int) -> None:
    from django_tasks import task_backends
    from redis import Redis

    from urbanmgmt.jobs.queue import run_job  # its no-op: job 0 does not exist, the claim finds nothing

    with workers(db, 2, REDIS_URL=url):
        redis = Redis.from_url(url)
        backend = task_backends["default"]
        with Timer() as timer:
            results = [run_job.enqueue(0) for _ in range(n)]
            enqueued = time.perf_counter() - timer.start
            wait_for(lambda: redis.llen("rq:queue:default") == 0, 600, "the queue to empty")
            wait_for(lambda: backend.get_result(results[-1].id).is_finished, 600, "the last task")
    bench("tasks_per_s_redis_queue_only", n / timer.seconds, "tasks/s")
    print(f"  ({n} tasks, enqueued in {enqueued:.2f} s, all done in {timer.seconds:.2f} s)")


@contextlib.contextmanager
def redis_server(directory):
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        from redis import Redis

        wait_for(lambda: _pings(Redis(port=port)), 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def ticket_csv(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工单编号", "受理时间", "诉求类型", "紧急程度", "诉求内容", "地址", "联系电话"])
    at = dt.datetime.now() - dt.timedelta(hours=2)
    for i in range(n):
        writer.writerow([f"U{i:07d}", f"{at:%Y-%m-%d %H:%M:%S}", "投诉举报", "一般", "小区门口暴露垃圾没人清理，味道很大",
                         f"连云港市海州区新南街道{i % 40 + 1}号楼", "138****0000"])
    return out.getvalue().encode("utf-8-sig")


def upload_started_ms(db) -> None:
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    user = User.objects.create_user("bench_intake")
    user.groups.add(Group.objects.get(name="dispatcher"))
    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash()})
    session.create()
    token = get_random_string(32)
    data = ticket_csv(N_ROWS)
    boundary = "benchboundary" + get_random_string(16)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nbench12345\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tickets.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    times = []
    with serve(db, workers=2, threads=4) as (_server, port), workers(db, 1):
        for _ in range(8):  # each gunicorn worker loads the URLconf and the views on its first request
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/hotline/import/", headers={"Cookie": f"sessionid={session.session_key}"})
            conn.getresponse().read()
            conn.close()
        for _ in range(UPLOADS):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with Timer() as timer:
                conn.request("POST", "/hotline/import/", body, {
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Cookie": f"sessionid={session.session_key}; csrftoken={token}", "Host": "127.0.0.1"})
                answer = conn.getresponse()
                answer.read()
            assert answer.status == 302, (answer.status, answer.getheader("Location"))
            times.append(timer.seconds * 1000)
    bench("upload_import_started_ms", max(times), "ms")
    print(f"  ({N_ROWS:,} rows, {len(data) / 2**20:.1f} MB, answers in {', '.join(f'{t:.0f}' for t in times)} ms)")


def main() -> None:
    db = setup_django("bench_tasks.sqlite3")
    load_demo_city()
    from django.conf import settings

    jobs_per_s(db, N_DB, "database")
    if shutil.which("redis-server"):
        directory = ROOT / "var" / "bench_redis"
        directory.mkdir(parents=True, exist_ok=True)
        with redis_server(directory) as url:
            settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
            settings.CACHES["tasks-redis"]["LOCATION"] = url  # before its first use: nothing to reset
            from django.core.signals import setting_changed

            setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)
            jobs_per_s(db, N_REDIS, "redis", REDIS_URL=url)
            queue_only_per_s(db, url, N_REDIS)
            settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
            setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)
    else:
        print("  (redis-server is not installed: make system-test installs it; no Redis figures)")
    upload_started_ms(db)


if __name__ == "__main__":
    main()
