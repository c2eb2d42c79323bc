"""The REST API: auth, GeoJSON lists with filters and constant query counts, reports,
transitions with versions, and bad input answered with the right status and nothing written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.builders import client_for, point_in, report_case
from urbanmgmt.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def test_anonymous_requests_are_refused(city):
    assert APIClient().get("/api/v1/cases/").status_code in (401, 403)


def test_a_token_is_issued_for_a_password_and_works(people):
    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "pw-dispatcher"})
    assert response.status_code == 200
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    assert anonymous.get("/api/v1/categories/").status_code == 200
    assert Token.objects.filter(user=people.dispatcher).exists()


def test_categories_are_listed_and_filtered(people):
    data = client_for(people.inspector).get("/api/v1/categories/", {"family": "event", "major__code": "05",
                                                                     "limit": 100}).data
    names = {c["name_zh"] for c in data["results"]}
    assert "机动车乱停放" in names and all(c["family"] == "event" for c in data["results"])
    one = client_for(people.inspector).get("/api/v1/categories/E0505/").data
    assert one["detector_classes"] == ["car", "truck", "bus", "motorcycle"]


def test_grids_come_as_geojson_within_a_bounding_box(people):
    a, b = point_in(0, 0), point_in(1.5, 1.5)
    response = client_for(people.inspector).get("/api/v1/grids/", {"in_bbox": f"{a.x},{a.y},{b.x},{b.y}"})
    assert response.data["type"] == "FeatureCollection"
    codes = {f["properties"]["code"] for f in response.data["features"]}
    assert "32070600600101" in codes and len(codes) < 24


def test_locating_a_point_gives_its_grid_or_a_clear_400(people):
    client = client_for(people.inspector)
    inside = point_in(0.5, 0.5)
    assert client.get("/api/v1/grids/locate/", {"lon": inside.x, "lat": inside.y}).data["properties"]["code"] == \
        "32070600600101"
    outside = client.get("/api/v1/grids/locate/", {"lon": 121.5, "lat": 31.2}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert outside.status_code == 400 and outside.data["code"] == "outside_service_area"
    assert "服务区域" in outside.data["detail"]
    assert client.get("/api/v1/grids/locate/", {"lon": "abc", "lat": 1}).status_code == 400


def _post_report(client, **overrides):
    point = point_in(0.5, 0.5)
    body = {"channel": "inspector", "location": {"type": "Point", "coordinates": [point.x, point.y]},
            "category": "E0102", "description": "路边暴露垃圾"}
    body.update(overrides)
    return client.post("/api/v1/cases/", body, format="json")


def test_an_inspector_reports_a_case(people):
    response = _post_report(client_for(people.inspector), external_ref="0d3c8f52-uuid")
    assert response.status_code == 201, response.data
    props = response.data["properties"]
    assert props["state"] == "reported" and props["grid"] == "32070600600101" and props["version"] == 1
    assert [e["action"] for e in props["events"]] == ["report"]
    again = _post_report(client_for(people.inspector), external_ref="0d3c8f52-uuid")
    assert again.status_code == 200 and again.data["id"] == response.data["id"]


@pytest.mark.parametrize("overrides,words", [
    ({"location": {"type": "Point", "coordinates": [121.5, 31.2]}}, "outside"),
    ({"location": {"type": "Point", "coordinates": ["x", 1]}}, "GeoJSON"),
    ({"location": {"type": "LineString", "coordinates": [[119.1, 34.5], [119.2, 34.6]]}}, "single point"),
    ({"location": "POINT(nan nan)"}, "finite"),
    ({"location": None, "lon": 300, "lat": 34.6}, "180"),
    ({"category": "X9999"}, "X9999"),
    ({"channel": "carrier-pigeon"}, "carrier-pigeon"),
])
def test_bad_reports_get_a_400_and_nothing_is_written(people, overrides, words):
    client = client_for(people.inspector)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    response = _post_report(client, **overrides)
    assert response.status_code == 400, response.data
    assert words in str(response.data)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_the_wrong_channel_for_the_role_is_a_403(people):
    assert _post_report(client_for(people.inspector), channel="video").status_code == 403
    assert not Case.objects.exists()


def test_a_transition_with_the_seen_version_moves_the_case(people, category):
    case = report_case(people.inspector, category)
    client = client_for(people.dispatcher)
    response = client.post(f"/api/v1/cases/{case.pk}/file/", {"version": 1}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["properties"]["state"] == "filed"
    suggestion = client.get(f"/api/v1/cases/{case.pk}/suggested-department/").data
    assert suggestion["department"] == "HZ-HWC"
    response = client.post(f"/api/v1/cases/{case.pk}/dispatch/", {"version": 2, "department": "HZ-HWC"},
                           format="json")
    assert response.data["properties"]["state"] == "dispatched" and response.data["properties"]["due_at"]


def test_a_stale_version_is_a_409_with_a_message(people, category):
    case = report_case(people.inspector, category)
    client = client_for(people.dispatcher)
    client.post(f"/api/v1/cases/{case.pk}/file/", {"version": 1}, format="json")
    response = client.post(f"/api/v1/cases/{case.pk}/reject/",
                           {"version": 1, "reason_code": "duplicate", "reason": "重复"}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and response.data["code"] == "stale_version"
    assert "version 1" in response.data["detail"] and "version 2" in response.data["detail"]
    assert Case.objects.get(pk=case.pk).state == "filed"


def test_a_forbidden_transition_is_a_409_and_a_wrong_role_a_403(people, category):
    case = report_case(people.inspector, category)
    dispatch = client_for(people.dispatcher).post(f"/api/v1/cases/{case.pk}/dispatch/",
                                                  {"version": 1, "department": "HZ-HWC"}, format="json")
    assert dispatch.status_code == 409 and dispatch.data["code"] == "forbidden_transition"
    manager = client_for(people.manager).post(f"/api/v1/cases/{case.pk}/file/", {"version": 1}, format="json")
    assert manager.status_code == 403
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_missing_version_or_argument_is_a_400(people, category):
    case = report_case(people.inspector, category)
    client = client_for(people.dispatcher)
    assert client.post(f"/api/v1/cases/{case.pk}/file/", {}, format="json").status_code == 400
    assert client.post(f"/api/v1/cases/{case.pk}/reject/", {"version": 1, "reason": "x"},
                       format="json").status_code == 400
    assert client.post(f"/api/v1/cases/{case.pk}/fly/", {"version": 1}, format="json").status_code == 400


def test_a_step_refused_for_its_arguments_says_why_in_the_users_language(people, category):
    case = report_case(people.inspector, category)
    client = client_for(people.dispatcher)
    missing = client.post(f"/api/v1/cases/{case.pk}/reject/", {"version": 1, "reason": "x"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert missing.status_code == 400 and "需要" in missing.data["detail"] and "reason_code" in missing.data["detail"]
    unknown = client.post(f"/api/v1/cases/{case.pk}/fly/", {"version": 1}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "未知" in unknown.data["detail"] and "dispatch" in unknown.data["detail"]
    task = client.post(f"/api/v1/cases/{case.pk}/check_pass/", {"version": 1}, format="json",
                       HTTP_ACCEPT_LANGUAGE="en")
    assert task.status_code == 400 and "inspection task" in task.data["detail"]
    assert Case.objects.get(pk=case.pk).version == 1


def test_each_step_of_the_api_takes_what_its_service_takes():
    from urbanmgmt.cases.api import step_arguments
    from urbanmgmt.cases.serializers import TASK_STEPS, TransitionSerializer
    from urbanmgmt.cases.states import TRANSITIONS

    body = set(TransitionSerializer().fields)
    for action in set(TRANSITIONS) - TASK_STEPS:
        assert set(step_arguments(action)) <= body, action  # every argument can be sent
    assert step_arguments("dispatch") == {"department": True, "reason": False}
    assert step_arguments("handle") == {"reply": True}


def test_a_handler_cannot_see_another_departments_case(people, category):
    case = report_case(people.inspector, category)
    assert client_for(people.other_handler).get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_the_case_list_filters_by_state_street_and_since(people, category):
    first = report_case(people.inspector, category, col=0.5)
    report_case(people.inspector, category, col=4.5)
    client = client_for(people.dispatcher)
    by_street = client.get("/api/v1/cases/", {"street": "320706006"}).data["features"]
    assert [f["id"] for f in by_street] == [first.pk]
    assert client.get("/api/v1/cases/", {"state": "filed,dispatched"}).data["count"] == 0
    since = client.get("/api/v1/cases/", {"since": first.updated_at.isoformat()}).data
    assert since["count"] == 1


def test_the_case_list_costs_the_same_queries_for_5_or_40_cases(people, category):
    client = client_for(people.dispatcher)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/cases/").status_code == 200
        return len(ctx)

    for _ in range(5):
        report_case(people.inspector, category)
    queries()  # the first request also loads the user's roles
    few = queries()
    for i in range(35):
        report_case(people.inspector, category, col=(i % 6) + 0.5, row=(i % 4) + 0.5)
    assert queries() == few


def test_the_grid_layer_costs_the_same_queries_for_any_window(people):
    client = client_for(people.dispatcher)
    a, b, c = point_in(0, 0), point_in(1.5, 1.5), point_in(6, 4)
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/grids/", {"in_bbox": f"{a.x},{a.y},{b.x},{b.y}"})
    with CaptureQueriesContext(connection) as large:
        client.get("/api/v1/grids/", {"in_bbox": f"{a.x},{a.y},{c.x},{c.y}"})
    assert len(small) == len(large)


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(people):
    client = client_for(people.dispatcher)
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200 and "/api/v1/cases/{id}/{action_name}/" in schema.json()["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "http://" not in docs and "https://" not in docs
