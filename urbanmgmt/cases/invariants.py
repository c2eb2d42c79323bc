"""The invariants the database keeps for cases, installed by migration 0010 and again after
every `migrate` (see urbanmgmt/invariants.py):

- case history is append-only: UPDATE of a CaseEvent is always refused, DELETE while its case
  exists (the application never deletes cases: they are PROTECTed and the admin offers no
  delete; a test database can still be emptied);
- cases_case.point carries none of SpatiaLite's per-row geometry triggers: with any trigger
  on a table SQLite keeps a statement journal for each INSERT and UPDATE of it (15-20 % of the
  CPU time of a 12345 import). The checks are the field's own: every write goes through the
  PointField or cases.rows.RowInserter (a POINT in srid 4326); the stamps are read by nothing.

A later migration may alter cases_case on SQLite although the DELETE trigger names it: the
project's SpatiaLite backend (urbanmgmt/spatialite/) rebuilds tables the way SQLite documents.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

from urbanmgmt.invariants import append_only, drop_spatialite_triggers, run

SQLITE_HISTORY, POSTGRES_HISTORY = append_only("caseevent", "cases_caseevent", "cases_case", "case_id", "case")
# Every trigger install() makes, by table: what the tests check is there after a rebuild.
TRIGGERS = {"sqlite": {"cases_caseevent": sorted(SQLITE_HISTORY)},
            "postgresql": {"cases_caseevent": ["caseevent_append_only"]}}
BULK_POINTS = [("cases_case", "point")]


def install(connection: BaseDatabaseWrapper) -> None:
    """Create or replace the history triggers and drop SpatiaLite's on the bulk point column."""
    if connection.vendor == "postgresql":
        run(connection, POSTGRES_HISTORY)
    else:
        run(connection, [sql for name, create in SQLITE_HISTORY.items()
                         for sql in (f"DROP TRIGGER IF EXISTS {name}", create)])
    for table, column in BULK_POINTS:
        drop_spatialite_triggers(connection, table, column)


def remove(connection: BaseDatabaseWrapper) -> None:
    """Lift the history triggers (migrating back past 0010)."""
    if connection.vendor == "postgresql":
        run(connection, ["DROP TRIGGER IF EXISTS caseevent_append_only ON cases_caseevent",
                         "DROP FUNCTION IF EXISTS caseevent_append_only()"])
    else:
        run(connection, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_HISTORY])
