"""Bugs a person met in the browser (session 8), each as it shows on the screen, in Chinese
and in English: on the dispatch map a click on a community (zoomed out) zooms in, the grids
answer their hover, the scale bar is metric, both families' 市容环境 are told apart in the
pickers, and a manager is offered no 12345 link form; in 城管通 on a 390 px phone the top bar
fits on one line per button and a toast hides no title, bar or button. Screenshots:
var/screenshots/seen_bugs/."""

import re

import pytest

from tests.browser.conftest import log_in_app, map_view, shot
from tests.browser.test_journey_dispatcher import named, open_as, ticket  # noqa: F401
from tests.builders import point_in, report_case
from urbanmgmt.hotline import services as hotline
from urbanmgmt.org.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs"


def pixel(page, col, row) -> tuple[float, float]:
    """Where lattice point (col, row) of the test city lies on the screen."""
    p = point_in(col, row)
    return tuple(page.evaluate("""([lat, lon]) => { const m = window.UrbanMap.map;
        const at = m.latLngToContainerPoint([lat, lon]); const box = m.getContainer().getBoundingClientRect();
        return [box.left + at.x, box.top + at.y]; }""", [p.y, p.x]))


def zoom(page) -> int:
    return page.evaluate("() => window.UrbanMap.map.getZoom()")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_map_answers_clicks_on_areas_and_measures_in_metres(browser, live_server, named, category, language):  # noqa: F811
    # In the north-east community: its count bubble lies away from the south-west one clicked.
    case = report_case(named.inspector, category, 4.5, 3.5, description="垃圾堆放")
    page = open_as(browser, live_server, "dispatcher", language, "/map/")
    # Zoomed out, the grid layer counts by community: a click on one zooms in.
    centre = point_in(3, 2)
    map_view(page, centre, 14)
    levels = page.evaluate("() => { const seen = new Set(); window.UrbanMap.gridLayer.eachLayer("
                           "(l) => seen.add(l.feature.properties.level)); return [...seen]; }")
    assert "grid" not in levels and levels, levels
    if language == "en":  # one case: no "1 cases"
        assert page.inner_text("#map-status") == "1 case in view (counted by area; zoom in)."
    # The grid layer's own tooltip answers the hover (an outline above it took it before).
    page.mouse.move(*pixel(page, 0.8, 0.6))
    page.locator(".leaflet-tooltip:not(.street-label):not(.community-label)").first.wait_for(timeout=5000)
    shot(page, JOURNEY, language, "01-map-far")
    with page.expect_response(lambda r: "/api/v1/map/grids/" in r.url and "zoom=16" in r.url):
        page.mouse.click(*pixel(page, 0.8, 0.6))
    assert zoom(page) == 16
    page.wait_for_timeout(300)

    # The scale bar: one line, in metres or kilometres.
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0].strip()), scale
    shot(page, JOURNEY, language, "02-map-zoomed-in")

    # The filter's categories: each heading once, with its family (部件 · 市容环境, 事件 · 市容环境).
    headings = page.locator("#map-filters select[name=category] optgroup").evaluate_all(
        "(groups) => groups.map((g) => g.label)")
    assert len(headings) == len(set(headings)) == 12, headings
    sanitation = [h for h in headings if ("市容环境" if language == "zh-hans" else "City appearance") in h]
    family = ("部件", "事件") if language == "zh-hans" else ("Component", "Event")
    assert len(sanitation) == 2 and all(any(f in h for f in family) for h in sanitation), sanitation

    # So in the case panel's picker, whole and narrowed to 市容环境.
    page.fill("#find-number", case.code)
    page.press("#find-number", "Enter")
    page.locator("#case-panel .actions button[data-action=file]").click()
    picker = page.locator("#case-panel form.step[data-action=file] select[name=category]")
    picker.wait_for()
    headings = picker.locator("optgroup").evaluate_all("(groups) => groups.map((g) => g.label)")
    assert len(headings) == len(set(headings)) == 12, headings
    page.fill("#case-panel input[name=category_search]", "市容环境")
    headings = picker.locator("optgroup").evaluate_all("(groups) => groups.map((g) => g.label)")
    assert len(headings) == 2 and {h.split(" · ")[0] for h in headings} == set(family), headings
    shot(page, JOURNEY, language, "03-category-picker")
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()


def test_a_manager_is_offered_no_ticket_link_form_as_the_api_refuses_it(browser, live_server, named, category):  # noqa: F811
    case = report_case(named.inspector, category, 0.5, 0.5, description="垃圾堆放")
    hotline.link(named.dispatcher, ticket("GD-2026-0201", "路边垃圾没人收"), case, version=case.version)
    for who, offered in (("manager", 0), ("dispatcher", 1)):
        page = open_as(browser, live_server, who, "zh-hans", f"/map/?case={case.code}")
        page.locator("#case-panel .tickets li").wait_for()
        assert page.locator("#case-panel .tickets form").count() == offered, who
        assert page.locator("#case-panel .tickets li button").count() == offered, who  # 取消关联
        if who == "manager":
            shot(page, JOURNEY, "zh-hans", "04-manager-panel")
        assert page.errors == []
        page.context.close()


def phone(browser, live_server, locale: str):
    start = point_in(0.5, 0.5)
    context = browser.new_context(
        locale=locale, timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True, geolocation={"longitude": start.x, "latitude": start.y, "accuracy": 8},
        permissions=["geolocation"])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    log_in_app(page, live_server, "inspector", "pw-inspector")
    return page


def overlaps(page, node: str, others: str) -> list[str]:
    """The visible elements matching `others` that `node`'s box overlaps."""
    return page.evaluate("""([node, others]) => { const a = document.querySelector(node).getBoundingClientRect();
        return [...document.querySelectorAll(others)].filter((o) => o.offsetParent !== null || o.closest('.sheet:not([hidden])'))
          .filter((o) => { const b = o.getBoundingClientRect();
            return b.width && b.height && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; })
          .map((o) => o.id || o.className || o.tagName); }""", [node, others])


def in_view(page, node: str) -> bool:
    return page.evaluate("""(node) => { const b = document.querySelector(node).getBoundingClientRect();
        return b.top >= 0 && b.left >= 0 && b.bottom <= window.innerHeight && b.right <= window.innerWidth; }""", node)


NEEDED = "header, .topbar button, .topbar a, #patrol-bar, .panel-head, h1, h2, h3, .tabbar, #task-results, label"


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_phones_top_bar_fits_and_toasts_hide_nothing(browser, live_server, empty_history_after, city, people,
                                                         locale):
    Profile.objects.filter(user=people.inspector).update(display_name="张巡查")
    page = phone(browser, live_server, locale)
    page.wait_for_selector("#patrol-toggle:visible")
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-bar:visible")
    page.wait_for_selector("#toast:visible")
    shot(page, JOURNEY, locale, "05-phone-patrol", full_page=False)
    # Each control of the top bar on one line, all within the screen's width; the notifications
    # are the bell alone (no words to wrap, its name for screen readers).
    lines = page.evaluate("""() => [...document.querySelectorAll('.topbar button:not([hidden]), .topbar a')].map((b) => {
        const tops = new Set();
        for (const text of b.childNodes) {
          if (text.nodeType !== Node.TEXT_NODE || !text.textContent.trim()) continue;
          const range = document.createRange(); range.selectNodeContents(text);
          [...range.getClientRects()].filter((r) => r.width > 1).forEach((r) => tops.add(Math.round(r.top)));
        }
        return [b.id, tops.size, b.getBoundingClientRect().right]; })""")
    assert all(n == (0 if id_ == "notices-link" else 1) and right <= 390 for id_, n, right in lines), lines
    assert page.get_attribute("#notices-link", "aria-label")
    assert page.evaluate("() => document.querySelector('.topbar').scrollWidth <= 390")
    # The toast ("patrol started") covers no title, bar or button, and is on the screen.
    assert in_view(page, "#toast") and overlaps(page, "#toast", NEEDED) == []
    # With a sheet open, a toast (an error, say) hides neither its title nor its buttons.
    page.evaluate("() => { document.getElementById('task-sheet').hidden = false; "
                  "window.collector.toast('Add at least 1 photo, then send it again', 'error'); }")
    page.wait_for_timeout(200)
    shot(page, JOURNEY, locale, "06-phone-sheet-toast", full_page=False)
    assert in_view(page, "#toast") and overlaps(page, "#toast", "#task-sheet .panel-head, #task-sheet label") == []
    assert page.errors == []
    page.context.close()
