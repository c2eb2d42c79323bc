"""The 督办 journey in Debian's Chromium, in Chinese and in English: the command centre
raises a supervision notice on an overdue case, the department finds it first in its
workspace and answers it there, the command centre reads the answer (its bell rings) and
closes the notice. Screenshots go to var/screenshots/supervision/."""

import re

import pytest
from django.conf import settings

from tests.browser.conftest import log_in, watched_page
from tests.supervision.conftest import MONDAY, dispatched_at
from urbanmgmt.org.models import Profile
from urbanmgmt.supervision.models import Notice, NoticeState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "supervision"
HAN = re.compile(r"[\u4e00-\u9fff]")
WORDS = {"zh-hans": {"raise": "发起", "level": "督办", "answered": "已答复", "closed": "已办结", "close": "办结督办单",
                     "send": "提交答复", "request": "请说明超期原因，今日下班前处置完毕并书面答复",
                     "answer": "已安排清运车辆，15:00 前清理完毕"},
          "en": {"raise": "Raise", "level": "Supervision", "answered": "Answered", "closed": "Closed",
                 "close": "Close the notice", "send": "Send the answer",
                 "request": "Explain the delay; clear it today and answer in writing",
                 "answer": "A truck is on its way; cleared by 15:00"}}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_as(browser, live_server, username: str, language: str, path: str):
    page = watched_page(browser, live_server)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, username, f"pw-{username}", path)
    page.wait_for_load_state()
    return page


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= size["height"]


def check_words(page, selector: str, language: str) -> str:
    """The UI's own words in the page's language: no '[object', no English left in the
    Chinese pages, no Chinese of the UI's in the English ones (data such as the
    department's name is what it is)."""
    text = page.locator(selector).inner_text()
    assert "[object" not in text and "undefined" not in text
    if language == "zh-hans":
        assert re.findall(r"[A-Za-z]{3,}", text) == [], text
    else:
        chrome = " ".join(page.locator(f"{selector} :is(h1, h2, th, dt, button, summary, .level)").all_inner_texts()
                          + page.eval_on_selector_all(f"{selector} label", "labels => labels.map(l => l.firstChild.textContent)"))
        assert not HAN.search(chrome), chrome
    return text


@pytest.mark.usefixtures("empty_history_after")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervision_notice_is_raised_answered_in_the_workspace_and_closed(
        browser, live_server, people, category, language):
    words = WORDS[language]
    for user, name in ((people.dispatcher, "李派遣"), (people.handler, "王处置"), (people.inspector, "张巡查")):
        Profile.objects.filter(user=user).update(display_name=name)
    case = dispatched_at(people, category, MONDAY)  # overdue for a month
    centre = open_as(browser, live_server, "dispatcher", language, "/supervision/")
    centre.wait_for_selector("#notices")
    centre.click("#raise summary")
    # A wrong case number: the error is said where the dispatcher looks, the form kept.
    centre.select_option("select[name=subject]", "case")
    centre.fill("input[name=case]", "2026999999")
    centre.fill("textarea[name=request]", words["request"])
    centre.click("#raise-button")
    centre.wait_for_selector("#form-error")
    assert "2026999999" in centre.inner_text("#form-error") and in_viewport(centre, "#form-error")
    assert not (language == "en" and HAN.search(centre.inner_text("#form-error")))
    check_words(centre, "main", language)
    shot(centre, f"0-error-{language}")
    centre.fill("input[name=case]", case.code)
    centre.select_option("select[name=level]", "supervise")
    centre.click("#raise-button")
    centre.wait_for_selector("#notice")
    assert words["level"] in centre.inner_text("h1") and case.code in centre.inner_text("h1")
    check_words(centre, "main", language)
    shot(centre, f"1-raised-{language}")
    notice = Notice.objects.get()

    department = open_as(browser, live_server, "handler", language, "/workspace/")
    department.wait_for_selector("body[data-ready='1']")
    block, queue = (department.locator(s).bounding_box() for s in ("#supervision-block", "#queue-sections"))
    assert block["y"] < queue["y"]  # the notice first, above the cases
    assert department.inner_text("#notification-count") == "1"
    assert case.code in check_words(department, "#supervision-block", language)
    shot(department, f"2-workspace-{language}")
    department.fill("#supervision-block textarea[name=text]", words["answer"])
    department.click(f"#supervision-block button:has-text('{words['send']}')")
    department.wait_for_selector("body[data-ready='1']")
    assert words["answered"] in department.inner_text("#supervision-block")
    assert department.locator("#supervision-block form").count() == 0
    shot(department, f"3-answered-{language}")
    notice.refresh_from_db()
    assert notice.state == NoticeState.ANSWERED and notice.answered_on_time

    centre.goto(f"{live_server.url}/supervision/")
    assert centre.inner_text("#notification-count") == "1"  # the answer rang the dispatcher's bell
    centre.goto(f"{live_server.url}/supervision/{notice.pk}/")
    assert centre.inner_text("#notification-count") == "0"  # read once the notice is opened
    assert words["answer"] in centre.inner_text("#history")
    centre.click("#close-button")
    centre.wait_for_selector("#notice[data-state='closed']")
    assert words["closed"] in centre.inner_text("#notice-state")
    check_words(centre, "main", language)
    shot(centre, f"4-closed-{language}")
    centre.goto(f"{live_server.url}/notifications/")
    shot(centre, f"5-notifications-{language}")
    assert centre.foreign_requests == [] and department.foreign_requests == []
    centre.context.close()
    department.context.close()
