"""The database's invariants survive any later migration: each app's installer runs after every
`migrate`, so a table rebuilt by SQLite (most ALTERs) or a trigger dropped by hand comes back,
and SpatiaLite's geometry triggers, which a rebuild brings back, go again."""

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction

from tests.builders import report_case
from urbanmgmt.cases import invariants as cases_invariants
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.invariants import SPATIALITE_TRIGGERS, is_spatialite
from urbanmgmt.kpi import invariants as kpi_invariants

pytestmark = pytest.mark.django_db
TABLES = ("cases_case", "cases_caseevent", "cases_inspectiontask", "hotline_hotlineticket")


def triggers() -> set[tuple[str, str]]:
    """(table, trigger) of every trigger on the tables the invariants keep."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                           "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)", [list(TABLES)])
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s, %s, %s)",
                           TABLES)
        return set(cursor.fetchall())


def expected() -> set[tuple[str, str]]:
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    return {(table, name) for by_table in (cases_invariants.TRIGGERS[vendor], kpi_invariants.trigger_names(vendor))
            for table, names in by_table.items() for name in names}


def geometry_triggers() -> set[tuple[str, str]]:
    return {(table, name) for table, name in triggers() if name.startswith(SPATIALITE_TRIGGERS)}


def assert_history_refuses_an_update(event: CaseEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET reason = 'rewritten' WHERE id = %s", [event.pk])


def test_every_trigger_of_the_installers_is_there_and_no_geometry_trigger():
    assert triggers() >= expected()
    assert geometry_triggers() == set()


def test_the_triggers_dropped_come_back_after_migrate(people, category):
    event = report_case(people.inspector, category).events.get()
    cases_invariants.remove(connection)
    kpi_invariants.remove(connection)
    assert triggers() & expected() == set()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert triggers() >= expected()
    assert_history_refuses_an_update(event)


def test_installing_twice_changes_nothing(people, category):
    event = report_case(people.inspector, category).events.get()
    before = triggers()
    for _ in range(2):
        cases_invariants.install(connection)
        kpi_invariants.install(connection)
    assert triggers() == before
    assert_history_refuses_an_update(event)


@pytest.mark.skipif(not is_spatialite(connection), reason="SQLite rebuilds tables; PostgreSQL alters them")
@pytest.mark.django_db(transaction=True)
def test_a_table_rebuild_by_a_later_migration_loses_no_trigger(city):
    before = triggers()
    assert before and geometry_triggers() == set()
    # What a migration altering a column does on SQLite.
    with connection.schema_editor() as editor:
        for model in (CaseEvent, Case):
            editor._remake_table(model)
    rebuilt = triggers()
    assert {table for table, _ in before - rebuilt} == {"cases_case", "cases_caseevent"}
    assert geometry_triggers()  # RecoverGeometryColumn brought SpatiaLite's back
    call_command("migrate", verbosity=0)
    assert triggers() == before


def scratch_field(name: str):
    from django.db import models

    field = models.CharField(max_length=5, default="x")
    field.set_attributes_from_name(name)
    return field


@pytest.mark.skipif(not is_spatialite(connection), reason="SQLite rebuilds tables; PostgreSQL alters them")
@pytest.mark.django_db(transaction=True)
def test_a_later_migration_can_alter_the_case_and_ticket_tables(empty_history_after, city, people, category):
    """What a later migration adding a column does on SQLite, with every trigger installed: the
    history's DELETE trigger names cases_case, and ticket points have no spatial index."""
    from urbanmgmt.hotline.models import HotlineTicket

    event = report_case(people.inspector, category).events.get()
    before = triggers()
    for model in (Case, HotlineTicket):
        field = scratch_field("scratch_column")
        with connection.schema_editor() as editor:
            editor.add_field(model, field)
        with connection.schema_editor() as editor:
            editor.remove_field(model, field)
    call_command("migrate", verbosity=0)
    assert triggers() == before
    assert_history_refuses_an_update(event)
    assert Case.objects.filter(pk=event.case_id).exists()
