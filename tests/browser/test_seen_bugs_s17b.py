"""What a second walk in Chromium found (session 17), in Chinese and in English: the
supervision form's address, typed or bookmarked, answered with the browser's bare error page
(405).
Screenshots: var/screenshots/seen_bugs_s17b/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_seen_bugs_s16 import supervised_case
from urbanmgmt.supervision.models import Notice

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s17b"
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_supervision_forms_addresses_opened_by_hand_land_on_their_pages(browser, live_server, empty_history_after,
                                                                           people, category, language):
    notice = supervised_case(people, category)
    heading = {"zh-hans": "督办单", "en": "Supervision notices"}[language]
    page = signed_in_page(browser, live_server, "dispatcher", language, "/supervision/raise/")
    page.wait_for_selector("main h1")
    assert page.url == f"{live_server.url}/supervision/#raise" and page.inner_text("main h1") == heading
    shot(page, JOURNEY, language, "01-raise-typed", full_page=False)
    answer = page.goto(f"{live_server.url}/supervision/{notice.pk}/close/")
    assert answer.status == 200 and page.url == f"{live_server.url}/supervision/{notice.pk}/"
    answer = page.goto(f"{live_server.url}/notifications/read/")
    assert answer.status == 200 and page.url == f"{live_server.url}/notifications/"

    # The form itself still raises a notice.
    page.goto(f"{live_server.url}/supervision/raise/")
    page.click("#raise summary")
    page.select_option("#raise select[name=subject]", "department")
    page.select_option("#raise select[name=department]", index=1)
    page.fill("#raise textarea[name=request]", "请今日答复")
    page.click("#raise-button")
    page.wait_for_url(f"{live_server.url}/supervision/*/")
    assert Notice.objects.count() == 2
    assert page.errors == [] and page.foreign_requests == []
