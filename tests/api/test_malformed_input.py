"""Malformed input found by an outside tester: every one is a JSON 4xx `{"detail", "code"}`
in the user's language (Chinese by default, English on request), never a server error or
an HTML page; nothing is written."""

import json

import pytest
from django.test import Client

from tests.builders import client_for, point_in
from tests.hotline.helpers import row
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"  # 2**63: one past the largest 64-bit integer


def api(user, language=None):
    client = client_for(user, language)
    client.raise_request_exception = False  # a server error answers 500, as it would in production
    return client


def assert_json_error(response, status=400, language_sample=None):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"] and body["code"], body
    if language_sample is not None:
        assert language_sample(body["detail"]), body["detail"]
    return body


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("path", ["/api/v1/areas/", "/api/v1/majors/", "/api/v1/categories/", "/api/v1/departments/",
                                  "/api/v1/hotline/tickets/"])
def test_a_huge_limit_gives_the_largest_page(people, path, settings):
    response = api(people.dispatcher).get(path, {"limit": HUGE})
    assert response.status_code == 200, response.content[:300]
    assert len(response.data["results"]) <= settings.API_MAX_PAGE_SIZE


@pytest.mark.parametrize(("path", "query"), [
    ("/api/v1/collect/reports/", {"limit": "abc"}), ("/api/v1/collect/reports/", {"limit": "-1"}),
    ("/api/v1/areas/", {"limit": "abc"}), ("/api/v1/areas/", {"offset": "x"}), ("/api/v1/areas/", {"offset": "-5"}),
])
def test_a_limit_or_offset_that_is_no_whole_number_is_refused_in_the_users_language(people, path, query):
    assert_json_error(api(people.inspector).get(path, query), 400, chinese)
    assert "whole number" in assert_json_error(api(people.inspector, "en").get(path, query), 400)["detail"]


def test_a_huge_offset_gives_an_empty_page(people):
    response = api(people.dispatcher).get("/api/v1/areas/", {"offset": HUGE})
    assert response.status_code == 200 and response.data["results"] == []


def test_a_huge_page_size_of_a_geojson_list_gives_the_largest_page(people):
    response = api(people.dispatcher).get("/api/v1/grids/", {"page_size": HUGE})
    assert response.status_code == 200 and response.data["type"] == "FeatureCollection"


def test_a_huge_case_id_on_tickets_finds_none(people):
    response = api(people.dispatcher).get("/api/v1/hotline/tickets/", {"case": HUGE * 3})
    assert response.status_code == 200 and response.data["results"] == []


def test_a_huge_id_in_the_path_is_a_json_404(people):
    assert_json_error(api(people.dispatcher).get(f"/api/v1/cases/{HUGE}/"), 404, chinese)


def test_a_location_in_an_unknown_spatial_reference_is_refused(people, category):
    a = point_in(0.5, 0.5)
    response = api(people.dispatcher).post("/api/v1/cases/", {
        "channel": "other", "location": f"SRID=987654;POINT({a.x} {a.y})", "category": category.service_code,
    }, format="json")
    assert_json_error(response, 400, chinese)
    assert not Case.objects.exists()


def test_json_nested_two_thousand_levels_deep_is_refused(people):
    body = "[" * 2000 + "]" * 2000
    response = api(people.dispatcher).post("/api/v1/cases/", body, content_type="application/json")
    assert_json_error(response, 400, chinese)
    body = '{"channel": "other", "location": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}"
    response = api(people.dispatcher, "en").post("/api/v1/cases/", body, content_type="application/json")
    assert "nested deeper" in assert_json_error(response, 400)["detail"]


def test_a_one_megabyte_description_is_refused_naming_the_limit(people, category, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: 2,560 KB of non-file fields
    a = point_in(0.5, 0.5)
    fields = {"channel": "other", "lon": a.x, "lat": a.y, "category": category.service_code, "description": "垃圾" * 2**19}
    as_json = api(people.dispatcher).post("/api/v1/cases/", fields, format="json")
    assert_json_error(as_json, 413, chinese)
    as_form = api(people.dispatcher, "en").post("/api/v1/cases/", fields)  # form-encoded: 9 bytes a character
    assert "2560 KB" in assert_json_error(as_form, 413)["detail"]
    assert not Case.objects.exists()


def test_a_description_over_its_length_is_refused_naming_the_length(people, category):
    a = point_in(0.5, 0.5)
    response = api(people.dispatcher).post("/api/v1/cases/", {
        "channel": "other", "lon": a.x, "lat": a.y, "category": category.service_code, "description": "垃" * 2001,
    }, format="json")
    assert response.status_code == 400 and "2000" in str(response.data["description"])


def test_an_unknown_api_address_is_a_json_404_but_a_page_stays_html(people, client):
    assert_json_error(api(people.dispatcher).get("/api/v1/no-such-thing/"), 404, chinese)
    open311 = api(people.dispatcher, "en").get("/open311/v2/no-such-thing")
    assert open311.status_code == 404 and open311["Content-Type"].startswith("application/json")
    assert [set(error) for error in open311.json()] == [{"code", "description"}]  # GeoReport v2's error list
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/grids/"])
def test_a_bounding_box_of_absurd_numbers_is_refused_before_it_reaches_geos(people, path):
    # On the previous code GEOS's WKT writer overran its buffer on 5e213 and aborted the process.
    box = "5.242150155499692e+213,4.503856836412114e+16,8.524483278288548e-79,-1.175494351e-38"
    assert_json_error(api(people.dispatcher).get(path, {"in_bbox": box}), 400, chinese)


def test_a_kpi_period_of_two_thousand_years_is_refused(people):
    response = api(people.manager).get("/api/v1/kpi/valid-rate/", {"by": "month", "start": "7579-12-30",
                                                                   "end": "9859-03-13"})
    assert response.status_code == 400 and "1830" in str(response.data), response.data


@pytest.mark.parametrize("action", ["place", "classify", "answer", "callback"])
def test_a_ticket_action_with_a_body_that_is_no_object_is_refused(people, action):
    import_rows([row("T1", col=1.5, cell=1.5)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get()
    response = api(people.dispatcher).post(f"/api/v1/hotline/tickets/{ticket.pk}/{action}/", "true",
                                           content_type="application/json")
    assert response.status_code == 400, response.content[:300]


def test_a_body_that_is_not_json_is_refused_in_the_users_language(people):
    assert_json_error(api(people.dispatcher).post("/api/v1/cases/", "{", content_type="application/json"), 400, chinese)
    body = assert_json_error(api(people.dispatcher, "en").post("/api/v1/cases/", "{", content_type="application/json"))
    assert body["detail"] == "The body is not valid JSON."


@pytest.mark.parametrize(("path", "name"), [("/api/v1/hotline/tickets/", "case"), ("/api/v1/vision/candidates/", "case"),
                                            ("/api/v1/areas/", "limit"), ("/api/v1/areas/", "offset")])
def test_a_number_of_five_thousand_digits_is_no_server_error(people, path, name):
    # int() refuses more than 4,300 digits with a ValueError.
    response = api(people.dispatcher).get(path, {name: "9" * 5000})
    assert response.status_code in (200, 404), response.content[:300]


def test_a_bounding_box_past_the_world_is_cut_to_it(people):
    # Leaflet's bounds of a map zoomed far out (the 12345 intake map asks with them).
    response = api(people.dispatcher).get("/api/v1/grids/", {"in_bbox": "-250.5,-95,260,95", "page_size": 2000})
    assert response.status_code == 200 and response.data["count"] == 24


def test_a_location_given_as_form_text_nested_five_thousand_deep_is_refused(people, category):
    location = '{"type": "Point", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api(people.dispatcher).post("/api/v1/cases/", {"channel": "other", "location": location,
                                                              "category": category.service_code})
    assert response.status_code == 400 and "嵌套超过 32 层" in str(response.data["location"]), response.content[:300]


def test_a_pushed_ticket_with_a_list_in_a_field_is_refused_alone(people):
    rows = [{**row("P1", col=1.5, cell=1.5), "经度": [1], "纬度": {}}, {**row("P2", col=1.5, cell=1.5), "坐标系": [1]},
            "not an object", row("P3", col=1.5, cell=1.5)]
    response = api(people.dispatcher).post("/api/v1/hotline/tickets/", rows, format="json")
    assert response.status_code == 201, response.content[:300]
    refused = response.data["refused"]
    assert [item["line"] for item in refused] == [1, 2, 3]
    assert "经度" in refused[0]["reason"] and "坐标系" in refused[1]["reason"]
    assert list(HotlineTicket.objects.values_list("external_id", flat=True)) == ["P3"]


def test_a_body_over_the_limit_outside_drf_is_json_under_open311_and_html_on_pages(city, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    client = Client(raise_request_exception=False)
    big = {"description": "垃" * 2**20, "api_key": "x"}
    assert "2560 KB" in assert_json_error(client.post("/open311/v2/requests.json", big), 413, chinese)["detail"]
    page = client.post("/accounts/login/", big)
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
