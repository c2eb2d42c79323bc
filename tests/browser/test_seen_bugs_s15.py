"""Forms driven by a deferred script, pressed before the script has run (session 15), in
Chinese and in English. The 12345 ticket page had it (session 14): its "Send the answer"
went as a plain GET, the words in the address, the page reloaded, nothing saved and nothing
said. Two more pages had forms with no method of their own: the placement queue's "Set
aside" and "Forward (转办)", and the video queue's "Reject the selected". Their buttons now
come disabled and their scripts enable them once bound; each test holds the script back, as
a slow line would, finds the button disabled, lets the script through and is answered in
place. And the case panel's steps jumped down as the department suggested by the ownership
register arrived above them. Screenshots: var/screenshots/seen_bugs_s15/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.hotline.helpers import row
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.hotline.gazetteer import invalidate_gazetteer, places_from_areas
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, TicketState
from vision.models import CandidateEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s15"


def held_back(page, live_server, script: str, path: str) -> list:
    """Open `path` with `script` held back; returns the held request (continue it to let the
    script through)."""
    held = []
    page.route(f"**/{script}", lambda route: held.append(route))
    page.goto(f"{live_server.url}{path}", wait_until="commit")
    return held


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_placement_queues_set_aside_waits_for_its_script(browser, live_server, empty_history_after, people,
                                                              language):
    places_from_areas("test layer")
    try:
        import_rows([row("S15", address="家附近的路口")], source="s", actor=people.dispatcher)
        ticket = HotlineTicket.objects.get(external_id="S15")
        assert ticket.state == TicketState.UNPLACED
        page = signed_in_page(browser, live_server, "dispatcher", language, "/")
        page.wait_for_load_state()
        held = held_back(page, live_server, "hotline/intake*.js", "/hotline/unplaced/")
        aside = page.locator("#set-aside-form button[type=submit]")
        aside.wait_for()
        assert aside.is_disabled() and page.locator("#forward-form button[type=submit]").is_disabled()
        page.wait_for_timeout(300)
        assert held, "the page asked for its script"
        held[0].continue_()
        page.fill("#set-aside-form input[name=reason]", "地址不详，无法定位")
        aside.click()  # enabled once the script has bound it: sent by the script, not as a form
        page.wait_for_selector("#place-empty", timeout=10000)  # the next ticket: none left
        shot(page, JOURNEY, language, "01-set-aside")
        ticket.refresh_from_db()
        assert ticket.state == TicketState.SET_ASIDE and "reason=" not in page.url
        assert page.errors == [] and page.foreign_requests == []
    finally:
        invalidate_gazetteer()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_video_queues_bulk_reject_waits_for_its_script(browser, live_server, zone, worker_key,  # noqa: F811
                                                           people, empty_history_after, language):
    assert post(worker_key, candidate(zone, track_id=7, key="a")).status_code == 201
    found = CandidateEvent.objects.get(track_id=7)
    page = signed_in_page(browser, live_server, "analyst", language, "/")
    page.wait_for_load_state()
    held = held_back(page, live_server, "vision/review*.js", "/vision/")
    reject = page.locator("#bulk-reject")
    reject.wait_for()
    assert reject.is_disabled()
    page.wait_for_timeout(300)
    assert held, "the page asked for its script"
    held[0].continue_()
    page.select_option("#bulk-reason", index=1)
    reject.click()  # nothing selected: refused where the analyst looks, the address unchanged
    result = page.locator("#bulk-result.error")
    result.wait_for()
    assert {"zh-hans": "请先选择", "en": "Select the candidates"}[language] in result.inner_text()
    shot(page, JOURNEY, language, "02-bulk-reject")
    assert "bulk_reason=" not in page.url
    found.refresh_from_db()
    assert found.status == CandidateEvent.Status.PENDING and page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_cases_steps_stay_put_while_its_suggested_department_loads(browser, live_server, empty_history_after, city,
                                                                      people, category, language):
    """Seen in a CI rehearsal under load (the dispatcher's journey): the department suggested by
    the ownership register arrived after the panel was drawn, above the steps, and pushed them
    down as the dispatcher clicked "Reject": the click landed beside the button and nothing
    opened. The suggestion's place is now kept while it loads."""
    from tests.builders import report_case

    case = report_case(people.inspector, category)
    page = signed_in_page(browser, live_server, "dispatcher", language, "/map/")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    held = []
    page.route("**/suggested-department/", lambda route: held.append(route))  # a slow answer
    page.fill("#find-number", case.code)
    page.press("#find-number", "Enter")
    page.wait_for_function("(code) => document.querySelector('#panel-title')?.innerText === code", arg=case.code)
    reject = page.locator('#case-panel .actions button[data-action="reject"]')
    before = reject.bounding_box()["y"]
    page.wait_for_timeout(300)
    assert held, "the panel asked for the suggestion"
    held[0].continue_()
    page.wait_for_selector("#case-panel .suggested [data-field=suggested]")
    shot(page, JOURNEY, language, "03-suggested-loaded")
    assert abs(reject.bounding_box()["y"] - before) < 2, (before, reject.bounding_box()["y"])
    reject.click()
    page.locator('#case-panel form.step[data-action="reject"] select[name=reason_code]').wait_for()
    assert page.errors == [] and page.foreign_requests == []
