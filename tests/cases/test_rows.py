"""The hot-path row helpers agree with the ORM, field by field."""

import pytest

from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.cases.rows import compare_and_set
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def _dispatched(people, category):
    case = report_case(people.inspector, category, description="井盖缺失", external_ref="ref-1")
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version,
                             department=Department.objects.get(code="HZ-HWC"))


def test_an_inserted_case_reads_back_the_same_through_the_orm(people, category):
    case = report_case(people.inspector, category, description="井盖缺失", external_ref="ref-1")
    stored = Case.objects.get(pk=case.pk)
    for field in Case._meta.concrete_fields:
        if field.name == "point":
            assert stored.point.equals_exact(case.point, 1e-9)
        else:
            assert getattr(stored, field.attname) == getattr(case, field.attname), field.name


def test_an_inserted_event_reads_back_the_same(people, category):
    case = report_case(people.inspector, category)
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.to_state, event.payload["grid"], event.actor_id) == (
        "report", "reported", case.grid.code, people.inspector.pk)


def test_the_locked_read_matches_the_orm(people, category):
    case = _dispatched(people, category)
    locked = services.locked(case.pk)
    stored = Case.objects.select_related("category").get(pk=case.pk)
    loaded = [f for f in Case._meta.concrete_fields if f.attname in locked.__dict__]
    assert len(loaded) > 20
    for field in loaded:
        assert getattr(locked, field.attname) == getattr(stored, field.attname), field.name
    assert locked.category.deadline_unit == stored.category.deadline_unit
    assert locked.category.major_id == stored.category.major_id
    assert locked.description == "井盖缺失"  # a deferred field still loads on access


def test_the_locked_read_of_a_case_without_category(people):
    case = report_case(people.inspector, None)
    assert services.locked(case.pk).category is None


def test_compare_and_set_refuses_another_version(people, category):
    case = report_case(people.inspector, category)
    assert not compare_and_set(Case, case.pk, case.version + 1, {"state": "filed"})
    assert compare_and_set(Case, case.pk, case.version, {"state": "filed", "department": None})
    assert Case.objects.get(pk=case.pk).state == "filed"
