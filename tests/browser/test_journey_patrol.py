"""An inspector's patrol in 城管通 (issue #18 point 3), in Chinese and in English.

Start a patrol, walk (the phone's position changes), lose the network, walk on: the points
wait in IndexedDB with the outbox's other items; back online they are sent, and the track is
on the server once, with exact numbers, even after the phone sends it all a second time.
The screen turned off (the page hidden) records a gap and no point, whatever the position
does meanwhile. The command centre reads the track through the API. Screenshots under
var/screenshots/patrol/."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from tests.browser.conftest import log_in, log_in_app, wait_for
from tests.builders import point_in
from urbanmgmt.org.models import Profile
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint

User = get_user_model()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "patrol"
HAN = re.compile(r"[\u4e00-\u9fff]")
WORDS = {"zh-CN": {"start": "开始巡查", "end": "结束巡查", "note": "锁屏", "gap": "锁屏或应用在后台"},
         "en-US": {"start": "Start patrol", "end": "End patrol", "note": "screen locks", "gap": "Screen locked"}}


@pytest.fixture
def inspector(empty_history_after, city, people, settings):
    # A point at most every 2 s or 5 m, so that a walk of a few seconds makes a track.
    settings.PATROL_POINT_EVERY_S, settings.PATROL_POINT_EVERY_M = 2, 5
    people.inspector.set_password("patrol-2026")
    people.inspector.save()
    Profile.objects.filter(user=people.inspector).update(display_name="张巡查")
    return people


def phone(browser, live_server, locale):
    start = point_in(0.5, 0.5)
    context = browser.new_context(
        locale=locale, timezone_id="UTC", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        geolocation={"longitude": start.x, "latitude": start.y, "accuracy": 8}, permissions=["geolocation"])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    log_in_app(page, live_server, "inspector", "patrol-2026")
    return context, page


def walk_to(page, col: float, row: float = 0.5) -> None:
    """The phone's position moves to the test layer's lattice point (col, row): 10 m a 0.1."""
    point = point_in(col, row)
    page.context.set_geolocation({"longitude": point.x, "latitude": point.y, "accuracy": 8})
    page.wait_for_timeout(700)  # a walk, not a jump: 10 m in 0.7 s is within PATROL_MAX_SPEED_MPS


def look(page, name, locale) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{locale}.png"))
    text = page.evaluate("document.body.innerText")
    for data in ("张巡查", "新海001社区", "新海街道"):  # a name and the places' names are not the UI's words
        text = text.replace(data, " ")
    assert "[object" not in text and "undefined" not in text and "NaN" not in text, name
    if locale == "zh-CN":
        assert [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in {"GPS", "km"}] == [], name
    else:
        assert HAN.findall(text) == [], name


def points_on_server() -> int:
    return PatrolPoint.objects.count()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_patrol_recorded_offline_reaches_the_server_once(browser, live_server, inspector, locale):
    words = WORDS[locale]
    context, page = phone(browser, live_server, locale)
    page.wait_for_selector("#patrol-toggle:visible")
    assert page.inner_text("#patrol-toggle") == words["start"]
    page.click("#patrol-toggle")
    page.wait_for_selector("#patrol-bar:visible")
    assert words["note"] in page.inner_text("#patrol-bar") and page.inner_text("#patrol-toggle") == words["end"]
    assert wait_for(lambda: Patrol.objects.filter(ended_at__isnull=True).count() == 1, page=page)

    for col in (0.6, 0.7, 0.8):  # 10 m a step: each step a point (the fix from before the start is not one)
        walk_to(page, col)
    assert wait_for(lambda: points_on_server() >= 3, page=page)
    look(page, "01-on-patrol", locale)

    # No network: the walk goes on, its points wait on the phone.
    context.set_offline(True)
    page.wait_for_selector("#offline-banner:visible")
    for col in (0.9, 1.0, 1.1, 1.2):
        walk_to(page, col)
    page.wait_for_function("window.collector.patrol.waiting() >= 4")
    waiting_ids = page.evaluate("""window.collector.outbox.all().then((items) => items
        .filter((it) => it.kind === 'patrol-point').map((it) => it))""")
    assert len(waiting_ids) >= 4
    sent_before_offline = points_on_server()
    look(page, "02-offline-points-waiting", locale)
    page.click("#tab-queue")
    page.wait_for_selector('#queue-list [data-kind="patrol-point"]')
    look(page, "03-outbox-with-track", locale)
    page.click("#tab-new")
    assert points_on_server() == sent_before_offline

    # Back online: the outbox sends them; then the phone sends them all again (a lost answer).
    context.set_offline(False)
    recorded = page.evaluate("window.collector.patrol.current().seq")
    assert wait_for(lambda: points_on_server() == recorded, page=page)
    page.evaluate("""(items) => Promise.all(items.map((it) => window.collector.outbox.put(it)))
        .then(() => window.collector.flush())""", waiting_ids)
    page.wait_for_function("window.collector.outbox.all().then((items) => items.length === 0)")
    assert points_on_server() == recorded

    # The screen goes off (the browser hides the page): the phone moves, no point is taken.
    page.evaluate("""Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'))""")
    walk_to(page, 1.5)
    page.wait_for_timeout(2300)
    page.evaluate("""Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'))""")
    assert wait_for(lambda: PatrolGap.objects.filter(reason="hidden").count() == 1, page=page)
    page.wait_for_selector("#patrol-gap:visible")
    assert words["gap"] in page.inner_text("#patrol-gap")
    assert points_on_server() == recorded == page.evaluate("window.collector.patrol.current().seq")
    walk_to(page, 1.6)  # back in front: the walk is tracked again
    assert wait_for(lambda: points_on_server() == recorded + 1, page=page)
    look(page, "04-after-the-screen-was-off", locale)

    page.click("#patrol-toggle")
    assert wait_for(lambda: Patrol.objects.filter(ended_at__isnull=False).count() == 1, page=page)
    page.wait_for_selector("#patrol-bar", state="hidden")
    look(page, "05-patrol-ended", locale)
    assert page.errors == []

    # What the command centre's map reads: the track once, in order, with its gap.
    patrol = Patrol.objects.get()
    dispatcher = APIClient()
    dispatcher.force_authenticate(inspector.dispatcher)
    track = dispatcher.get(f"/api/v1/patrols/{patrol.client_id}/").json()
    seqs = [p["seq"] for p in track["points"]]
    assert seqs == list(range(1, patrol.point_count + 1)) and patrol.point_count == PatrolPoint.objects.count()
    assert patrol.point_count == 3 + 4 + 1  # the steps; none while the page was hidden
    assert [g["reason"] for g in track["gaps"]] == ["hidden"]
    assert track["distance_m"] == pytest.approx(60 + 40, abs=2)  # the steps, and 1.2 → 1.6 across the gap
    context.close()
    on_the_dispatchers_map(browser, live_server, patrol, locale)


def on_the_dispatchers_map(browser, live_server, patrol, locale) -> None:
    """The issue's end: the track recorded offline is on the dispatcher's map once, its gap
    dashed, the inspector one dot in the layer."""
    day = timezone.localdate(patrol.started_at).isoformat()
    dispatcher = APIClient()
    dispatcher.force_authenticate(User.objects.get(username="dispatcher"))
    layer = dispatcher.get("/api/v1/map/patrols/").json()
    assert [f["properties"]["username"] for f in layer["features"]].count("inspector") == 1
    track = dispatcher.get("/api/v1/map/patrols/track/", {"inspector": "inspector", "day": day}).json()
    assert [p["points"] for p in track["patrols"]] == [patrol.point_count]

    desk = browser.new_context(locale=locale, timezone_id="UTC", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, live_server, "dispatcher", "pw-dispatcher", "/map/")
    page.wait_for_selector(".leaflet-marker-pane .inspector-dot")
    assert page.locator(".leaflet-marker-pane .inspector-dot").count() == 1
    page.select_option("#track-inspector", "inspector")
    page.fill("#track-day", day)
    page.click("#track-form button[type=submit]")
    page.wait_for_selector(f"#track-summary:has-text('{day}')")
    summary = page.inner_text("#track-summary")
    words = ("1 patrol,", "1 gap.") if locale == "en-US" else ("巡查 1 次", "中断 1 处")
    assert all(w in summary for w in words), summary
    assert page.locator("path[stroke-dasharray='6 8']").count() == 1
    page.wait_for_selector(".leaflet-zoom-anim", state="detached")  # the map done moving to the track
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"06-on-the-dispatchers-map-{locale}.png"))
    desk.close()
