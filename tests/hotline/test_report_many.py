"""services.report_many writes the same rows as services.report one at a time: with GEOS
points, and with (lon, lat) pairs (the 12345 import's way: EWKT text, no GEOS object)."""

import datetime as dt

import pytest
from django.db import connection, transaction

from tests.builders import point_in
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.catalog.models import Category

pytestmark = pytest.mark.django_db
SPOTS = [(0.5, 0.5), (1.37, 2.81), (3.123456789, 0.987654321), (5.5, 3.5)]
SKIPPED = {"id", "code", "updated_at"}


def _rows() -> tuple[list, list]:
    names = [f.attname for f in Case._meta.concrete_fields if f.attname not in SKIPPED]
    with connection.cursor() as cursor:  # the stored point's own numbers, not a GEOS reading of it
        cursor.execute("SELECT external_ref, ST_X(point), ST_Y(point) FROM cases_case ORDER BY external_ref")
        stored = cursor.fetchall()
    cases = [(tuple(getattr(c, n) for n in names if n != "point"), c.point.coords, c.point.srid)
             for c in Case.objects.order_by("external_ref")]
    events = [(e.case.external_ref, e.action, e.version, e.from_state, e.to_state, e.actor_id, e.actor_role, e.payload)
              for e in CaseEvent.objects.select_related("case").order_by("case__external_ref", "version")]
    return [stored, cases], events


def _made(people, how: str) -> tuple:
    category = Category.objects.get(service_code="E0102")
    at = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    with transaction.atomic():
        items = []
        for i, (col, row) in enumerate(SPOTS):
            point = point_in(col, row)
            kwargs = dict(category=category if i % 2 else None, description=f"描述{i}", address=f"地址{i}",
                          request_type="complaint", external_ref=f"r{i}", reported_at=at + dt.timedelta(hours=i),
                          payload={"ticket": f"s:{i}"})
            if how == "one by one":
                services.report(people.dispatcher, channel="hotline", point=point, tickets=1, **kwargs)
            else:
                items.append(services.NewReport(point=(point.x, point.y) if how == "pairs" else point,
                                                ticket_count=1, **kwargs))
        if items:
            made = services.report_many(people.dispatcher, "hotline", items)
            assert [c.point.coords for c in made] == [point_in(*s).coords for s in SPOTS]
            assert all(c.point.srid == 4326 and c.pk for c in made)
        outcome = _rows()
        transaction.set_rollback(True)
    return outcome


def test_report_many_with_points_or_pairs_writes_what_report_writes(people):
    single = _made(people, "one by one")
    assert _made(people, "points") == single
    assert _made(people, "pairs") == single
    assert [s[1:] for s in single[0][0]] == [point_in(*s).coords for s in SPOTS]


def test_report_many_returns_the_case_a_reference_already_has_and_makes_no_other(people):
    category = Category.objects.get(service_code="E0102")
    at = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)

    def item(ref: str, n: int):
        spot = point_in(*SPOTS[n])
        return services.NewReport(point=(spot.x, spot.y), category=category, description=f"描述{n}",
                                  request_type="complaint", external_ref=ref, reported_at=at, ticket_count=1)

    first = services.report_many(people.dispatcher, "hotline", [item("r0", 0), item("r1", 1)])
    again = services.report_many(people.dispatcher, "hotline", [item("r2", 2), item("r1", 3), item("r0", 0),
                                                                item("r2", 2)])
    assert [c.pk for c in again[1:3]] == [first[1].pk, first[0].pk]  # the cases they had, as they were
    assert again[3] is again[0] and again[0].pk not in {c.pk for c in first}  # twice in one batch: one case
    assert again[1].point.coords == first[1].point.coords
    assert Case.objects.filter(channel="hotline").count() == 3
    assert services.report_many(people.inspector, "inspector", [item("r0", 0)])[0].pk not in {c.pk for c in first}
