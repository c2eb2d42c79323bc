"""The database invariant of hotline: hotline_hotlineticket.point carries none of SpatiaLite's
per-row geometry triggers (why: urbanmgmt/cases/invariants.py). Migration 0003 dropped them;
this drops them again after every `migrate` (a rebuild of the table brings them back)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from urbanmgmt.invariants import drop_spatialite_triggers

BULK_POINTS = [("hotline_hotlineticket", "point")]


def install(connection: BaseDatabaseWrapper) -> None:
    """Drop SpatiaLite's triggers on the bulk point column (nothing on PostGIS)."""
    for table, column in BULK_POINTS:
        drop_spatialite_triggers(connection, table, column)
