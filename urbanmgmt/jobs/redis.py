"""The queue on Redis: its connection, and delivering many jobs in few messages.

The connection: django-rq opens a new connection (and reads the redis package's metadata)
for every enqueue and every finished job when given a URL, ~2 ms each; given a cache alias
(USE_REDIS_CACHE) it takes that cache's `_client`. Django's own Redis cache keeps one
connection pool per process: lend it.

Few messages: RQ spends ~18 Redis round trips on each message (its registries, heartbeat,
result), which capped the queue at ~250 no-op jobs a second on two cores. Each process sends
the ids of its committed jobs through one thread (the outbox): an id enqueued while the
thread is idle goes out at once, alone; ids enqueued while it is sending go out together in
the next message (up to TASKS_BATCH), which a worker runs one after the other (run_jobs).
The guarantees stay those of one job a message: each job is claimed by its own compare-and-
set and holds its own lease; a message lost with its process (ids not yet sent) is delivered
again by sweep() after TASKS_REDELIVER_S; the jobs waiting behind a job whose worker died are
delivered again with it (sweep); and jobs still waiting when one runs past
TASKS_BATCH_HOLD_S are handed back to the queue for other workers (batch_watch)."""

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.db import connection

logger = logging.getLogger(__name__)


class QueueConnection(RedisCache):
    """Django's Redis cache whose pooled client django-rq uses as its connection."""

    @property
    def _client(self):
        return self._cache.get_client(write=True)


class Outbox:
    """The ids of committed jobs, sent to the queue by one thread of this process."""

    def __init__(self):
        self.ids: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.pid = 0
        self.sender: Callable[[list[int]], None] | None = None  # queue.send_ids (set there: no import cycle)

    def put(self, job_id: int) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first job of this process (or of a fork of it)
                self.pid = os.getpid()
                threading.Thread(target=self.run, daemon=True, name="job-outbox").start()
                atexit.register(self.flush)
        self.ids.put(job_id)

    def take(self, block: bool) -> list[int]:
        try:
            taken = [self.ids.get(block=block)]
        except queue.Empty:
            return []
        while len(taken) < settings.TASKS_BATCH:
            try:
                taken.append(self.ids.get_nowait())
            except queue.Empty:
                break
        return taken

    def send(self, job_ids: list[int]) -> None:
        try:
            self.sender(job_ids)
        except Exception:  # Redis away: the jobs stay queued in the database and sweep() sends them again
            logger.exception("sending jobs %s to the queue", job_ids)

    def run(self) -> None:
        while True:
            self.send(self.take(block=True))
            if self.ids.empty():  # idle: no connection held (a test database must be droppable)
                connection.close()

    def flush(self) -> None:
        """Send what is left now (the process is ending)."""
        while job_ids := self.take(block=False):
            self.send(job_ids)


outbox = Outbox()


class BatchWatch:
    """Runs the jobs of one message in turn; one thread per worker process hands the jobs not
    yet started back to the queue when the current one has run for TASKS_BATCH_HOLD_S."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = 0
        self.current: tuple[float, list[int]] | None = None  # (when the running job started, the ids after it)

    def run(self, job_ids: list[int], execute: Callable[[int], str]) -> list[str]:
        self._start()
        states = []
        try:
            for n, job_id in enumerate(job_ids):
                with self.lock:
                    if n and self.current is None:  # handed back while the last one ran
                        break
                    self.current = (time.monotonic(), job_ids[n + 1:])
                states.append(execute(job_id))
        except Exception:  # the database gone or locked: the jobs after it must not wait for a sweep
            with self.lock:
                waiting, self.current = (self.current or (0, []))[1], None
            if waiting:
                outbox.send(waiting)
            raise
        with self.lock:
            self.current = None
        return states

    def _start(self) -> None:
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self.watch, daemon=True, name="job-batches").start()

    def watch(self) -> None:
        hold = settings.TASKS_BATCH_HOLD_S
        while True:
            time.sleep(hold / 4)
            with self.lock:
                if self.current is None or not self.current[1] or time.monotonic() - self.current[0] < hold:
                    continue
                waiting, self.current = self.current[1], None
            logger.info("a job runs past %s s: handing %s waiting jobs back to the queue", hold, len(waiting))
            for start in range(0, len(waiting), settings.TASKS_BATCH):
                outbox.send(waiting[start:start + settings.TASKS_BATCH])
            connection.close()


batch_watch = BatchWatch()
