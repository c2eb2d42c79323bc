"""What session 19 saw of the product in Chromium, in Chinese and in English: the home page
said "1 open cases you can see" in English when one case was open.
Screenshots: var/screenshots/seen_bugs_s19/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.builders import report_case

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
JOURNEY = "seen_bugs_s19"
EXPECTED = {"zh-hans": ("您可见的在办案件 1 件", "单元网格"), "en": ("1 open case you can see ·", "unit grids")}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_home_page_counts_one_open_case_in_the_singular(browser, live_server, empty_history_after, people,
                                                             category, language):
    report_case(people.inspector, category, description="路边垃圾")
    page = signed_in_page(browser, live_server, "dispatcher", language, "/")
    page.wait_for_selector("main h1")
    shot(page, JOURNEY, language, "01-home-one-case", full_page=False)
    text = page.inner_text("main")
    case, grids = EXPECTED[language]
    assert case in text and grids in text, text
    assert "1 open cases" not in text
    assert page.errors == [] and page.foreign_requests == []
