"""An address with nothing behind it and a server error are pages in the platform's look and in
the user's language (zh-hans unless they chose English), with a way back home; API clients
keep their JSON. The favicon is the platform's own, served by the platform."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_chinese_page_with_a_way_home(client, people):
    client.force_login(people.dispatcher)
    answer = client.get("/no/such/page/")
    page = answer.content.decode()
    assert answer.status_code == 404 and '<html lang="zh-hans"' in page
    assert "没有这个页面" in page and 'href="/"' in page and "返回首页" in page and "base.css" in page
    assert "Not Found" not in page


def test_an_unknown_address_is_in_english_for_an_english_user(client):
    answer = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en")
    page = answer.content.decode()
    assert answer.status_code == 404 and '<html lang="en"' in page
    assert "There is no such page" in page and "Back to the home page" in page and "没有" not in page


def test_a_missing_object_of_a_page_is_the_same_page(client, people):
    client.force_login(people.dispatcher)
    answer = client.get("/exports/987654/")
    assert answer.status_code == 404 and "没有这个页面" in answer.content.decode()


def test_an_unknown_api_address_is_still_json(client, people):
    client.force_login(people.dispatcher)
    answer = client.get("/api/v1/no-such-thing/")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


@pytest.mark.parametrize(("language", "words", "absent"), [
    ("zh-hans", ("服务器出错了", "返回首页"), "Server Error"),
    ("en", ("Something went wrong on our side", "Back to the home page"), "服务器")])
def test_a_server_error_is_a_page_in_the_users_language(settings, people, language, words, absent):
    settings.ROOT_URLCONF = "tests.errors_urls"
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(people.dispatcher)
    answer = client.get("/failing/")
    page = answer.content.decode()
    assert answer.status_code == 500 and f'<html lang="{language}"' in page and "base.css" in page
    assert all(word in page for word in words) and absent not in page


def test_a_server_error_under_the_api_is_still_json(settings, people):
    settings.ROOT_URLCONF = "tests.errors_urls"
    client = Client(raise_request_exception=False)
    client.force_login(people.dispatcher)
    answer = client.get("/api/v1/failing/")
    assert answer.status_code == 500 and answer.json()["code"] == "server_error"


def test_the_favicon_is_served_from_the_platform(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/urbanmgmt/favicon' in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302 and answer["Location"].startswith("/static/urbanmgmt/favicon")
    assert answer["Location"].endswith(".ico")


def test_a_server_errors_page_asks_nothing_of_the_database_and_offers_the_language_switch(rf, django_assert_num_queries):
    from urbanmgmt.api_guards import server_error

    request = rf.get("/failing/?a=1")
    with django_assert_num_queries(0):
        answer = server_error(request)
    page = answer.content.decode()
    assert answer.status_code == 500 and 'action="/i18n/setlang/"' in page and 'name="csrfmiddlewaretoken"' in page
    assert '<input name="next" type="hidden" value="/failing/?a=1">' in page
