"""A mapping may give a field a constant; a missing required column is refused once, by name."""

import io

import pytest

from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.hotline.readers import ImportRefused, read

pytestmark = pytest.mark.django_db


def without(column: str, *rows: dict) -> list[dict]:
    return [{k: v for k, v in r.items() if k != column} for r in rows]


def test_a_source_without_a_request_type_column_imports_with_a_constant(people, gazetteer):
    data = csv_bytes(without("诉求类型", row("K1", col=1.5, cell=1.5), row("K2", col=2.5, cell=1.5)))
    mapping = Mapping({"constants": {"request_type": "投诉举报"}})
    summary = import_rows(read(io.BytesIO(data), "t.csv", mapping, []), source="board", actor=people.dispatcher,
                          mapping=mapping)
    assert summary.rejected == [] and summary.created == 2
    assert set(HotlineTicket.objects.values_list("request_type", flat=True)) == {"complaint"}


def test_a_missing_required_column_is_refused_once_by_name_before_any_row(people, gazetteer):
    data = csv_bytes(without("诉求类型", *[row(f"M{i}", col=1.5, cell=1.5) for i in range(5)]))
    with pytest.raises(ImportRefused) as refused:
        import_rows(read(io.BytesIO(data), "t.csv", Mapping(), []), source="board", actor=people.dispatcher)
    message = str(refused.value)
    assert "诉求类型" in message and "“”" not in message
    assert HotlineTicket.objects.count() == 0


def test_a_json_file_is_checked_the_same_way(people):
    data = b'{"ticket_id": "J1", "time": "2026-01-05 10:00:00", "text": "x"}\n'
    with pytest.raises(ImportRefused, match="request_type"):
        list(read(io.BytesIO(data), "t.jsonl", Mapping(), []))


def test_a_constant_for_an_unknown_field_is_refused():
    with pytest.raises(Exception, match="colour"):
        Mapping({"constants": {"colour": "red"}})
