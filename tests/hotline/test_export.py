"""The results export streams its rows: on an export larger than one read chunk, with a
column that appears only late, every format holds what building all rows in memory first
(the way it was written before) gives."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.hotline.helpers import row
from urbanmgmt.hotline.export import CHUNK, Results, tickets_of, write_results
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping

pytestmark = pytest.mark.django_db
N = 4500  # many chunks of the query's iterator (export.CHUNK)


@pytest.fixture
def many(people, gazetteer):
    rows = [row(f"L{i:05d}", col=0.5 + i % 6, cell=0.5 + i % 4) if i % 500 == 0 else row(f"L{i:05d}") for i in range(N)]
    rows[4321]["备注"] = "只在这一行"  # a column only a late row has
    summary = import_rows(rows, source="big", actor=people.dispatcher)
    assert summary.created == N
    return tickets_of("big")


def _in_memory(tickets, mapping):
    results = Results(mapping)
    rows = [results.row(t) for t in tickets]
    headers = list(dict.fromkeys(h for r in rows for h in r))
    return headers, [[r.get(h, "") for h in headers] for r in rows], rows


def _cell(value):
    return "" if value is None else str(value)


def test_csv_json_and_xlsx_stream_what_the_rows_in_memory_give(many):
    mapping = Mapping()
    headers, table, rows = _in_memory(many, mapping)
    assert headers[-1] == "备注" and len(table) == N

    out = io.BytesIO()
    assert write_results(many, mapping, "csv", out) == N
    written = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert written == [headers] + [[_cell(v) for v in r] for r in table]

    out = io.BytesIO()
    assert write_results(many, mapping, "json", out) == N
    assert out.getvalue() == json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")

    out = io.BytesIO()
    assert write_results(many, mapping, "xlsx", out) == N
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    assert [[_cell(v) for v in r] for r in sheet.iter_rows(values_only=True)] == (
        [headers] + [[_cell(v) for v in r] for r in table])


def test_an_empty_export_has_the_result_columns_only(people):
    for fmt, empty in (("json", b"[]"), ("csv", None)):
        out = io.BytesIO()
        assert write_results(tickets_of("nothing"), Mapping(), fmt, out) == 0
        if empty is not None:
            assert out.getvalue() == empty
        else:
            assert next(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")))) == list(
                Results(Mapping()).columns.values())


def test_a_list_of_tickets_is_written_as_a_query_set_is(many):
    mapping, a, b = Mapping(), io.BytesIO(), io.BytesIO()
    write_results(many, mapping, "csv", a)
    write_results(list(many), mapping, "csv", b)
    assert a.getvalue() == b.getvalue()


def test_the_rows_are_not_all_held_at_once(many):
    """At most a chunk of tickets and one row in memory: the peak stays well under what the
    rows of the whole export take (the way it was written before: every row, then the file)."""
    import tracemalloc

    def peak(build) -> int:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            kept = build()  # noqa: F841 (held until the peak is read)
            return tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()

    mapping = Mapping()
    all_at_once = peak(lambda: [Results(mapping).row(t) for t in tickets_of("big").iterator(chunk_size=CHUNK)])
    streamed = peak(lambda: write_results(tickets_of("big"), mapping, "csv", io.BytesIO()))
    assert streamed < 0.5 * all_at_once
