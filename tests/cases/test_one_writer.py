"""One writer of the case tables (issue #14, point 2): every statement that writes cases,
their history, media, inspection tasks and case numbers is in cases/rows.py, and history
rows are built by rows.event_row alone. Checked on the source with `ast` (no import runs);
link_many's write is a compare-and-set on the version it read."""

import ast
import re
from pathlib import Path

import pytest
from django.db import connection

from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.errors import StaleVersion

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("urbanmgmt", "collectors_app", "vision", "maps", "demo")
CASE_MODELS = {"Case", "CaseEvent", "CaseMedia", "InspectionTask", "CaseSequence"}
ORM_WRITES = {"update", "bulk_create", "bulk_update", "create", "delete", "get_or_create", "update_or_create"}
SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\W?cases_(case|caseevent|casemedia|inspectiontask|"
                       r"casesequence)\b", re.IGNORECASE)
# The database's own invariants (triggers) name the tables in their DDL.
EXEMPT = {"urbanmgmt/cases/rows.py", "urbanmgmt/cases/invariants.py", "urbanmgmt/kpi/invariants.py"}


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if "migrations" not in path.parts and name not in EXEMPT:
                yield name, ast.parse(path.read_text(encoding="utf-8"))


def _receiver_names(node) -> set[str]:
    names = set()
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Name):
        names.add(node.id)
    return names


def writes_outside_rows(modules) -> list[str]:
    """Where a module other than rows.py writes a case table: raw SQL, or an ORM write on
    a case model's manager, or a CaseEvent made by hand."""
    found = []
    for name, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value):
                found.append(f"{name}:{node.lineno} SQL")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = _receiver_names(node.func.value)
                if node.func.attr in ORM_WRITES and "objects" in receiver and receiver & CASE_MODELS:
                    found.append(f"{name}:{node.lineno} {node.func.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "CaseEvent":
                found.append(f"{name}:{node.lineno} CaseEvent(…)")
    return found


def test_only_rows_writes_the_case_tables_and_builds_their_events():
    assert writes_outside_rows(_modules()) == []


def test_the_check_sees_each_kind_of_write():
    sources = {
        "raw": 'cursor.execute("UPDATE cases_case SET version = %s WHERE id = %s", [1, 2])',
        "orm": "InspectionTask.objects.filter(pk=1).update(note='x')",
        "bulk": "CaseMedia.objects.bulk_create(items)",
        "event": "event = CaseEvent(case=case, action='link')",
    }
    for kind, source in sources.items():
        assert writes_outside_rows([(kind, ast.parse(source))]), kind
    assert writes_outside_rows([("other", ast.parse("Department.objects.create(code='x')"))]) == []


@pytest.mark.django_db
def test_link_many_refuses_a_case_another_writer_changed_between_its_read_and_its_write(people, category):
    case = report_case(people.inspector, category)
    done = []

    def another_writer_first(execute, sql, params, many, context):
        # a write slipped in just before link_many's own (as a second web node could, on PostgreSQL)
        if sql.lstrip().upper().startswith("UPDATE") and "cases_case" in sql and not done:
            done.append(sql)
            context["cursor"].execute("UPDATE cases_case SET version = version + 1 WHERE id = %s", [case.pk])
        return execute(sql, params, many, context)

    with pytest.raises(StaleVersion), connection.execute_wrapper(another_writer_first):
        services.link_many(people.dispatcher, [(case.pk, "s:1", {"why": "test"})])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.version, stored.ticket_count, stored.events.count()) == (1, 0, 1)
