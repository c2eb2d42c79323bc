"""Shared set-up of the benchmarks: a fresh SpatiaLite file with the demo city, and output."""

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_name: str) -> Path:
    """Point Django at a fresh SpatiaLite file under var/ and migrate it (quietly)."""
    sys.path.insert(0, str(ROOT))
    path = ROOT / "var" / db_name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["SQLITE_PATH"] = str(path)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanmgmt.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return path


def load_demo_city() -> None:
    from django.conf import settings

    from demo.city import load_departments
    from urbanmgmt.cases.calendar_seed import seed_calendar
    from urbanmgmt.catalog.loader import load_catalog
    from urbanmgmt.grids.importer import import_grids

    load_catalog(settings.FIXTURES_DIR / "catalog" / "categories.json")
    report = import_grids(settings.FIXTURES_DIR / "demo" / "haizhou_grids.geojson")
    assert report.ok, report.lines()
    load_departments(settings.FIXTURES_DIR / "demo" / "departments.json")
    seed_calendar()


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.1f} {unit}", flush=True)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: Path, workers: int, threads: int, log: Path | None = None, **env):
    """gunicorn serving the platform on the SpatiaLite file `db`, as `make run` does;
    yields (the server process, its port) once /healthz answers. Its error output goes to
    `log` if given."""
    port = free_port()
    environment = {**os.environ, "SQLITE_PATH": str(db), "DJANGO_SETTINGS_MODULE": "urbanmgmt.settings", **env}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "urbanmgmt.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--timeout", "60", "--preload"]
    errors = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the server)
    server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        _wait(port)
        yield server, port
    finally:
        server.terminate()
        server.wait(10)
        if log:
            errors.close()


def _wait(port: int) -> None:
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if json.loads(conn.getresponse().read())["ok"]:
                return
        except (OSError, ValueError):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def multipart(fields: dict, files: list[tuple[str, str, list]]) -> tuple[list, str]:
    """A multipart/form-data body as pieces to send one after the other: the fields, then each
    file (field name, file name, its pieces, sent uncopied). Also returns the content type."""
    import uuid

    boundary = uuid.uuid4().hex
    pieces = ["".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                      for k, v in fields.items()).encode()]
    for name, filename, content in files:
        pieces.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      f"Content-Type: image/jpeg\r\n\r\n".encode())
        pieces.extend(content)
        pieces.append(b"\r\n")
    pieces.append(f"--{boundary}--\r\n".encode())
    return pieces, f"multipart/form-data; boundary={boundary}"
