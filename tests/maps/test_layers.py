"""The map's layer endpoints: contents, levels of detail, scoping, query counts, bad input."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maps.layers import layer_cache
from tests.builders import client_for, point_in, report_case
from urbanmgmt.cases import services

pytestmark = pytest.mark.django_db


def bbox_of(col0, row0, col1, row1) -> str:
    a, b = point_in(col0, row0), point_in(col1, row1)
    return f"{a.x:.6f},{a.y:.6f},{b.x:.6f},{b.y:.6f}"


WHOLE = bbox_of(-1, -1, 7, 5)


def warm(client):
    """First requests build the per-process caches (grid index, layer text, calendar)."""
    client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16})
    client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16})


def queries(client, url, params) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), response


def test_grid_layer_counts_open_cases_per_grid(people, category):
    client = client_for(people.dispatcher)
    report_case(people.inspector, category, 0.5, 0.5)
    report_case(people.inspector, category, 0.6, 0.4)
    report_case(people.inspector, category, 4.5, 2.5)
    closed = report_case(people.inspector, category, 1.5, 0.5)
    services.reject(people.dispatcher, closed, version=closed.version, reason_code="duplicate", reason="dup")
    data = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16}).json()
    assert data["level"] == "grid" and len(data["features"]) == 24
    counts = {f["properties"]["code"]: f["properties"]["n"] for f in data["features"]}
    assert sorted(n for n in counts.values() if n) == [1, 2]  # the rejected case is not open
    assert data["max"] == 2
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_grid_layer_rolls_up_to_communities_and_streets(people, category):
    client = client_for(people.dispatcher)
    report_case(people.inspector, category, 0.5, 0.5)
    report_case(people.inspector, category, 1.5, 0.5)
    report_case(people.inspector, category, 4.5, 3.5)
    communities = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 13}).json()
    assert communities["level"] == "community" and len(communities["features"]) == 4
    by_code = {f["properties"]["code"]: f["properties"]["n"] for f in communities["features"]}
    assert by_code == {"320706006001": 2, "320706006002": 0, "320706010001": 0, "320706010002": 1}
    streets = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 11}).json()
    assert {f["properties"]["name"]: f["properties"]["n"] for f in streets["features"]} == {"新海街道": 2, "新浦街道": 1}


def test_grid_layer_by_bbox_and_overdue_metric(people, category):
    client = client_for(people.dispatcher)
    late = report_case(people.inspector, category, 0.5, 0.5)
    services.file(people.dispatcher, late, version=late.version)
    late.refresh_from_db()
    services.dispatch(people.dispatcher, late, version=late.version, department=people.handler.profile.department)
    from urbanmgmt.cases.models import Case

    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    report_case(people.inspector, category, 0.5, 1.5)  # open, not overdue
    corner = client.get("/api/v1/map/grids/", {"bbox": bbox_of(0.1, 0.1, 0.9, 1.9), "zoom": 17}).json()
    assert len(corner["features"]) == 2  # only the grids the box meets
    overdue = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16, "metric": "overdue"}).json()
    assert sum(f["properties"]["n"] for f in overdue["features"]) == 1


def test_case_layer_points_and_clusters(people, category):
    client = client_for(people.dispatcher)
    for col in (0.5, 0.6, 3.5):
        report_case(people.inspector, category, col, 0.5, description="<script>alert(1)</script>")
    points = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16}).json()
    assert points["mode"] == "points" and len(points["features"]) == 3
    feature = points["features"][0]
    assert set(feature["properties"]) >= {"id", "code", "state", "channel", "version", "tickets", "overdue"}
    assert feature["properties"]["description"] == "<script>alert(1)</script>"  # data; the page shows it as text
    assert points["cursor"]
    clusters = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 12}).json()
    assert clusters["mode"] == "clusters" and clusters["level"] == "street"
    assert sorted(f["properties"]["n"] for f in clusters["features"]) == [1, 2]


def test_fit_gives_the_extent_of_every_matching_case_in_the_box_or_not(people, category):
    client = client_for(people.dispatcher)
    cases = [report_case(people.inspector, category, col, row) for col, row in ((0.5, 0.5), (3.5, 2.5))]
    corner = bbox_of(-1, -1, 1, 1)  # holds the first case only
    answer = client.get("/api/v1/map/cases/", {"bbox": corner, "zoom": 16, "fit": "true"}).json()
    assert answer["total"] == 1
    west, south, east, north = answer["extent"]
    south_west, north_east = (c.point for c in cases)
    assert (west, south) == pytest.approx((south_west.x, south_west.y))
    assert (east, north) == pytest.approx((north_east.x, north_east.y))
    one = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 12, "fit": "true", "reporter": "nobody"}).json()
    assert one["mode"] == "clusters" and one["extent"] is None
    assert "extent" not in client.get("/api/v1/map/cases/", {"bbox": corner, "zoom": 16}).json()
    refused = client.get("/api/v1/map/cases/", {"bbox": corner, "zoom": 16, "fit": "yes"})
    assert refused.status_code == 400 and "fit" in refused.json()["detail"]


def test_case_layer_clusters_by_grid_when_too_many(people, category, settings):
    settings.MAP_MAX_POINTS = 2
    client = client_for(people.dispatcher)
    for col in (0.5, 0.6, 3.5):
        report_case(people.inspector, category, col, 0.5)
    answer = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 15}).json()
    assert answer["mode"] == "clusters" and answer["level"] == "grid" and answer["total"] == 3
    close = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 17}).json()
    assert close["mode"] == "points" and len(close["features"]) == 2 and close["truncated"] is True


def test_filters_apply_to_both_layers(people, category):
    from urbanmgmt.catalog.models import Category

    client = client_for(people.dispatcher)
    report_case(people.inspector, category, 0.5, 0.5)
    other = Category.objects.get(service_code="C0101")
    report_case(people.inspector, other, 0.5, 0.5)
    report_case(people.dispatcher, other, 1.5, 0.5, channel="hotline", request_type="complaint")
    by_category = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16, "category": "C0101"}).json()
    assert len(by_category["features"]) == 2
    by_channel = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16, "channel": "hotline"}).json()
    assert sum(f["properties"]["n"] for f in by_channel["features"]) == 1
    closed_only = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16, "state": "closed"}).json()
    assert closed_only["features"] == []
    every = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16, "open": "all"}).json()
    assert len(every["features"]) == 3


def test_handler_sees_only_own_department(people, category):
    case = report_case(people.inspector, category, 0.5, 0.5)
    report_case(people.inspector, category, 1.5, 0.5)
    services.file(people.dispatcher, case, version=case.version)
    case.refresh_from_db()
    services.dispatch(people.dispatcher, case, version=case.version, department=people.handler.profile.department)
    mine = client_for(people.handler).get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16}).json()
    assert [f["properties"]["id"] for f in mine["features"]] == [case.pk]
    theirs = client_for(people.other_handler).get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16}).json()
    assert theirs["features"] == []


def test_changes_since_cursor(people, category):
    client = client_for(people.dispatcher)
    start = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16}).json()["cursor"]
    case = report_case(people.inspector, category, 0.5, 0.5)
    answer = client.get("/api/v1/map/changes/", {"cursor": start}).json()
    assert [f["properties"]["code"] for f in answer["features"]] == [case.code]
    services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="dup")
    later = client.get("/api/v1/map/changes/", {"cursor": answer["cursor"]}).json()
    assert later["removed"] == [case.pk] and later["features"] == []  # no longer open: off the map


@pytest.mark.parametrize("params", [
    {"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"bbox": "10,10,5,20"}, {"bbox": "0,0,200,10"}, {"bbox": "nan,0,1,1"},
    {"zoom": "x"}, {"zoom": "40"}, {"metric": "closed"}, {"state": "nonsense"},
])
def test_bad_layer_requests_are_refused(people, params):
    response = client_for(people.dispatcher).get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16, **params})
    assert response.status_code == 400, response.content
    assert response.json()["detail"] if "detail" in response.json() else response.json()


def test_bad_cursor_is_refused(people):
    client = client_for(people.dispatcher)
    assert client.get("/api/v1/map/changes/").status_code == 400
    assert client.get("/api/v1/map/changes/", {"cursor": "yesterday"}).status_code == 400
    assert client.get("/api/v1/map/changes/", {"cursor": "2026-01-01T00:00:00"}).status_code == 400


def test_layers_need_a_login(city, client):
    assert client.get("/api/v1/map/grids/").status_code in (401, 403)
    assert client.get("/map/").status_code == 302


def test_query_counts_do_not_grow_with_features(people, category):
    """Each layer endpoint costs a fixed number of queries, whatever it returns."""
    client = client_for(people.dispatcher)
    warm(client)
    layer_cache()
    counts = {}
    for rows in (1, 6):
        for i in range(rows):
            report_case(people.inspector, category, 0.5 + i % 6, 0.5 + i % 4)
        counts[rows] = {
            "grids": queries(client, "/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 16})[0],
            "grids_street": queries(client, "/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 11})[0],
            "cases_points": queries(client, "/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 16})[0],
            "cases_clusters": queries(client, "/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 12})[0],
            "changes": queries(client, "/api/v1/map/changes/", {"cursor": "2020-01-01T00:00:00+08:00"})[0],
            "heat": queries(client, "/api/v1/map/heat/", {"days": 30})[0],
            "repeats": queries(client, "/api/v1/map/repeats/", {"days": 30, "min": 2})[0],
        }
    assert counts[1] == counts[6]
    assert counts[6] == {"grids": 1, "grids_street": 1, "cases_points": 2, "cases_clusters": 1, "changes": 2,
                         "heat": 1, "repeats": 1}


def test_heat_and_repeat_grids(people, category):
    client = client_for(people.dispatcher)
    for _ in range(3):
        report_case(people.inspector, category, 0.5, 0.5)
    report_case(people.inspector, category, 3.5, 2.5)
    heat = client.get("/api/v1/map/heat/", {"days": 7}).json()
    assert sorted(p[2] for p in heat["points"]) == [1, 3] and heat["max"] == 3
    repeats = client.get("/api/v1/map/repeats/", {"days": 7, "min": 3}).json()["grids"]
    assert len(repeats) == 1 and repeats[0]["count"] == 3 and repeats[0]["category"] == category.service_code
    assert repeats[0]["street"] == "新海街道"
    assert client.get("/api/v1/map/repeats/", {"min": 1}).status_code == 400
    assert client.get("/api/v1/map/heat/", {"days": 0}).status_code == 400
