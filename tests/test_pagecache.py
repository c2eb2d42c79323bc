"""SQLite's page cache larger for a bulk job, and the connection's own back after it."""

import pytest
from django.db import connection

from urbanmgmt.pagecache import bulk_page_cache

pytestmark = pytest.mark.django_db


def cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.fixture
def sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite connection's page cache")


@pytest.fixture
def own_cache(sqlite):
    before = cache_size()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -32000")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = {before}")


def test_the_cache_is_the_bulk_size_in_the_block_and_its_own_after(own_cache, settings):
    settings.SQLITE_BULK_CACHE_MB = 100
    with bulk_page_cache():
        assert cache_size() == -100 * 1024
    assert cache_size() == -32000


def test_it_comes_back_after_a_job_that_fails(own_cache, settings):
    settings.SQLITE_BULK_CACHE_MB = 100
    with pytest.raises(RuntimeError), bulk_page_cache():
        raise RuntimeError("the job failed")
    assert cache_size() == -32000


def test_a_larger_cache_of_the_connections_own_is_kept(own_cache, settings):
    settings.SQLITE_BULK_CACHE_MB = 16  # 16,384 KiB, less than its 32,000
    with bulk_page_cache():
        assert cache_size() == -32000
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = 10000")  # pages: 40,000 KiB at 4 KiB a page
    settings.SQLITE_BULK_CACHE_MB = 32
    with bulk_page_cache():
        assert cache_size() == 10000


def test_zero_leaves_the_connections_own(own_cache, settings):
    settings.SQLITE_BULK_CACHE_MB = 0
    with bulk_page_cache():
        assert cache_size() == -32000
