"""cases.rows.RowInserter.insert_many prepares its rows a column at a time: a column whose
values are all of the plain types goes as it is, a value of another type goes through the
field (as Model.save would write it) and leaves the others of its column alone."""

import datetime as dt
import json

import pytest
from django.utils.translation import gettext_lazy

from tests.builders import point_in
from urbanmgmt.cases.rows import RowInserter, Values, ewkt_point
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 4, 10, 30, 15, 123456, tzinfo=dt.UTC)
COMPARED = [f.attname for f in HotlineTicket._meta.concrete_fields
            if f.attname not in {"id", "source", "point", "imported_at", "updated_at"}]


def _values(source: str, i: int, **odd) -> dict:
    p = point_in(1.5 + i, 2.5)
    values = {f.attname: f.get_default() for f in HotlineTicket._meta.concrete_fields if not f.primary_key}
    values.update(source=source, external_id=f"T{i}", received_at=AT + dt.timedelta(minutes=i), request_type="complaint",
                  title=f"标题{i}", text="暴露垃圾", point=ewkt_point(p.x, p.y), original_lon=p.x + 0.005,
                  original_lat=p.y - 0.002, datum="gcj02", place_confidence=1.0, raw={"工单编号": f"T{i}", "n": i},
                  link_reason={}, reply_due_at=AT + dt.timedelta(days=5))
    values.update(odd)
    return values


ODD = [  # per row: values of other types than the column's plain one
    {},
    {"title": gettext_lazy("Phone"), "contact_phone": 13800000000, "place_confidence": 1},
    {"received_at": dt.datetime(2025, 3, 4, 18, 0), "point": point_in(2.5, 1.5), "raw": ["a", "list"]},
    {"place_confidence": None, "reply_due_at": None, "resolved": True, "answer": 42},
]


def _stored(source: str) -> list[tuple]:
    return [(tuple(getattr(t, n) for n in COMPARED), t.point.coords, t.point.srid)
            for t in HotlineTicket.objects.filter(source=source).order_by("external_id")]


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_insert_many_writes_what_the_orm_writes_whatever_the_types_in_a_column():
    for i, odd in enumerate(ODD):
        HotlineTicket.objects.create(**_values("orm", i, **odd))
    RowInserter(HotlineTicket).insert_many([Values(**_values("rows", i, **odd)) for i, odd in enumerate(ODD)])
    assert _stored("rows") == _stored("orm")
    assert len(_stored("rows")) == len(ODD)


@pytest.mark.parametrize("one_at_a_time", [False, True])
def test_a_json_column_is_stored_as_its_characters_and_reads_back_the_same(one_at_a_time):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's jsonb keeps its own form")
    raws = [{"诉求内容": "小区门口垃圾堆, 好几天了", "n": 1, "x": [1.5, None, True]},
            {"诉求内容": "半个表情\ud83d", "备注": "一半"}]  # a lone surrogate, as JSON input may carry
    choices = [{"kind": "category", "name": "暴露垃圾", "words": ["垃圾堆"]}]
    rows = [Values(**_values("json", i, raw=raw, suggestions=choices)) for i, raw in enumerate(raws)]
    inserter = RowInserter(HotlineTicket)
    if one_at_a_time:
        for row in rows:
            inserter.insert(row)
    else:
        inserter.insert_many(rows)
    assert [(t.raw, t.suggestions) for t in HotlineTicket.objects.filter(source="json").order_by("external_id")] == [
        (raw, choices) for raw in raws]
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw, suggestions FROM hotline_hotlineticket WHERE source = 'json' ORDER BY external_id")
        (plain, listed), (escaped, _listed) = cursor.fetchall()
    assert plain == '{"诉求内容":"小区门口垃圾堆, 好几天了","n":1,"x":[1.5,null,true]}'
    assert escaped == json.dumps(raws[1], separators=(",", ":"))  # UTF-8 cannot hold it: escaped
    assert listed == '[{"kind":"category","name":"暴露垃圾","words":["垃圾堆"]}]'
