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
