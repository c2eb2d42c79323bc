"""SQLite set for a bulk job (a larger page cache, a longer write-ahead log between
checkpoints), and the connection's own settings back after it."""

import pytest
from django.db import connection

from urbanmgmt.sqlitebulk import bulk_sqlite

pytestmark = pytest.mark.django_db


def pragma(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def set_pragma(name: str, value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name} = {value}")


@pytest.fixture
def own(settings):
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite connection's settings")
    before = pragma("cache_size"), pragma("wal_autocheckpoint")
    set_pragma("cache_size", -32000)
    set_pragma("wal_autocheckpoint", 10000)
    settings.SQLITE_BULK_CACHE_MB, settings.SQLITE_BULK_WAL_MB = 100, 200
    yield
    set_pragma("cache_size", before[0])
    set_pragma("wal_autocheckpoint", before[1])


def pages(megabytes: int) -> int:
    return megabytes * 1024 * 1024 // pragma("page_size")


def test_the_bulk_sizes_hold_in_the_block_and_the_connections_own_after(own):
    with bulk_sqlite():
        assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == (-100 * 1024, pages(200))
    assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == (-32000, 10000)


def test_they_come_back_after_a_job_that_fails(own):
    with pytest.raises(RuntimeError), bulk_sqlite():
        raise RuntimeError("the job failed")
    assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == (-32000, 10000)


def test_larger_settings_of_the_connections_own_are_kept(own, settings):
    settings.SQLITE_BULK_CACHE_MB, settings.SQLITE_BULK_WAL_MB = 16, 8  # 16,384 KiB < 32,000; 8 MB < 10,000 pages
    with bulk_sqlite():
        assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == (-32000, 10000)
    set_pragma("cache_size", 10000)  # pages, not KiB: 10,000 of 4 KiB is more than 32 MB
    settings.SQLITE_BULK_CACHE_MB = 32
    with bulk_sqlite():
        assert pragma("cache_size") == 10000


def test_zero_leaves_the_connections_own(own, settings):
    settings.SQLITE_BULK_CACHE_MB, settings.SQLITE_BULK_WAL_MB = 0, 0
    with bulk_sqlite():
        assert (pragma("cache_size"), pragma("wal_autocheckpoint")) == (-32000, 10000)
