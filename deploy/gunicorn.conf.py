"""gunicorn's settings for the web nodes: `make run` and deploy/ start gunicorn with this file.

Each value can be set from the environment (GUNICORN_* or the names `make run` passes), so one
file serves a laptop and a node behind a load balancer."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WORKERS") or multiprocessing.cpu_count())
# Four threads a worker: a phone's keep-alive connection stays with the worker that took it,
# so with two threads the worker holding more phones queued their reports; slow mobile uploads
# also hold a thread each.
threads = int(os.environ.get("THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# A worker's resident memory is a high-water mark (a year's export, the KPI year, a 12345
# file): it keeps what it once needed. Recycling each worker after a number of requests, at
# staggered counts so that the workers of a node never restart together, bounds it.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Behind a load balancer: trust its X-Forwarded-* headers (the address list, comma-separated).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# A worker's resident set is the sum of what each of its threads once held (issue #19: under
# 300 MB). Each thread keeps its own SQLite connection, whose page cache (32 MB, settings.py)
# stays full after a year's export or KPI view: emptied after every request (the file's pages
# stay in the OS's cache, so the next request reads them again without the disk). glibc gives
# each allocating thread its own heap ("arena", up to 8 per core) and keeps their freed
# pages: two arenas, and the freed pages handed back after every request.
_M_ARENA_MAX = -8


def _libc():
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name and "musl" not in name else None


def post_fork(server, worker):
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(_M_ARENA_MAX, int(os.environ.get("MALLOC_ARENA_MAX") or 2))
    worker.libc = libc


def post_request(worker, req, environ, resp):
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite" and connection.connection is not None:
            connection.connection.execute("PRAGMA shrink_memory")
    libc = getattr(worker, "libc", None)
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
