"""Bugs a person met in the browser (session 9), each as it shows on the screen, in Chinese and
in English: the dispatch map's layer control covers neither its status line nor a panel; every
street in view is named, the names apart; the 12345 intake pages name categories in the page's
language; the managers' dashboard scrolled to its 12345 card shows the card's title below its
sticky controls. Screenshots: var/screenshots/seen_bugs_s9/."""

import pytest
from django.conf import settings
from django.utils import timezone

from tests.browser.conftest import shot, shots_dir, signed_in_page
from tests.browser.test_journey_dispatcher import named, open_as  # noqa: F401
from tests.builders import point_in, report_case
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.models import HotlineTicket, TicketState
from urbanmgmt.kpi.loader import load_quotas, load_schemes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s9"

BOXES = """(selectors) => selectors.map((s) => { const n = document.querySelector(s);
    if (!n || n.offsetParent === null) return null; const b = n.getBoundingClientRect();
    return { left: b.left, top: b.top, right: b.right, bottom: b.bottom }; })"""


def overlap(a, b) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def opened(browser, live_server, username: str, language: str, path: str, **options):
    """A page of `path` signed in as `username`, in `language`, once its requests are done."""
    page = signed_in_page(browser, live_server, username, language, path, **options)
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_layer_control_covers_neither_the_status_nor_a_panel(browser, live_server, named, category, language):  # noqa: F811
    case = report_case(named.inspector, category, 0.5, 0.5, description="垃圾堆放")
    # A laptop's width with the case panel open: the map between two panels is narrow.
    page = open_as(browser, live_server, "dispatcher", language, f"/map/?case={case.code}",
                   viewport={"width": 1024, "height": 768})
    page.locator("#case-panel .actions").wait_for()
    # The linked tickets load after the actions: their form is measured below.
    page.locator("#case-panel form.inline button").wait_for()
    page.wait_for_function("() => document.getElementById('map-status').textContent.trim() !== ''")
    control, status, panel, side, note, main = page.evaluate(BOXES, [
        ".leaflet-control-layers", "#map-status", "#case-panel", ".map-side", ".map-note", ".map-main"])
    shot(page, JOURNEY, language, "01-map-beside-the-panel")
    for other in (status, panel, side, note):
        assert other is None or not overlap(control, other), (control, other)
    assert main["left"] <= control["left"] and control["right"] <= main["right"]
    # The panel's "Link ticket" button on one line (it wrapped beside its input).
    assert set(lines_of(page, "#case-panel form.inline button")) == {1}
    # Its button speaks the page's language, and opens the list of layers.
    title = page.get_attribute(".leaflet-control-layers-toggle", "title")
    assert title == ("图层" if language == "zh-hans" else "Map layers")
    page.hover(".leaflet-control-layers")
    page.locator(".leaflet-control-layers-list").wait_for()
    assert page.locator(".leaflet-control-layers-overlays input").count() >= 4
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()


def labels(page) -> list[dict]:
    return page.evaluate("""() => { const map = document.querySelector('.folium-map').getBoundingClientRect();
        return [...document.querySelectorAll('.leaflet-tooltip.street-label')].map((n) => {
          const b = n.getBoundingClientRect();
          return { text: n.innerText, left: b.left, top: b.top, right: b.right, bottom: b.bottom,
                   inside: b.left >= map.left && b.right <= map.right && b.top >= map.top && b.bottom <= map.bottom }; }); }""")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_street_in_view_is_named_and_the_names_apart(browser, live_server, named, category, language):  # noqa: F811
    page = open_as(browser, live_server, "dispatcher", language, "/map/")
    # Close in on the two streets' common edge, south: neither street's centre is in view.
    edge = point_in(3, 0.6)
    page.evaluate("([lat, lon]) => window.UrbanMap.map.setView([lat, lon], 19, { animate: false })", [edge.y, edge.x])
    page.wait_for_timeout(500)
    shot(page, JOURNEY, language, "02-map-two-streets")
    seen = labels(page)
    assert sorted(label["text"] for label in seen) == ["新浦街道", "新海街道"], seen
    assert all(label["inside"] for label in seen), seen
    assert not overlap(seen[0], seen[1]), seen
    # Zoomed out, each street once, and no two names on each other.
    page.evaluate("() => window.UrbanMap.map.setZoom(16, { animate: false })")
    page.wait_for_timeout(500)
    seen = labels(page)
    assert len(seen) == len({label["text"] for label in seen}) == 2, seen
    assert not any(overlap(a, b) for i, a in enumerate(seen) for b in seen[i + 1:]), seen
    assert page.errors == []
    page.context.close()


def review_ticket(category: Category) -> HotlineTicket:
    """A ticket waiting for review, the classifier's suggestions stored (in Chinese) as it keeps them."""
    return HotlineTicket.objects.create(
        source="12345", external_id="GD-2026-0901", received_at=timezone.now(), request_type="complaint",
        title="路边垃圾没人收", text="路边垃圾没人收", point=point_in(0.5, 0.5), link_reason={},
        needs_review=True, state=TicketState.FORWARDED, category=category, category_confidence=0.4,
        suggestions=[{"kind": "category", "code": category.service_code, "name": category.name_zh,
                      "confidence": 0.4, "words": ["垃圾"]}])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_pages_name_categories_in_the_pages_language(browser, live_server, named, category, language):  # noqa: F811
    ticket = review_ticket(category)
    shown = category.name_en if language == "en" else category.name_zh
    other = category.name_zh if language == "en" else category.name_en
    page = opened(browser, live_server, "dispatcher", language, "/hotline/review/")
    row = page.locator(f"tr.review-row[data-ticket='{ticket.pk}']")
    row.wait_for()
    shot(page, JOURNEY, language, "03-intake-review")
    assert shown in row.locator("button.choice").inner_text()
    assert row.locator("input.category-search").input_value() == f"{category.service_code} {shown}"
    options = page.locator("#category-list option").evaluate_all("(os) => os.map((o) => o.value)")
    assert f"{category.service_code} {shown}" in options
    assert not any(other in value for value in options), options[:5]
    page.goto(f"{live_server.url}/hotline/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    shot(page, JOURNEY, language, "04-intake-ticket")
    text = page.inner_text("main")
    assert shown in text and other not in text
    options = page.locator("#category-list option").evaluate_all("(os) => os.map((o) => o.value)")
    assert f"{category.service_code} {shown}" in options
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboards_12345_card_shows_below_the_sticky_controls(browser, live_server, empty_history_after, city,
                                                                   people, language, width):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    page = opened(browser, live_server, "manager", language, "/kpi/", viewport={"width": width, "height": 800})
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    for go in ("() => { location.hash = ''; location.hash = 'hotline-card'; }",
               "() => { window.scrollTo(0, 0); document.getElementById('hotline-card').scrollIntoView(); }"):
        page.evaluate(go)
        page.wait_for_timeout(300)
        bar, title = page.evaluate(BOXES, ["#kpi-controls", "#hotline-title"])
        assert title["top"] >= bar["bottom"] and title["bottom"] <= 800, (go, bar, title)
    shot(page, JOURNEY, language, f"05-dashboard-12345-{width}", full_page=False)  # as scrolled
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()


def lines_of(page, selector: str) -> list[int]:
    """How many lines each visible element matching `selector` takes (its text's line boxes)."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].filter((n) => n.offsetParent !== null)
        .map((n) => { const tops = [];
          const walk = document.createTreeWalker(n, NodeFilter.SHOW_TEXT);
          for (let t = walk.nextNode(); t; t = walk.nextNode()) {
            const r = document.createRange(); r.selectNodeContents(t);
            [...r.getClientRects()].filter((b) => b.width > 1).forEach((b) => tops.push(b.top));
          }
          tops.sort((a, b) => a - b);
          return tops.filter((top, i) => !i || top - tops[i - 1] > 6).length; })""",
                         selector)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_list_keeps_numbers_and_times_whole(browser, live_server, named, language):  # noqa: F811
    for n in range(3):
        HotlineTicket.objects.create(source="12345", external_id=f"2026120400{326 + n}", received_at=timezone.now(),
                                     request_type="complaint", title="占压盲道", text="菜市场旁边盲道上停车",
                                     address="墟沟街道海棠新村", state=TicketState.UNPLACED, link_reason={})
    page = opened(browser, live_server, "dispatcher", language, "/hotline/unplaced/")
    shot(page, JOURNEY, language, "06-intake-unplaced")
    # The ticket's number and the time it came in, each on one line (they broke mid-number).
    assert set(lines_of(page, "#unplaced-list tr.queue-row td:nth-child(1) a, "
                              "#unplaced-list tr.queue-row td:nth-child(2)")) == {1}
    # The links above: no line of them starts with a separator (the last one wrapped, "· Import…").
    starts = page.evaluate("""() => { const form = document.querySelector('form.find'); const out = [];
        const walk = document.createTreeWalker(form, NodeFilter.SHOW_TEXT);
        const left = (n) => { const r = document.createRange(); r.selectNodeContents(n);
          const b = r.getClientRects()[0]; return b ? b.left : null; };
        const links = [...form.querySelectorAll('a')].map((a) => a.getBoundingClientRect());
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          if (n.textContent.trim() !== '·') continue;
          const x = left(n);
          if (!links.some((b) => b.right <= x + 1 && b.right > x - 40)) out.push(x);
        }
        return out; }""")
    assert starts == []
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboards_row_names_stay_on_one_line_on_a_phone(browser, live_server, empty_history_after, city, people,
                                                              category, language):
    from urbanmgmt.cases import services

    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=case.version)
    page = opened(browser, live_server, "manager", language, "/kpi/", viewport={"width": 390, "height": 844},
                  is_mobile=True, has_touch=True)
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    page.locator("#valid-rate-card tbody tr").first.wait_for()
    page.locator("#valid-rate-card").screenshot(path=str(shots_dir(JOURNEY) / f"{language}-07-valid-rate-390.png"))
    # "监督员上报" took three lines of two characters; the table scrolls sideways instead.
    assert set(lines_of(page, "#valid-rate-card tbody tr > :first-child")) == {1}
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()
