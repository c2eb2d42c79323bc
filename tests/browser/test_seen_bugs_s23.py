"""What a walk in Chromium found (session 23), in Chinese and in English: 城管通's bell
opened the desktop's sign-in page (the app signs in with a token, which the bell's page does
not take), so an inspector could read no notification.
Screenshots: var/screenshots/seen_bugs_s23/."""

import pytest
from django.utils import timezone

from tests.browser.conftest import shot
from tests.browser.test_collector_app import inspector  # noqa: F401 - a fixture
from tests.browser.test_journey_inspector import phone
from tests.browser.test_seen_bugs_s16 import supervised_case
from urbanmgmt.supervision.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s23"
LOCALE = {"zh-hans": "zh-CN", "en": "en-US"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_apps_bell_shows_the_notifications_in_the_app(browser, live_server, inspector, people, category,  # noqa: F811
                                                          language):
    notice = supervised_case(people, category)
    told = Notification.objects.create(user=people.inspector, event=notice.events.first(), created_at=timezone.now())
    context, page = phone(browser, live_server, LOCALE[language])
    page.wait_for_selector("#notices-count:not(.is-zero)")
    page.click("#notices-link")
    page.wait_for_selector("#notice-list .notice.unread")
    assert page.url.startswith(f"{live_server.url}/m/") and page.is_visible("#panel-notices")
    assert page.is_hidden("#panel-new") and page.get_attribute("#notices-link", "aria-expanded") == "true"
    headline = page.inner_text("#notice-list .notice .title")
    expected = {"zh-hans": f"发起督办 · 督办 · 案件 {notice.case.code}",
                "en": f"Raised · Supervision · Case {notice.case.code}"}[language]
    assert headline == expected
    assert page.inner_text("#panel-notices h2") == {"zh-hans": "提醒", "en": "Notifications"}[language]
    shot(page, JOURNEY, language, "01-app-notifications", full_page=False)

    page.click("#notice-list .notice.unread")  # read by a tap
    page.wait_for_selector("#notices-count.is-zero", state="attached")
    page.wait_for_selector("#notice-list .notice:not(.unread)")
    told.refresh_from_db()
    assert told.read_at is not None and page.is_hidden("#notices-read-all")
    shot(page, JOURNEY, language, "02-app-notifications-read", full_page=False)
    page.click("#tab-tasks")  # the tabs still lead on
    page.wait_for_selector("#panel-tasks:visible")
    assert page.is_hidden("#panel-notices") and page.get_attribute("#notices-link", "aria-expanded") == "false"
    assert page.errors == []
    context.close()
