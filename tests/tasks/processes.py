"""Real processes for the queue's tests: task workers on the test database, a redis-server."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def database_env() -> dict:
    """The environment that points a child process at this test database."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(params["NAME"]), "DATABASE_URL": ""}
    auth = quote(params["USER"] or "") + (f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else "")
    host = quote(params["HOST"] or "", safe="")
    return {"DATABASE_URL": f"postgres://{auth}@{host}:{params['PORT'] or 5432}/{quote(params['NAME'])}"}


def start_worker(var_dir: Path, log: Path, **env: str) -> subprocess.Popen:
    """`manage.py tasks_worker` in its own process group (killed with its children)."""
    full = {**os.environ, **database_env(), "URBANMGMT_VAR_DIR": str(var_dir), "TASKS_LEASE_S": "2",
            "TASKS_RETRY_BASE_S": "0.2", "PYTHONUNBUFFERED": "1", **env}
    if not full.get("DATABASE_URL"):
        full.pop("DATABASE_URL", None)
    if not full.get("REDIS_URL"):
        full.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, "manage.py", "tasks_worker", "--interval", "0.1"], cwd=ROOT,
                            env=full, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> bool:
    """Signal the process's group; one still there after 30 s is killed. Whether it stopped
    by itself."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
        return True
    except subprocess.TimeoutExpired:  # a warm shutdown finishing a task on a loaded machine
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return False


def wait_until(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"waited {timeout} s for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(directory: Path):
    """A redis-server of its own on a free port, in `directory`; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        import pytest

        pytest.skip("redis-server is not installed (make system-test installs Debian's redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        from redis import Redis

        client = Redis(port=port)
        wait_until(lambda: _pings(client), 20, "redis-server to answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        kill(process, signal.SIGTERM)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


@contextlib.contextmanager
def queue_on(queue: str, directory: Path, settings):
    """The queue `queue` ("database", or "redis": a redis-server of its own in `directory`)
    for this process (pytest-django's `settings`) and for the children it starts: yields the
    environment they need."""
    with contextlib.ExitStack() as stack:
        env = {"REDIS_URL": ""}
        if queue == "redis":
            url = stack.enter_context(redis_server(directory))
            settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
            settings.CACHES = {**settings.CACHES, "tasks-redis": {**settings.CACHES["tasks-redis"], "LOCATION": url}}
            env["REDIS_URL"] = url
        yield env
