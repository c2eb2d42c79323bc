"""SQLite set for a bulk job: a larger page cache, and the write-ahead log copied back once.

Each SQLite connection keeps the pages it has read in a cache of its own, sized for a web
request (settings: 32 MB). A bulk import writes its rows all over the case and ticket
indexes, batch after batch: in 32 MB the index pages of one batch are gone by the next, and
each is read again from the file, a system call and a copy every time. For the length of the
job its connection keeps up to settings.SQLITE_BULK_CACHE_MB (SQLite frees the pages beyond
the connection's own size after).

The write-ahead log is copied back into the database (a checkpoint: the pages, then an
fsync) whenever a commit leaves it over wal_autocheckpoint pages (settings: ~40 MB). A batch
of an import writes about that much, so each commit paid a checkpoint, copying the same
index pages again and waiting for the disk. For the job the threshold is
settings.SQLITE_BULK_WAL_MB; when the job ends it checkpoints once itself (PASSIVE: it waits
for no reader or writer), so that the next small writer does not pay for the job's log
(a job run inside a transaction leaves it to the commit).

Other databases keep their buffers and logs themselves: nothing changes there.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connections


@contextmanager
def bulk_sqlite(using: str = "default"):
    """The connection's page cache and checkpoint threshold at their bulk sizes for the block
    (each only where larger than the connection's own), as they were after, however the block
    ends, with the log the block wrote checkpointed."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    page_kib = _pragma(connection, "page_size") // 1024
    cache, log = _pragma(connection, "cache_size"), _pragma(connection, "wal_autocheckpoint")
    cache_kib = -cache if cache < 0 else cache * page_kib
    raised = []
    if 1024 * settings.SQLITE_BULK_CACHE_MB > cache_kib:
        raised.append(("cache_size", cache, -1024 * settings.SQLITE_BULK_CACHE_MB))
    if log > 0 and 1024 * settings.SQLITE_BULK_WAL_MB // page_kib > log:
        raised.append(("wal_autocheckpoint", log, 1024 * settings.SQLITE_BULK_WAL_MB // page_kib))
    for name, _before, bulk in raised:
        _pragma(connection, f"{name} = {int(bulk)}")
    try:
        yield
    finally:
        for name, before, _bulk in raised:
            _pragma(connection, f"{name} = {int(before)}")
        # Inside a transaction the job's pages are not in the log yet (and SQLite refuses it).
        if any(name == "wal_autocheckpoint" for name, _b, _n in raised) and not connection.in_atomic_block:
            _pragma(connection, "wal_checkpoint(PASSIVE)")


def _pragma(connection, statement: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {statement}")
        row = cursor.fetchone()
    return int(row[0]) if row else None
