"""The test city kept beside itself in the test database, for the tests that need it again.

A transactional test empties every table of the database when it ends (Django's flush); the
next test that asks for the city used to load it again through the real loaders, and the grid
importer reads its layer in a child process (a new interpreter importing GDAL and pandas):
seconds each, for ~90 transactional tests on each database. The session's first load still
goes through the real loaders (tests/conftest.py); the tables it wrote are then copied, inside
the test database, into tables of no model (the flush leaves those alone), and an emptied city
is put back with one INSERT … SELECT a table: the same rows, the same ids, on SpatiaLite and
PostGIS alike (the geometry columns are copied as the database stores them, and the spatial
index triggers see the inserts)."""

from collections.abc import Callable

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

PREFIX = "test_city_copy_"
_tables: list[str] = []


def _content() -> dict[str, list]:
    out = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            out[table] = cursor.fetchall()
    return out


def load_and_keep(load: Callable[[], None]) -> list[str]:
    """Run `load` (on a freshly migrated database) and keep a copy of every table it changed."""
    before = _content()
    load()
    after = _content()
    _tables[:] = [table for table, rows in after.items() if rows != before.get(table)]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in _tables:
            copy = connection.ops.quote_name(PREFIX + table)
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {connection.ops.quote_name(table)}")
    return list(_tables)


def restore() -> bool:
    """Put the kept city back if its tables are all empty (a flush emptied them); False when
    nothing was kept or some of them hold rows (then the caller loads the city as it can)."""
    if not _tables:
        return False
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table in _tables:
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone():
                return False
        for table in _tables:
            cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(PREFIX + table)}")
        # A flush with reset_sequences starts the ids at 1 again: past the restored rows.
        models = [m for m in apps.get_models() if m._meta.db_table in _tables]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    return True
