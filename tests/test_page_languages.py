"""Every page, as each role sees it, speaks one language: no English word of the UI in the
Chinese pages, no Chinese of the UI's own in the English ones.

The pages are rendered by the server (what the scripts add is checked by the journeys in
tests/browser/). Data is not the UI: the names of people, places, categories, departments and
cameras are taken out of the text first, as are codes and the few words that are names in
both languages (the language menu, the product's name, file formats)."""

import pytest
from django.contrib import admin

from tests.languages import data_names, strays, visible_text
from tests.vision.conftest import camera, media_root  # noqa: F401 - a camera to open

pytestmark = pytest.mark.django_db

OUR_APPS = ("cases", "vision", "org", "catalog", "grids", "hotline", "jobs")
ROLES = ("inspector", "analyst", "dispatcher", "handler", "manager", "admin", "outsider")
PAGES = ["/", "/map/", "/workspace/", "/kpi/", "/kpi/report/daily/", "/kpi/report/monthly/", "/vision/",
         "/vision/cameras/{camera}/", "/hotline/import/", "/hotline/unplaced/", "/hotline/review/",
         "/hotline/classifier/", "/m/", "/admin/"]
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
