"""The supervision history is append-only, as the case history is (cases/invariants.py):
UPDATE of a NoticeEvent is always refused, DELETE while its notice exists. Installed by
migration 0002 and again after every `migrate` (urbanmgmt/invariants.py)."""

from django.db.backends.base.base import BaseDatabaseWrapper

from urbanmgmt.invariants import run

TABLE = "supervision_noticeevent"
SQLITE = {
    "noticeevent_no_update": f"""CREATE TRIGGER noticeevent_no_update BEFORE UPDATE ON {TABLE}
       BEGIN SELECT RAISE(ABORT, 'supervision history is append-only: UPDATE refused'); END""",
    "noticeevent_no_delete": f"""CREATE TRIGGER noticeevent_no_delete BEFORE DELETE ON {TABLE}
       WHEN EXISTS (SELECT 1 FROM supervision_notice WHERE id = OLD.notice_id)
       BEGIN SELECT RAISE(ABORT, 'supervision history is append-only: DELETE refused'); END""",
}
POSTGRES = [
    """CREATE OR REPLACE FUNCTION noticeevent_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           RAISE EXCEPTION 'supervision history is append-only: UPDATE refused';
         END IF;
         IF EXISTS (SELECT 1 FROM supervision_notice WHERE id = OLD.notice_id) THEN
           RAISE EXCEPTION 'supervision history is append-only: DELETE refused';
         END IF;
         RETURN OLD;
       END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS noticeevent_append_only ON {TABLE}",
    f"""CREATE TRIGGER noticeevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
       FOR EACH ROW EXECUTE FUNCTION noticeevent_append_only()""",
]


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
