"""What a dispatcher met on the dispatch map (session 14), as it shows on the screen, in
Chinese and in English:

- in a short, narrow window (660 × 360) the bulk dispatcher's map kept four columns and the
  map and its filters shrank to a strip 82 px high (the bulk layout's columns outranked the
  narrow layout's one column);
- a case opened by its number (or a link) lay under the case panel on a 1024 px screen: the
  map was not told that the panel had taken a column, so it centred the case on its old width;
- in a narrow window, the panel opened below the map, out of sight.

Screenshots: var/screenshots/seen_bugs_s14/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.builders import report_case

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s14"
WORDS = {"zh-hans": {"title": "派遣地图", "find": "按编号查找"}, "en": {"title": "Dispatch map", "find": "Find by number"}}


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def open_case(browser, live_server, language: str, case, viewport: dict):
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={case.pk}", viewport=viewport)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.wait_for_selector(f'#case-panel h2:text-is("{case.code}")', timeout=20000)
    page.wait_for_selector(f'.case-marker[title="{case.code}"]', timeout=20000)
    return page


def wait_within(page, case, low: float, high: float) -> None:
    """Until the case's marker shows with its centre between `low` and `high` of the map's
    width (the map's live reload may draw the marker afresh meanwhile); fails after 10 s."""
    page.wait_for_function("""([code, low, high]) => {
        const marker = document.querySelector(`.case-marker[title="${code}"]`);
        if (!marker || !marker.isConnected) return false;
        const m = marker.getBoundingClientRect(), map = document.querySelector('.map-main').getBoundingClientRect();
        const x = m.x + m.width / 2;
        return m.width > 0 && x >= map.x + low * map.width && x <= map.x + high * map.width;
    }""", arg=[case.code, low, high], timeout=10000)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_narrow_short_window_shows_the_map_whole_then_the_opened_case(browser, live_server, empty_history_after,
                                                                       city, people, category, language):
    case = report_case(people.inspector, category, 2.5, 1.5)
    page = signed_in_page(browser, live_server, "dispatcher", language, "/map/",
                          viewport={"width": 660, "height": 360})
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    assert page.locator("#bulk-tools, .bulk-tools").count() == 1  # the bulk dispatcher's layout
    shot(page, JOURNEY, language, "01-narrow-map", full_page=False)
    shown = box(page, ".map-main")
    assert shown["width"] == 660 and shown["height"] >= 200, shown  # the map whole, across the window
    assert box(page, ".map-side")["y"] >= shown["y"] + shown["height"] - 1  # the filters below it
    assert page.get_by_role("heading", name=WORDS[language]["title"]).count() == 1
    assert page.evaluate("window.UrbanMap.map.getSize().x") == 660

    page.close()
    page = open_case(browser, live_server, language, case, {"width": 660, "height": 360})
    shot(page, JOURNEY, language, "02-narrow-case-opened", full_page=False)
    panel = box(page, "#case-panel")
    header = box(page, "header")
    assert header["height"] - 2 <= panel["y"] <= 180, panel  # scrolled into view, its number on top
    page.locator("#case-panel").evaluate("node => node.closest('.map-app').scrollTo(0, 0)")
    wait_within(page, case, 0.47, 0.53)  # in the middle, not panned aside (it was moved 330 px)
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_case_opened_by_its_number_is_in_the_middle_of_the_map_left_beside_the_panel(
        browser, live_server, empty_history_after, city, people, category, language):
    case = report_case(people.inspector, category, 3.5, 2.5)
    page = open_case(browser, live_server, language, case, {"width": 1024, "height": 700})
    shot(page, JOURNEY, language, "03-case-opened-1024", full_page=False)
    shown, panel = box(page, ".map-main"), box(page, "#case-panel")
    assert shown["x"] + shown["width"] <= panel["x"] + 1  # the panel is a column beside the map
    assert page.evaluate("window.UrbanMap.map.getSize().x") == round(shown["width"])
    wait_within(page, case, 0.3, 0.7)  # in the middle of the map left beside the panel, not under it

    page.click("#case-panel .close")
    page.wait_for_selector("#case-panel", state="hidden")
    shown = box(page, ".map-main")
    assert page.evaluate("window.UrbanMap.map.getSize().x") == round(shown["width"]) == 1024 - round(shown["x"])
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_tickets_buttons_wait_for_its_script_so_nothing_is_sent_as_a_plain_form(browser, live_server,
                                                                               empty_history_after, city, people,
                                                                               language):
    """Seen in a CI rehearsal under load: the clerk's "Send the answer" pressed before the
    page's script had run submitted the form as a plain GET (the answer in the address, the
    page reloaded, nothing saved, no error). The buttons now wait, disabled, for the script."""
    from tests.hotline.helpers import row
    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.models import HotlineTicket

    import_rows([row("S14", kind="咨询", text="大件垃圾怎么预约清运？")], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="S14")
    page = signed_in_page(browser, live_server, "dispatcher", language, "/")
    page.wait_for_load_state()
    held = []
    page.route("**/hotline/intake*.js", lambda route: held.append(route))  # the script held back, as on a slow line
    page.goto(f"{live_server.url}/hotline/tickets/{ticket.pk}/", wait_until="commit")
    send = page.locator("#answer-form button[type=submit]")
    send.wait_for()
    assert send.is_disabled() and page.locator("#callback-form button, .kb-send").evaluate_all(
        "buttons => buttons.every(b => b.disabled)")
    page.wait_for_timeout(300)
    assert held, "the page asked for its script"
    held[0].continue_()
    send.click()  # enabled once the script has bound it: an empty answer is refused where the user looks
    page.wait_for_selector("#answer-form .error:not([hidden])")
    assert "answer=" not in page.url and HotlineTicket.objects.get(pk=ticket.pk).replied_at is None
    shot(page, JOURNEY, language, "04-ticket-answer-refused", full_page=False)
    assert page.errors == [] and page.foreign_requests == []
