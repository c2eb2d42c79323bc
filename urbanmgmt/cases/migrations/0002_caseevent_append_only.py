"""The database itself refuses to edit case history, on SpatiaLite and PostGIS alike.

UPDATE of a CaseEvent is always refused. DELETE is refused while its case exists: the
application never deletes cases (they are PROTECTed and the admin offers no delete), and a
test database can still be emptied. Note for later migrations: SQLite rebuilds a table on
most ALTERs and drops its triggers with it; a migration that alters cases_caseevent must
run these statements again (tests/cases/test_history.py fails if it does not).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS caseevent_no_update BEFORE UPDATE ON cases_caseevent
       BEGIN SELECT RAISE(ABORT, 'case history is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS caseevent_no_delete BEFORE DELETE ON cases_caseevent
       WHEN EXISTS (SELECT 1 FROM cases_case WHERE id = OLD.case_id)
       BEGIN SELECT RAISE(ABORT, 'case history is append-only: DELETE refused'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS caseevent_no_update", "DROP TRIGGER IF EXISTS caseevent_no_delete"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION caseevent_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           RAISE EXCEPTION 'case history is append-only: UPDATE refused';
         END IF;
         IF EXISTS (SELECT 1 FROM cases_case WHERE id = OLD.case_id) THEN
           RAISE EXCEPTION 'case history is append-only: DELETE refused';
         END IF;
         RETURN OLD;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER caseevent_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
       FOR EACH ROW EXECUTE FUNCTION caseevent_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS caseevent_append_only ON cases_caseevent",
    "DROP FUNCTION IF EXISTS caseevent_append_only()",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
