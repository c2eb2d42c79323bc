"""What a second walk in Chromium found (session 17), in Chinese and in English: the
supervision form's address, typed or bookmarked, answered with the browser's bare error page
(405); 城管通's top bar took two rows on a 390 px phone in English, and its "Confirm and
submit" of a check task broke over two lines inside its button; a distance's number and its
unit (200 | 米) were split between two lines; the dispatch map's "Show track" and "Clear
track" broke their words at 1366×768.
Screenshots: var/screenshots/seen_bugs_s17b/."""

import pytest
from django.utils import timezone

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_collector_app import inspector  # noqa: F401 - a fixture
from tests.browser.test_journey_inspector import phone, sent_for_check
from tests.browser.test_seen_bugs_s16 import supervised_case
from tests.builders import point_in
from tests.photos import jpeg, now_local
from urbanmgmt.org.models import Profile
from urbanmgmt.supervision.models import Notice, Notification

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s17b"
PHONE = {"width": 390, "height": 844}
LOCALE = {"zh-hans": "zh-CN", "en": "en-US"}
ONE_ROW = """() => {
    const bar = document.querySelector('.topbar').getBoundingClientRect();
    const who = document.querySelector('.topbar .who').getBoundingClientRect();
    const actions = document.querySelector('.topbar-actions').getBoundingClientRect();
    const name = document.querySelector('#me-name');
    const words = [...document.querySelectorAll('.topbar-actions > :not([hidden])')]
        .map((item) => item.getBoundingClientRect().height);
    return {height: bar.height, sameRow: actions.top < who.bottom && who.top < actions.bottom,
            right: actions.right, cut: name.scrollWidth > name.clientWidth, words};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_apps_top_bar_keeps_one_row_on_a_phone(browser, live_server, inspector, people, category, language):  # noqa: F811
    Profile.objects.filter(user=people.inspector).update(display_name="新海街道城管执法中队第一巡查组张巡查")
    notice = supervised_case(people, category)
    Notification.objects.create(user=people.inspector, event=notice.events.first(), created_at=timezone.now())
    context, page = phone(browser, live_server, LOCALE[language])
    page.wait_for_selector("#patrol-toggle:visible")
    page.wait_for_selector("#notices-count:not(.is-zero)")
    badge, bell = page.locator("#notices-count").bounding_box(), page.locator("#notices-link").bounding_box()
    assert bell["x"] < badge["x"] < bell["x"] + bell["width"] < badge["x"] + badge["width"] <= PHONE["width"]
    assert badge["y"] >= 0, badge  # on the bell's corner, whole
    page.wait_for_function("document.querySelector('#me-name').textContent.includes('张巡查')")
    for state in ("idle", "on-patrol"):
        shot(page, JOURNEY, language, f"02-app-top-bar-{state}", full_page=False)
        bar = page.evaluate(ONE_ROW)
        assert bar["sameRow"] and bar["height"] < 72, bar
        assert bar["right"] <= PHONE["width"] and bar["cut"], bar  # the long name ends in …
        assert all(height < 48 for height in bar["words"]), bar  # no control wraps its words
        if state == "idle":
            page.click("#patrol-toggle")
            page.wait_for_selector("#patrol-bar:visible")
    label = {"zh-hans": "提醒", "en": "Notifications"}[language]
    assert page.get_attribute("#notices-link", "aria-label") == label
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-bar", state="hidden")
    assert page.errors == []


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
    assert page.evaluate("document.getElementById('raise').open")  # the address names it: shown open
    page.select_option("#raise select[name=subject]", "department")
    page.select_option("#raise select[name=department]", index=1)
    page.fill("#raise textarea[name=request]", "请今日答复")
    page.click("#raise-button")
    page.wait_for_url(f"{live_server.url}/supervision/*/")
    assert Notice.objects.count() == 2
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_check_tasks_buttons_distances_and_photo_read_as_they_should(browser, live_server, inspector,  # noqa: F811
                                                                        people, category, tmp_path, language):
    sent_for_check(people, category)
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(jpeg(1600, 1200, gps=(point_in(0.5, 0.5).x, point_in(0.5, 0.5).y), taken=now_local()))
    context, page = phone(browser, live_server, LOCALE[language])
    page.click("#tab-tasks")
    page.click("#task-list [data-task-id]")
    assert page.locator("#task-thumb-title").is_hidden()
    page.set_input_files("#task-photo", str(camera))
    # The photo taken now has its own heading, below the department's reply: never read as theirs.
    title = page.locator("#task-thumb-title")
    assert title.inner_text() == {"zh-hans": "现在（我的照片）", "en": "Now (your photo)"}[language]
    reply = page.locator("#task-case p", has_text={"zh-hans": "部门答复", "en": "Department reply"}[language])
    assert reply.bounding_box()["y"] < title.bounding_box()["y"] < page.locator("#task-thumb .thumb").bounding_box()["y"]
    title.scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "03-task-photo-heading", full_page=False)
    page.click('#task-results [data-result="fixed"]')
    page.wait_for_selector("#task-confirm:visible")
    page.locator("#task-confirm").scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "03-task-confirm", full_page=False)
    buttons = page.eval_on_selector_all(
        "#task-sheet .row .btn, #panel-new .row .btn",
        """nodes => nodes.filter((n) => n.offsetParent).map((n) => {
            const words = document.createRange();
            words.selectNodeContents(n);
            const lines = words.getBoundingClientRect().height / parseFloat(getComputedStyle(n).fontSize);
            return [n.textContent.trim(), Math.round(lines * 10) / 10, n.getBoundingClientRect().right];
        })""")
    assert len(buttons) >= 4, buttons
    assert all(lines < 2 and right <= PHONE["width"] for _, lines, right in buttons), buttons  # one line each
    assert page.errors == []
    # The distance and the accuracy: a number and its unit on one line.
    split = page.evaluate("""() => {
        const found = [];
        for (const where of document.querySelectorAll('#task-case, #task-gps')) {
            const walk = document.createTreeWalker(where, NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                for (const match of node.data.matchAll(/[\\d.]+[ \\u00a0](km|m|公里|米)(?![A-Za-z])/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index);
                    range.setEnd(node, match.index + match[0].length);
                    found.push([match[0], range.getClientRects().length]);
                }
            }
        }
        return found;
    }""")
    assert len(split) >= 2 and all(rects == 1 for _, rects in split), split


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dispatch_maps_buttons_keep_their_words_on_a_line(browser, live_server, empty_history_after, city, people,
                                                              language):
    page = signed_in_page(browser, live_server, "dispatcher", language, "/map/", viewport={"width": 1366, "height": 768})
    page.wait_for_selector("#track-clear")
    page.locator("#track-clear").scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "04-dispatch-map-track", full_page=False)
    buttons = page.eval_on_selector_all(".map-side .find-row button", """nodes => nodes.map((n) => {
        const words = document.createRange();
        words.selectNodeContents(n);
        const side = n.closest('.map-side').getBoundingClientRect();
        return [n.textContent.trim(), words.getBoundingClientRect().height / parseFloat(getComputedStyle(n).fontSize),
                n.getBoundingClientRect().right <= side.right];
    })""")
    assert len(buttons) == 3, buttons  # Find; Show track, Clear track
    assert all(lines < 2 and inside for _, lines, inside in buttons), buttons
    assert page.errors == []
