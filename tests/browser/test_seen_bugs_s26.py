"""What a walk found and session 26 fixed, in Chromium, in Chinese and in English: 督办 raised
on a case whose 提醒 awaited its answer made a second notice for the case instead of
escalating the first; the patrol table overran its page at 1280 px in English (its headings
kept on one line each) and said nothing of a period without patrols. From the 12345 intake:
the map's pin was a broken image (a 404), forwarding or setting a ticket aside moved on
without a word, and a suggestion clicked in the review list was saved while the field kept
showing the former category. From 城管通: "take at least 1 photo" stayed after a photo was
added, and a report from outside every grid could be sent, then sat refused in the outbox
with no way to move it. Screenshots: var/screenshots/seen_bugs_s26/."""

import pytest

from tests.browser.conftest import log_in_app, shot, signed_in_page, wait_for
from tests.browser.test_collector_app import inspector, photo_files  # noqa: F401 - fixtures
from tests.browser.test_hotline_intake import intake  # noqa: F401 - a fixture
from tests.browser.test_journey_dispatcher import named  # noqa: F401 - a fixture
from tests.browser.test_seen_bugs_s14b import right_edge
from tests.browser.test_seen_bugs_s25 import noticed_case
from tests.hotline.conftest import bureaus  # noqa: F401 - a fixture
from tests.hotline.helpers import row
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, TicketState
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


def missing_files(page) -> list[str]:
    """The page's requests answered 404, as they come."""
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    return missing


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_placing_forwarding_and_setting_aside_say_what_became_of_the_ticket(browser, live_server, intake,  # noqa: F811
                                                                            bureaus, language):  # noqa: F811
    import_rows([row(f"P{n}", address="家附近的路口") for n in (1, 2, 3)], source="s", actor=intake.dispatcher)
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/unplaced/")
    missing = missing_files(page)
    page.wait_for_selector("#place-map[data-grids]")
    heights = page.locator("#unplaced-list tbody tr").first.locator("td").evaluate_all(
        "cells => cells.slice(0, 3).map(c => c.getBoundingClientRect().height)")
    assert len(set(heights)) == 1  # the urgency on one line like the number (Ordinary, not Ordinar / y)
    first = page.get_attribute("#place-ticket", "data-external")
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.wait_for_selector("#place-map path.leaflet-interactive[stroke='#b00020']")  # the pin, drawn
    page.click("#place-confirm")
    said = page.locator("#intake-done")
    said.wait_for()
    case = HotlineTicket.objects.get(external_id=first).case
    assert said.inner_text() == {"zh-hans": f"工单{first}已定位：案件{case.code}。",
                                 "en": f"Ticket {first} placed: case {case.code}."}[language]
    second = page.get_attribute("#place-ticket", "data-external")
    page.select_option("#forward-form select[name=bureau]", index=1)
    bureau = page.eval_on_selector("#forward-form select[name=bureau]", "s => s.selectedOptions[0].textContent")
    page.click("#forward-form button[type=submit]")
    page.wait_for_function("n => (document.getElementById('intake-done')?.textContent || '').includes(n)", arg=second)
    assert page.inner_text("#intake-done") == {"zh-hans": f"工单{second}已转办至{bureau}。",
                                               "en": f"Ticket {second} forwarded to {bureau}."}[language]
    shot(page, JOURNEY, language, "04-forwarded-said")
    third = page.get_attribute("#place-ticket", "data-external")
    page.fill("#set-aside-form input[name=reason]", "地址不详，无法联系")
    page.click("#set-aside-form button[type=submit]")
    page.wait_for_function("n => (document.getElementById('intake-done')?.textContent || '').includes(n)", arg=third)
    assert page.is_visible("#place-empty")
    assert page.inner_text("#intake-done") == {"zh-hans": f"工单{third}已搁置。", "en": f"Ticket {third} set aside."}[language]
    assert HotlineTicket.objects.get(external_id=third).state == TicketState.SET_ASIDE
    page.reload()
    assert page.is_hidden("#intake-done")  # said once
    assert missing == [] and page.errors == []
    page.context.close()


def test_a_suggestion_clicked_in_the_review_list_is_the_category_the_field_shows(browser, live_server,
                                                                                intake):  # noqa: F811
    import_rows([row("R1", text="门口这块有问题，影响大家生活。", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    page = signed_in_page(browser, live_server, "dispatcher", "en", "/hotline/review/")
    line = page.locator(f"tr.review-row[data-ticket='{ticket.pk}']")
    choices = line.locator("button.choice[data-kind='category']")
    choice = choices.nth(choices.count() - 1)
    code = choice.get_attribute("data-code")
    choice.click()
    page.wait_for_selector(f"tr.review-row[data-ticket='{ticket.pk}'][data-done='1']")
    assert wait_for(lambda: HotlineTicket.objects.get(pk=ticket.pk).category.service_code == code, page=page)
    shown = line.locator("input.category-search").input_value()
    assert shown.split()[0] == code and len(shown.split()) > 1  # the code and its name
    assert line.locator(".result").inner_text() == f"Saved: {shown}."
    assert page.errors == []
    page.context.close()


def phone_at(browser, live_server, lon: float, lat: float):
    context = browser.new_context(geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
                                  permissions=["geolocation"], locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in_app(page, live_server, "inspector", "patrol-2026")
    page.wait_for_selector("#tab-new")
    page.click("#tab-new")
    page.fill("#category-search", "暴露垃圾")
    page.click('[data-code="E0102"]')
    return context, page


def test_the_app_forgets_a_missing_photo_once_one_is_added(browser, live_server, inspector, photo_files):  # noqa: F811
    from tests.builders import point_in

    point = point_in(0.5, 0.5)
    context, page = phone_at(browser, live_server, point.x, point.y)
    page.wait_for_selector("#submit-report:not([disabled])", timeout=10000)
    page.click("#submit-report")
    message = page.locator("#report-message")
    message.wait_for()
    assert message.inner_text() == "请至少拍摄 1 张照片"
    page.set_input_files("#photo-input", photo_files[0])
    page.wait_for_function("() => document.getElementById('photo-count').textContent.startsWith('1/')")
    assert message.is_hidden()
    context.close()


def test_the_app_refuses_to_send_a_report_from_outside_every_grid(browser, live_server, inspector,  # noqa: F811
                                                                  photo_files):  # noqa: F811
    context, page = phone_at(browser, live_server, 119.0, 34.0)  # kilometres from the test city's grids
    page.set_input_files("#photo-input", photo_files[0])
    page.wait_for_selector("#locate-result.error", timeout=15000)
    page.wait_for_selector("#submit-report:not([disabled])", timeout=10000)
    page.click("#submit-report")
    message = page.locator("#report-message")
    message.wait_for()
    assert "请在地图上把上报位置选在您的网格内" in message.inner_text()
    shot(page, JOURNEY, "zh-hans", "05-outside-every-grid", full_page=False)
    assert page.evaluate("window.collector.queueSize()") == 0 and Case.objects.count() == 0
    context.close()


def test_the_placement_map_opened_from_outside_the_grids_shows_them(browser, live_server, inspector):  # noqa: F811
    """Opened away from every grid, the map was an empty grey square at the phone's fix (no
    tiles, no grid in view): it now shows the inspector's grids, where the report is to be placed."""
    context, page = phone_at(browser, live_server, 119.0, 34.0)
    page.click("#toggle-map")
    page.wait_for_selector("#place-map .grid-label", state="attached")
    page.wait_for_timeout(500)  # fitBounds' animation
    box = page.locator("#place-map").bounding_box()
    inside = page.locator("#place-map path.leaflet-interactive, #place-map path").evaluate_all(
        """(paths, box) => paths.filter(p => { const r = p.getBoundingClientRect();
             return r.width > 0 && r.right > box.x && r.left < box.x + box.width
                 && r.bottom > box.y && r.top < box.y + box.height; }).length""", box)
    assert inside > 0  # grid outlines in view
    shot(page, JOURNEY, "zh-hans", "06-map-from-outside", full_page=False)
    context.close()
