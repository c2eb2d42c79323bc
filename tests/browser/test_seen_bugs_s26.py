"""What a walk found and session 26 fixed, in Chromium, in Chinese and in English: 督办 raised
on a case whose 提醒 awaited its answer made a second notice for the case instead of
escalating the first; the patrol table overran its page at 1280 px in English (its headings
kept on one line each) and said nothing of a period without patrols. Screenshots: var/screenshots/seen_bugs_s26/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_journey_dispatcher import named  # noqa: F401 - a fixture
from tests.browser.test_seen_bugs_s14b import right_edge
from tests.browser.test_seen_bugs_s25 import noticed_case
from urbanmgmt.supervision.models import Level, Notice

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s26"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_command_centre_escalates_a_cases_notice_from_the_raise_form(browser, live_server, named,  # noqa: F811
                                                                        category, language):
    case, notice = noticed_case(named, category, Level.REMIND)
    page = signed_in_page(browser, live_server, "dispatcher", language, "/supervision/raise/")

    def raise_on_the_case(level):
        page.select_option("#raise select[name=subject]", "case")
        page.select_option("#raise select[name=level]", level)
        page.fill("#raise input[name=case]", case.code)
        page.fill("#raise textarea[name=request]", "请今日下班前书面答复")
        page.click("#raise-button")

    page.wait_for_selector("#raise-button")
    raise_on_the_case(Level.SUPERVISE)
    page.wait_for_url(f"{live_server.url}/supervision/{notice.pk}/")  # the case's notice, escalated
    assert page.inner_text("main h1").startswith({"zh-hans": "督办", "en": "Supervision"}[language])
    assert "请今日下班前书面答复" in page.inner_text("#history")
    shot(page, JOURNEY, language, "01-escalated")
    assert Notice.objects.filter(case=case).count() == 1

    page.goto(f"{live_server.url}/supervision/raise/")
    raise_on_the_case(Level.REMIND)
    said = page.locator("#form-error")
    said.wait_for()
    assert f"#{notice.pk}" in said.inner_text() and case.code in said.inner_text()
    shot(page, JOURNEY, language, "02-refused", full_page=False)
    assert Notice.objects.filter(case=case).count() == 1
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_patrol_table_fits_its_page_at_1280_and_says_nobody_patrolled(browser, live_server, people, language):
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/patrols/",
                          viewport={"width": 1280, "height": 800})
    page.wait_for_selector("#patrol-inspectors")
    shot(page, JOURNEY, language, "03-patrols-1280")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert right_edge(page, "#patrol-inspectors") <= right_edge(page, "article.report")
    tallest = max(page.locator("#patrol-inspectors th").evaluate_all("ths => ths.map(t => t.clientHeight)"))
    assert tallest < 4 * 24  # three lines at most: words wrap, not a character a line
    assert {"zh-hans": "本时段没有监督员的巡查记录", "en": "No inspector recorded a patrol"}[language] in (
        page.inner_text("#no-patrols"))
    assert page.errors == []
    page.context.close()
