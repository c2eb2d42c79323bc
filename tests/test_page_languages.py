"""Every page, as each role sees it, speaks one language: no English word of the UI in the
Chinese pages, no Chinese of the UI's own in the English ones.

The pages are rendered by the server (what the scripts add is checked by the journeys in
tests/browser/). Data is not the UI: the names of people, places, categories, departments and
cameras are taken out of the text first, as are codes and the few words that are names in
both languages (the language menu, the product's name, file formats)."""

import html
import re

import pytest
from django.contrib import admin

from tests.vision.conftest import camera, media_root  # noqa: F401 - a camera to open
from urbanmgmt.grids.models import Area, UnitGrid

pytestmark = pytest.mark.django_db

OUR_APPS = ("cases", "vision", "org", "catalog", "grids", "hotline", "jobs")
ROLES = ("inspector", "analyst", "dispatcher", "handler", "manager", "admin", "outsider")
PAGES = ["/", "/map/", "/workspace/", "/kpi/", "/kpi/report/daily/", "/kpi/report/monthly/", "/vision/",
         "/vision/cameras/{camera}/", "/hotline/import/", "/hotline/unplaced/", "/hotline/review/",
         "/hotline/classifier/", "/m/", "/admin/"]
# Words that are the same in both languages: names of products, formats and the language menu.
BOTH = {"urbanmgmt", "English", "API", "CSV", "GBK", "UTF", "JSON", "Excel", "xlsx", "GeoJSON", "WGS84", "GCJ",
        "PNG", "JPEG", "WebP", "KPI", "OpenAPI", "Swagger", "Redoc", "GPS", "EXIF", "PWA", "SHA", "ID", "MB", "KB",
        "Django", "rtsp", "http", "https", "YOLO", "简体中文", "UTM", "JavaScript", "GeoPackage", "Shapefile",
        "YAML", "Django-RQ", "COCO", "Control", "Command", "Mac"}
# Names a third-party app gives itself as plain strings, beyond any catalogue.
THIRD_PARTY = ("Tasks Database Backend", "Task results", "Task result", "Task Results", "Task Result")
COMMAND = re.compile(r"manage\.py \w+")
# Scripts, styles and code (commands, file names) are no sentence of the UI.
TAGS = re.compile(r"<(script|style|template|code|textarea)\b.*?</\1>|<!--.*?-->|<[^>]+>", re.S)
# A word of letters only: codes with digits (E0505, Open311, CAM-1) are data or names.
ENGLISH = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’-]{2,}(?![A-Za-z0-9])")
CHINESE = re.compile(r"[\u4e00-\u9fff]+")


def data_names() -> list[str]:
    """What pages show as data: people, places, categories, departments, cameras."""
    from django.contrib.auth.models import User

    from urbanmgmt.cases.models import WorkDay
    from urbanmgmt.catalog.models import Category, MajorClass
    from urbanmgmt.hotline.models import Bureau
    from urbanmgmt.org.models import Department
    from vision.models import Camera, Zone

    names = list(User.objects.values_list("username", flat=True))
    names += list(Area.objects.values_list("name", flat=True)) + list(UnitGrid.objects.values_list("code", flat=True))
    names += list(Category.objects.values_list("name_zh", flat=True)) + list(Department.objects.values_list("name", flat=True))
    names += list(Department.objects.values_list("code", flat=True)) + list(Camera.objects.values_list("code", flat=True))
    names += list(Camera.objects.values_list("name", flat=True))
    for model, fields in ((Category, ("name_en",)), (MajorClass, ("name_zh", "name_en")), (WorkDay, ("name", "source")),
                          (Bureau, ("code", "name", "description"))):
        for field in fields:
            names += list(model.objects.values_list(field, flat=True)) + list(Zone.objects.values_list("name", flat=True))
    return sorted({n for n in names if n}, key=len, reverse=True)


def visible_text(page: str, names: list[str]) -> str:
    text = html.unescape(TAGS.sub(" ", "<body" + page.split("<body", 1)[-1]))
    for name in (*names, *THIRD_PARTY):
        text = text.replace(name, " ")
    return COMMAND.sub(" ", text)


def strays(text: str, language: str) -> list[str]:
    found = ENGLISH.findall(text) if language == "zh-hans" else CHINESE.findall(text)
    return sorted({w for w in found if w not in BOTH})


def pages_for(client, user, camera_pk) -> list[str]:  # noqa: F811
    client.force_login(user)
    out = [p.format(camera=camera_pk) for p in PAGES]
    if user.is_superuser:
        ours = [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]
        out += [f"/admin/{m._meta.app_label}/{m._meta.model_name}/{page}" for m in ours for page in ("", "add/")]
    return out


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_the_users_language(client, people, camera, role, language):  # noqa: F811
    user = getattr(people, role)
    if role == "admin":
        user.is_staff = user.is_superuser = True
        user.save()
    names = data_names()
    client.cookies["django_language"] = language
    found = {}
    for path in pages_for(client, user, camera.pk):
        answer = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        if answer.status_code not in (200, 403) or "text/html" not in answer.get("Content-Type", ""):
            continue
        words = strays(visible_text(answer.content.decode(), names), language)
        if words:
            found[path] = words
    assert found == {}, found
