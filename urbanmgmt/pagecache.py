"""SQLite's page cache, larger for a bulk job.

Each SQLite connection keeps the pages it has read in a cache of its own, sized for a web
request (settings: 32 MB). A bulk import writes its rows all over the case and ticket
indexes, batch after batch: in 32 MB the index pages of one batch are gone by the next, and
each is read again from the file, a system call and a copy every time. For the length of the
job its connection keeps up to settings.SQLITE_BULK_CACHE_MB, then goes back to what it had
(SQLite frees the pages beyond it). Other databases keep their buffers themselves: nothing
changes there.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connections


@contextmanager
def bulk_page_cache(using: str = "default"):
    """The connection's page cache at settings.SQLITE_BULK_CACHE_MB for the block (when that
    is larger than its own), as it was after, however the block ends."""
    connection = connections[using]
    wanted = -1024 * settings.SQLITE_BULK_CACHE_MB  # negative: KiB, as the init command gives it
    if connection.vendor != "sqlite" or wanted >= 0:
        yield
        return
    before = _cache_size(connection)
    if _kib(connection, before) >= -wanted:
        yield
        return
    _set_cache_size(connection, wanted)
    try:
        yield
    finally:
        _set_cache_size(connection, before)


def _cache_size(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


def _set_cache_size(connection, size: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = {int(size)}")


def _kib(connection, size: int) -> int:
    """A cache_size in KiB: a negative one is KiB already, a positive one a number of pages."""
    if size < 0:
        return -size
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        return size * int(cursor.fetchone()[0]) // 1024
