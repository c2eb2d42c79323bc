"""A category is named in the reader's language wherever it is shown: the case API, the map's
markers, finder and repeat list, the exports made in English, the managers' report, the 12345
classifier's table. The catalogue keeps both names (fixtures/catalog/categories.json)."""

import json

import pytest
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation

from maps.exports import cases_frame
from tests.builders import client_for, point_in, report_case
from urbanmgmt.catalog.models import Category, category_names
from urbanmgmt.kpi.reports import summary

pytestmark = pytest.mark.django_db

WHOLE = ",".join(f"{v:.6f}" for p in (point_in(-1, -1), point_in(7, 5)) for v in (p.x, p.y))


def in_english(user):
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_every_category_of_the_catalogue_has_an_english_name(city):
    assert not Category.objects.filter(name_en="").exists()
    with translation.override("en"):
        assert category_names()["E0102"] == "Exposed refuse"
    with translation.override("zh-hans"):
        assert category_names()["E0102"] == "暴露垃圾"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_map_and_the_case_api_name_the_category_in_the_readers_language(people, category, language):
    case = report_case(people.inspector, category, 0.5, 0.5, description="垃圾堆放")
    for _ in range(2):
        report_case(people.inspector, category, 0.5, 0.5, description="垃圾堆放")
    client = client_for(people.dispatcher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    name = category.name_en if language == "en" else category.name_zh

    assert client.get(f"/api/v1/cases/{case.pk}/").json()["properties"]["category_name"] == name
    layer = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 18}).json()
    assert {f["properties"]["category"] for f in layer["features"]} == {name}
    found = client.get("/api/v1/map/find/", {"q": case.code}).json()
    assert found["cases"][0]["category_name"] == name
    repeats = client.get("/api/v1/map/repeats/", {"days": 30, "min": 3}).json()
    assert [r["category_name"] for r in repeats["grids"]] == [name]


def test_an_english_export_and_report_name_categories_in_english(people, category):
    report_case(people.inspector, category, 0.5, 0.5, description="垃圾堆放")
    with translation.override("en"):
        assert list(cases_frame(people.dispatcher, QueryDict("open=all"))["category"]) == ["Exposed refuse"]
        assert summary("daily", timezone.localdate().isoformat())["top_categories"] == [{"name": "Exposed refuse", "n": 1}]
    with translation.override("zh-hans"):
        assert list(cases_frame(people.dispatcher, QueryDict("open=all"))["category"]) == ["暴露垃圾"]


def test_the_classifier_page_names_categories_in_english(people):
    from urbanmgmt.hotline.api import precision_rows
    from urbanmgmt.hotline.models import ClassifierVersion

    version = ClassifierVersion(version=1, evaluation={"per_label": {"E0102": {"predicted": 2, "right": 1}}})
    with translation.override("en"):
        assert [row["name"] for row in precision_rows(version)] == ["Exposed refuse"]
    assert json.dumps(precision_rows(version), ensure_ascii=False).count("暴露垃圾") == 1
