"""SpatiaLite's per-row triggers stay off the point columns written in bulk (cases' 0009,
hotline's 0003, and both apps' invariants after every migrate): any trigger on a table makes
SQLite journal every page each INSERT or UPDATE touches."""

import pytest
from django.db import connection, transaction

from urbanmgmt.invariants import SPATIALITE_TRIGGERS, drop_spatialite_triggers, restore_spatialite_triggers

pytestmark = pytest.mark.django_db

BULK_POINTS = [("cases_case", "point"), ("hotline_hotlineticket", "point")]
spatialite_only = pytest.mark.skipif("not getattr(connection.ops, 'spatialite', False)",
                                     reason="SpatiaLite's geometry triggers")


def spatialite_triggers(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s ORDER BY name", [table])
        return [name for (name,) in cursor.fetchall() if name.startswith(SPATIALITE_TRIGGERS)]


@spatialite_only
@pytest.mark.parametrize(("table", "column"), BULK_POINTS)
def test_the_bulk_point_columns_have_no_spatialite_triggers(table, column):
    assert spatialite_triggers(table) == []


@pytest.mark.parametrize(("table", "column"), BULK_POINTS)
def test_the_bulk_point_columns_stay_registered_points_in_wgs84(table, column):
    kind = "geometry_type" if getattr(connection.ops, "spatialite", False) else "type"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {kind}, srid FROM geometry_columns "  # noqa: S608 (a column name of ours)
                       "WHERE lower(f_table_name) = %s AND lower(f_geometry_column) = %s", [table, column])
        rows = cursor.fetchall()
    assert [(str(geometry_type), srid) for geometry_type, srid in rows] in ([("1", 4326)], [("POINT", 4326)])


@spatialite_only
def test_the_migration_functions_restore_and_drop_the_triggers():
    with transaction.atomic():
        restore_spatialite_triggers(connection, "cases_case", "point")
        assert spatialite_triggers("cases_case") == [
            "ggi_cases_case_point", "ggu_cases_case_point", "tmd_cases_case_point", "tmi_cases_case_point",
            "tmu_cases_case_point"]
        drop_spatialite_triggers(connection, "cases_case", "point")
        assert spatialite_triggers("cases_case") == []
