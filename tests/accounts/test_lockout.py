"""Guessing passwords: five failures of one name from one address lock it for 15 minutes, on
the login form, the admin and the API token endpoint, with a reason the user can read."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from tests.builders import client_for


def attempts():
    """axes' record of failed logins (looked up late: the tests must run, and fail, without axes)."""
    return apps.get_model("axes", "AccessAttempt").objects


FORM, ADMIN, TOKEN = "/accounts/login/", "/admin/login/", "/api/v1/auth/token/"


def post_login(client, url, username, password, **extra):
    if url == TOKEN:
        return client.post(url, {"username": username, "password": password}, format="json", **extra)
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client, url, username="dispatcher", times=5, **extra):
    return [post_login(client, url, username, "not-the-password", **extra).status_code for _ in range(times)]


@pytest.mark.parametrize("url", [FORM, ADMIN])
def test_the_login_pages_lock_a_name_out_after_five_failures(people, url):
    client = Client()
    assert fail(client, url) == [200, 200, 200, 200, 429]
    # The right password no longer helps while the lockout lasts.
    response = post_login(client, url, "dispatcher", "pw-dispatcher")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "登录失败次数过多" in text and "“dispatcher”" in text and "管理员" in text
    assert 800 <= int(response["Retry-After"]) <= 900


def test_thirty_guesses_on_the_form_never_get_in(people):
    client = Client()
    statuses = fail(client, FORM, times=30)
    assert statuses.count(200) == 4 and statuses[4:] == [429] * 26
    assert post_login(client, FORM, "dispatcher", "pw-dispatcher").status_code == 429


def test_the_token_endpoint_locks_out_with_a_json_reason(people):
    client = client_for(None)
    assert fail(client, TOKEN) == [400, 400, 400, 400, 429]
    response = post_login(client, TOKEN, "dispatcher", "pw-dispatcher")
    assert response.status_code == 429
    body = response.json()
    assert body["detail"].startswith("“dispatcher”登录失败次数过多") and "token" not in body
    assert 800 <= int(response["Retry-After"]) <= 900


def test_the_lockout_reason_is_in_english_for_an_english_user(people):
    client = client_for(None, language="en")
    fail(client, TOKEN)
    detail = post_login(client, TOKEN, "dispatcher", "pw-dispatcher").json()["detail"]
    assert detail.startswith("Too many failed logins for “dispatcher” from this address")
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    fail(page, FORM, username="manager")
    assert "ask an administrator to unlock" in post_login(page, FORM, "manager", "pw-manager").content.decode()


def test_the_lockout_is_for_one_name_at_one_address(people):
    client = Client()
    fail(client, FORM)
    assert post_login(client, FORM, "manager", "pw-manager").status_code == 302  # another name
    elsewhere = Client(REMOTE_ADDR="10.20.30.40")
    assert post_login(elsewhere, FORM, "dispatcher", "pw-dispatcher").status_code == 302


def test_the_lockout_ends_after_fifteen_minutes(people):
    client = Client()
    fail(client, FORM)
    attempts().update(attempt_time=attempts().get().attempt_time - timedelta(minutes=15, seconds=1))
    assert post_login(client, FORM, "dispatcher", "pw-dispatcher").status_code == 302


def test_an_administrator_unlocks_a_name(people):
    client = Client()
    fail(client, FORM)
    call_command("axes_reset_username", "dispatcher", stdout=io.StringIO())
    assert post_login(client, FORM, "dispatcher", "pw-dispatcher").status_code == 302


def test_an_administrator_unlocks_a_name_in_the_admin(people):
    locked = Client()
    fail(locked, FORM)
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    admin = Client()
    admin.force_login(people.admin)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "dispatcher" in page.content.decode()
    attempt = attempts().get()
    admin.post("/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk],
                                              "post": "yes"})
    assert not attempts().exists()
    assert post_login(locked, FORM, "dispatcher", "pw-dispatcher").status_code == 302


def test_behind_a_proxy_the_client_is_the_address_the_proxy_forwarded(people, settings):
    settings.PROXY_COUNT = 1
    via = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    # The attacker's own X-Forwarded-For entries stand left of what the proxy appended.
    fail(via, FORM, HTTP_X_FORWARDED_FOR="192.0.2.9, 203.0.113.7")
    assert post_login(via, FORM, "dispatcher", "pw-dispatcher", HTTP_X_FORWARDED_FOR="192.0.2.9, 203.0.113.7"
                      ).status_code == 429
    assert attempts().get().ip_address == "203.0.113.7"
    # Another client behind the same proxy is not locked out.
    assert post_login(via, FORM, "dispatcher", "pw-dispatcher", HTTP_X_FORWARDED_FOR="198.51.100.4"
                      ).status_code == 302
