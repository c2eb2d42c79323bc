"""What the apps' database invariants share: running an installer's statements, SpatiaLite's
geometry triggers, and the post_migrate receiver that installs an app's invariants again.

An app keeps the triggers it relies on in one module (`<app>/invariants.py`) whose
`install(connection)` creates or replaces every one of them for the connection's vendor and
does nothing more when run twice. Its migration runs it, and so does every later `migrate`:
SQLite drops a table's triggers when Django rebuilds the table (most ALTERs) and SpatiaLite's
RecoverGeometryColumn brings its own back, so what a migration installed once may be gone
after any later one.
"""

from collections.abc import Callable, Iterable

from django.apps import AppConfig
from django.db import connections, migrations, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_migrate

# SpatiaLite's triggers on a geometry column: type and SRID checks (ggi, ggu) and the
# geometry_columns_time stamps (tmi, tmu, tmd).
SPATIALITE_TRIGGERS = ("ggi", "ggu", "tmi", "tmu", "tmd")

Installer = Callable[[BaseDatabaseWrapper], None]


def is_spatialite(connection: BaseDatabaseWrapper) -> bool:
    return bool(getattr(connection.ops, "spatialite", False))


def run(connection: BaseDatabaseWrapper, statements: Iterable[str]) -> None:
    """Run the statements in one transaction: no writer ever sees a table without its trigger."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def append_only(prefix: str, table: str, parent: str, parent_column: str, what: str) -> tuple[dict[str, str], list[str]]:
    """The triggers that keep a history table append-only: UPDATE always refused, DELETE while
    the row it belongs to (`parent_column` → `parent`) exists. SQLite's as {name: CREATE …};
    PostgreSQL's as the statements that create or replace its function and trigger."""
    refused = f"{what} history is append-only"
    sqlite = {
        f"{prefix}_no_update": f"""CREATE TRIGGER {prefix}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{refused}: UPDATE refused'); END""",
        f"{prefix}_no_delete": f"""CREATE TRIGGER {prefix}_no_delete BEFORE DELETE ON {table}
       WHEN EXISTS (SELECT 1 FROM {parent} WHERE id = OLD.{parent_column})
       BEGIN SELECT RAISE(ABORT, '{refused}: DELETE refused'); END""",
    }
    postgres = [
        f"""CREATE OR REPLACE FUNCTION {prefix}_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           RAISE EXCEPTION '{refused}: UPDATE refused';
         END IF;
         IF EXISTS (SELECT 1 FROM {parent} WHERE id = OLD.{parent_column}) THEN
           RAISE EXCEPTION '{refused}: DELETE refused';
         END IF;
         RETURN OLD;
       END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {prefix}_append_only ON {table}",
        f"""CREATE TRIGGER {prefix}_append_only BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION {prefix}_append_only()""",
    ]
    return sqlite, postgres


def drop_spatialite_triggers(connection: BaseDatabaseWrapper, table: str, column: str) -> None:
    """Drop SpatiaLite's triggers on a geometry column (nothing on PostGIS)."""
    if is_spatialite(connection):
        run(connection, [f'DROP TRIGGER IF EXISTS "{prefix}_{table}_{column}"' for prefix in SPATIALITE_TRIGGERS])


def restore_spatialite_triggers(connection: BaseDatabaseWrapper, table: str, column: str, geom_type: str = "POINT",
                                srid: int = 4326) -> None:
    """SpatiaLite's triggers as RecoverGeometryColumn makes them (the column registered again)."""
    if not is_spatialite(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT DiscardGeometryColumn(%s, %s)", [table, column])
        cursor.execute("SELECT RecoverGeometryColumn(%s, %s, %s, %s, 'XY')", [table, column, srid, geom_type])


def installing_operation(install: Installer, remove: Installer) -> migrations.RunPython:
    """The migration operation that runs an app's installer (and its `remove` backwards)."""
    return migrations.RunPython(lambda apps, schema_editor: install(schema_editor.connection),
                                lambda apps, schema_editor: remove(schema_editor.connection))


def reinstall_after_migrate(app_label: str, migration: str, install: Installer):
    """A post_migrate receiver that runs `install` once the app's migration that first runs it
    is applied (not before it, nor after the database was migrated back past it)."""
    def receiver(using: str = "default", **kwargs) -> None:
        connection = connections[using]
        if (app_label, migration) in MigrationRecorder(connection).applied_migrations():
            install(connection)
    return receiver


def keep(app_config: AppConfig, migration: str, install: Installer) -> None:
    """Keep an app's invariants through every `migrate`: its installer runs again after it."""
    post_migrate.connect(reinstall_after_migrate(app_config.label, migration, install), sender=app_config,
                         weak=False, dispatch_uid=f"{app_config.label}.invariants")
