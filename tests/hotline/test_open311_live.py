"""Open311 GeoReport v2 against a live server, spoken as a third-party client does: plain
HTTP (http.client), the spec's documented requests, form-encoded POST with an api_key;
content types and XML root elements as the spec gives them."""

import http.client
import json
import urllib.parse
from xml.etree import ElementTree as ET

import pytest

from tests.builders import point_in
from urbanmgmt.hotline.models import HotlineTicket, Open311Client

pytestmark = pytest.mark.django_db(transaction=True)


class Client:
    def __init__(self, live_server):
        url = urllib.parse.urlsplit(live_server.url)
        self.host, self.port = url.hostname, url.port

    def call(self, method, path, form=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
        connection.request(method, "/open311/v2/" + path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.getheader("Content-Type"), data

    def json(self, path, form=None, status=200):
        code, kind, data = self.call("POST" if form else "GET", path, form)
        assert (code, kind.split(";")[0]) == (status, "application/json"), (path, code, data[:300])
        return json.loads(data)

    def xml(self, path, form=None, status=200):
        code, kind, data = self.call("POST" if form else "GET", path, form)
        assert (code, kind.split(";")[0]) == (status, "text/xml"), (path, code, data[:300])
        return ET.fromstring(data)


@pytest.fixture
def open311(empty_history_after, people, gazetteer, live_server):
    Open311Client.objects.create(name="FixMyStreet", api_key="k-123")
    return Client(live_server)


def test_a_client_discovers_lists_posts_and_follows_a_request(open311):
    discovery = open311.json("discovery.json")
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "text/xml" in discovery["endpoints"][0]["formats"]
    root = open311.xml("discovery.xml")
    assert root.tag == "discovery" and root.find("changeset").text
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"
    assert {f.text for f in root.findall("endpoints/endpoint/formats/format")} == {"application/json", "text/xml"}

    services = open311.json("services.json")
    assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(services[0])
    codes = [s["service_code"] for s in services]
    assert "E0102" in codes
    root = open311.xml("services.xml")
    assert root.tag == "services" and root.find("service/service_code").text == codes[0]
    definition = open311.xml("services/E0102.xml")
    assert definition.tag == "service_definition" and definition.find("service_code").text == "E0102"
    assert open311.json("services/E0102.json")["service_code"] == "E0102"

    spot = point_in(1.5, 1.5)
    form = {"api_key": "k-123", "service_code": "E0102", "lat": f"{spot.y:.7f}", "long": f"{spot.x:.7f}",
            "description": "路边垃圾堆了三天", "first_name": "Li", "phone": "13900000000"}
    made = open311.json("requests.json", form, status=201)
    request_id = made[0]["service_request_id"]
    ticket = HotlineTicket.objects.get(pk=int(request_id))
    assert ticket.source == "open311" and ticket.category.service_code == "E0102" and ticket.case is not None

    again = open311.xml("requests.xml", {**form, "description": "再一次"}, status=201)
    assert again.tag == "service_requests" and again.find("request/service_request_id").text

    one = open311.json(f"requests/{request_id}.json")[0]
    assert one["service_request_id"] == request_id and one["status"] == "open" and one["service_code"] == "E0102"
    assert one["requested_datetime"].endswith("+08:00") and abs(one["lat"] - spot.y) < 1e-6
    assert "13900000000" not in json.dumps(one) and "Li" not in json.dumps(one)  # the caller stays private
    root = open311.xml(f"requests/{request_id}.xml")
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == request_id

    token = open311.json(f"tokens/{request_id}.json")[0]
    assert token["service_request_id"] == request_id
    assert open311.xml(f"tokens/{request_id}.xml").tag == "service_requests"

    listed = open311.json("requests.json?service_code=E0102&status=open")
    assert request_id in [r["service_request_id"] for r in listed]
    assert open311.json("requests.json?status=closed") == []
    assert open311.json(f"requests.json?service_request_id={request_id}")[0]["service_request_id"] == request_id


def test_errors_are_the_specs_lists_and_posting_needs_a_valid_key(open311):
    spot = point_in(1.5, 1.5)
    form = {"service_code": "E0102", "lat": f"{spot.y:.7f}", "long": f"{spot.x:.7f}", "description": "x"}
    errors = open311.json("requests.json", {**form, "api_key": "wrong"}, status=403)
    assert errors[0]["code"] == 403 and errors[0]["description"]
    root = open311.xml("requests.xml", form, status=403)
    assert root.tag == "errors" and root.find("error/code").text == "403"
    assert open311.xml("services/NOPE.xml", status=404).tag == "errors"
    outside = open311.json("requests.json", {**form, "api_key": "k-123", "lat": "39.9", "long": "116.4"}, status=400)
    assert outside[0]["description"]
    assert not HotlineTicket.objects.exists()
