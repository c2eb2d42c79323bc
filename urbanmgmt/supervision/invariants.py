"""The supervision history is append-only, as the case history is (cases/invariants.py):
UPDATE of a NoticeEvent is always refused, DELETE while its notice exists. Installed by
migration 0002 and again after every `migrate` (urbanmgmt/invariants.py)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from urbanmgmt.invariants import append_only, run

TABLE = "supervision_noticeevent"
SQLITE, POSTGRES = append_only("noticeevent", TABLE, "supervision_notice", "notice_id",
                               "supervision")


def install(connection: BaseDatabaseWrapper) -> None:
    """Create or replace the history triggers."""
    if connection.vendor == "postgresql":
        run(connection, POSTGRES)
    else:
        run(connection, [sql for name, create in SQLITE.items() for sql in (f"DROP TRIGGER IF EXISTS {name}", create)])


def remove(connection: BaseDatabaseWrapper) -> None:
    """Lift the history triggers (migrating back past 0002)."""
    if connection.vendor == "postgresql":
        run(connection, [f"DROP TRIGGER IF EXISTS noticeevent_append_only ON {TABLE}",
                         "DROP FUNCTION IF EXISTS noticeevent_append_only()"])
    else:
        run(connection, [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE])
