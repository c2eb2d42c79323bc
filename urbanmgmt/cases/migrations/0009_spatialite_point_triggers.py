"""SpatiaLite: cases_case.point without the per-row triggers SpatiaLite gives a geometry column.

AddGeometryColumn and RecoverGeometryColumn put five triggers on the table: ggi/ggu check
the type and SRID of every row written, tmi/tmu/tmd stamp geometry_columns_time on every
insert, update and delete. With any trigger on a table, SQLite keeps a statement journal
for each INSERT and UPDATE of it (a copy of every page the statement touches, spilled to
a temporary file inside a savepoint): 15-20 % of the CPU time of a 12345 import, which
writes thousands of cases in one transaction. The checks are the field's own: every write
goes through the PointField (srid 4326, a Point) or through cases.rows.RowInserter
(GeomFromText of a POINT with srid 4326); the stamps are read by nothing. PostGIS keeps
its typed geometry(Point, 4326) column: nothing changes there.

Note for later migrations: Django rebuilds a SQLite table on most ALTERs and its
RecoverGeometryColumn brings these triggers back; a migration that rebuilds cases_case
must call drop_triggers again (tests/hotline/test_geometry_triggers.py fails if not).
hotline's 0003 does the same for hotline_hotlineticket.point.
"""

from django.db import migrations

SPATIALITE_TRIGGERS = ("ggi", "ggu", "tmi", "tmu", "tmd")


def drop_triggers(connection, table: str, column: str) -> None:
    if not getattr(connection.ops, "spatialite", False):
        return
    with connection.cursor() as cursor:
        for prefix in SPATIALITE_TRIGGERS:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{prefix}_{table}_{column}"')


def restore_triggers(connection, table: str, column: str, geom_type: str = "POINT", srid: int = 4326) -> None:
    """SpatiaLite's triggers as RecoverGeometryColumn makes them (the column registered again)."""
    if not getattr(connection.ops, "spatialite", False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DiscardGeometryColumn(%s, %s)", [table, column])
        cursor.execute("SELECT RecoverGeometryColumn(%s, %s, %s, %s, 'XY')", [table, column, srid, geom_type])


def forwards(apps, schema_editor):
    drop_triggers(schema_editor.connection, "cases_case", "point")


def backwards(apps, schema_editor):
    restore_triggers(schema_editor.connection, "cases_case", "point")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_case_handling_minutes")]
    operations = [migrations.RunPython(forwards, backwards)]
