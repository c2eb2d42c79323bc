"""The OpenAPI schema documents every view (drf-spectacular finds nothing to guess or warn
about), and what the GeoJSON lists return: FeatureCollections, paginated or not."""

import json

import pytest
from django.core.management import call_command

from tests.builders import client_for

pytestmark = pytest.mark.django_db


def test_every_view_has_a_schema_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_a_paginated_geojson_list_is_documented_as_a_feature_collection(people):
    schema = json.loads(client_for(people.dispatcher).get("/api/schema/", {"format": "json"}).content)
    ref = schema["paths"]["/api/v1/cases/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    collection, links = page["allOf"]
    listed = schema["components"]["schemas"][collection["$ref"].rsplit("/", 1)[1]]
    assert listed["properties"]["features"]["type"] == "array"
    assert set(links["required"]) == {"type", "count", "features"}
