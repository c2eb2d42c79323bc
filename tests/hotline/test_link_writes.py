"""A bulk link writes what it changes: the count and the version, not the state it keeps
(an UPDATE OF state fires the managers' kpi_dirty triggers on every linked case)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category

pytestmark = pytest.mark.django_db


def test_a_bulk_link_writes_the_count_and_version_but_not_the_unchanged_state(people):
    case = report_case(people.inspector, Category.objects.get(service_code="E0102"), col=1.5, row=1.5)
    with CaptureQueriesContext(connection) as queries:
        closed = services.link_many(people.dispatcher, [(case.pk, "s:A1", {"distance_m": 3.0})])
    updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "cases_case" SET' in q["sql"]]  # executemany: "n times: …"
    assert closed == set() and updates
    assert all('"state"' not in sql for sql in updates)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.ticket_count, stored.version, stored.state) == (case.ticket_count + 1, case.version + 1, case.state)
