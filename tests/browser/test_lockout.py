"""Guessing passwords in 城管通 (it logs in through POST /api/v1/auth/token/): after five
failures the inspector reads why logging in is refused and until when, in Chinese."""

import re

import pytest

from tests.browser.conftest import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def try_login(page, password):
    page.fill("#username", "inspector")
    page.fill("#password", password)
    with page.expect_response("**/api/v1/auth/token/") as answer:
        page.click("#login-button")
    page.wait_for_selector("#login-message:not([hidden])")
    page.wait_for_function("() => !document.querySelector('#login-button').disabled")
    return answer.value.status, page.inner_text("#login-message")


def test_the_app_says_why_a_locked_out_inspector_cannot_log_in(browser, live_server, empty_history_after, people):
    page = watched_page(browser, live_server)
    page.goto(f"{live_server.url}/m/")
    answers = [try_login(page, "not-my-password") for _ in range(5)]
    assert [status for status, _ in answers] == [400, 400, 400, 400, 429]
    status, message = try_login(page, "pw-inspector")
    assert status == 429
    assert re.fullmatch(r"“inspector”登录失败次数过多：从本地址登录已暂停至 \d\d:\d\d。"
                        r"请届时再试，或请管理员解锁该账号。", message)
    assert page.locator("#view-login").is_visible()
    page.context.close()
