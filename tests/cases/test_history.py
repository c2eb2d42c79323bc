"""The database itself refuses to edit history: raw SQL, past the ORM."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.errors import StaleVersion

pytestmark = pytest.mark.django_db


def test_raw_sql_cannot_update_history(people, category):
    case = report_case(people.inspector, category)
    event = case.events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_caseevent SET reason = 'rewritten' WHERE id = %s", [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_raw_sql_cannot_delete_history(people, category):
    case = report_case(people.inspector, category)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s", [case.pk])
    assert case.events.count() == 1


def test_the_orm_cannot_edit_history_either(people, category):
    event = report_case(people.inspector, category).events.get()
    event.reason = "changed"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_acting_at_once_cannot_both_win(empty_history_after, city, people, category):
    from urbanmgmt.org.models import Department

    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    departments = [Department.objects.get(code="HZ-HWC"), Department.objects.get(code="HZ-CGJ")]
    barrier = threading.Barrier(2)
    results = []

    def act(department):
        try:
            barrier.wait()
            services.dispatch(people.dispatcher, Case.objects.get(pk=case.pk), version=case.version,
                              department=department)
            results.append("won")
        except StaleVersion:
            results.append("stale")
        except Exception as exc:  # noqa: BLE001 — any other failure is reported by the assert
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(d,)) for d in departments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["stale", "won"]
    assert Case.objects.get(pk=case.pk).events.filter(action="dispatch").count() == 1
