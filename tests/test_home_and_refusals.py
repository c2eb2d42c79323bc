"""The home page offers each role only what it may open; a refusal is a page in the user's
language with a way back (and JSON for API clients)."""

import pytest

pytestmark = pytest.mark.django_db

KPI, APP = 'href="/kpi/"', 'href="/m/"'


@pytest.mark.parametrize(("who", "kpi", "app"), [
    ("inspector", False, True), ("analyst", False, False), ("handler", False, False),
    ("dispatcher", True, False), ("manager", True, False), ("admin", True, False), ("outsider", False, False)])
def test_home_offers_the_dashboard_and_the_app_only_to_those_allowed(client, people, who, kpi, app):
    client.force_login(getattr(people, who))
    page = client.get("/").content.decode()
    assert (KPI in page, APP in page) == (kpi, app)


def test_the_intake_clerk_finds_the_ticket_list_from_home(client, people):
    client.force_login(people.dispatcher)
    assert 'href="/hotline/tickets/"' in client.get("/").content.decode()
    client.force_login(people.handler)
    assert 'href="/hotline/tickets/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(("who", "path"), [("analyst", "/kpi/"), ("inspector", "/vision/"), ("handler", "/map/"),
                                           ("outsider", "/workspace/")])
def test_every_page_the_home_offers_opens(client, people, who, path):
    client.force_login(getattr(people, who))
    links = [part.split('"')[0] for part in client.get("/").content.decode().split('<li><a href="')[1:]]
    for link in links:
        if link.startswith("/") and not link.startswith("/api"):
            assert client.get(link).status_code == 200, link


def test_a_refusal_is_a_styled_chinese_page_with_a_way_back(client, people):
    client.force_login(people.analyst)
    answer = client.get("/kpi/", HTTP_REFERER="http://testserver/vision/")
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "您无权打开此页面" in page and "返回首页" in page and 'href="http://testserver/vision/"' in page
    assert "base.css" in page and "Forbidden" not in page


def test_a_refusal_is_in_english_for_an_english_user(client, people):
    client.force_login(people.inspector)
    answer = client.get("/vision/", HTTP_ACCEPT_LANGUAGE="en")
    page = answer.content.decode()
    assert answer.status_code == 403 and "You may not open this page" in page and "Back to the home page" in page
    assert "您无权" not in page


def test_a_foreign_referer_is_no_way_back(client, people):
    client.force_login(people.analyst)
    page = client.get("/kpi/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in page


def test_api_clients_still_get_json(client, people):
    client.force_login(people.inspector)
    answer = client.get("/api/v1/vision/precision/")
    assert answer.status_code == 403 and answer.json()["detail"]
