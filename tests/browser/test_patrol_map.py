"""Patrols on the dispatch map and the managers' patrol page in Chromium, in Chinese and in
English: the inspectors' layer with its states and the outside-their-grids toggle, a day's
track with its dashed gap, the figures per inspector and per day. Screenshots go to
var/screenshots/patrol_map/."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from tests.browser.conftest import log_in, watched_page
from tests.builders import make_person
from tests.patrols.track import MON, at, patrol
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.org.models import Profile
from urbanmgmt.patrols.models import GapReason

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "patrol_map"
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
NAMES = {"inspector": "王伟", "idle": "赵敏", "offline": "钱勇", "wanderer": "孙丽"}


@pytest.fixture
def crew(empty_history_after, city, people):
    now = timezone.now()
    west, east = UnitGrid.objects.filter(street__code="320706006"), UnitGrid.objects.filter(street__code="320706010")
    idle, offline = make_person("idle", "inspector", grids=west), make_person("offline", "inspector", grids=west)
    wanderer = make_person("wanderer", "inspector", grids=east)
    for username, name in NAMES.items():
        Profile.objects.filter(user__username=username).update(display_name=name)
    ago = lambda minutes: now - dt.timedelta(minutes=minutes)  # noqa: E731
    patrol(people.inspector, ago(60), points=[(ago(12), 0.5, 0.5), (ago(6), 1.5, 0.5), (ago(1), 1.5, 1.5)])
    patrol(idle, ago(60), points=[(ago(40), 2.5, 3.5), (ago(20), 0.5, 2.5), (ago(2), 0.5, 2.55)])
    patrol(offline, ago(90), points=[(ago(60), 0.5, 0.5), (ago(30), 1.5, 0.5)])
    patrol(wanderer, ago(30), points=[(ago(8), 0.5, 0.5), (ago(1), 2.5, 0.5)])
    d = MON.isoformat()
    patrol(people.inspector, at(d, "08:00"), at(d, "11:00"),
           points=[(at(d, "08:00"), 0.5, 0.5), (at(d, "08:30"), 1.5, 0.5), (at(d, "09:00"), 1.5, 1.5),
                   (at(d, "10:00"), 2.5, 1.5), (at(d, "11:00"), 2.5, 2.5)],
           gaps=[(at(d, "09:00"), at(d, "10:00"), GapReason.HIDDEN)])
    return people


def check_words(text: str, language: str) -> None:
    assert "[object" not in text and "undefined" not in text and "NaN" not in text
    if language == "zh-hans":
        assert set(re.findall(r"[A-Za-z]{2,}", text)) - {"km", "Excel"} == set()
    else:
        rest = text
        for word in sorted({*NAMES.values(), *Area.objects.values_list("name", flat=True)}, key=len, reverse=True):
            rest = rest.replace(word, "")
        assert CHINESE.findall(rest) == ["在岗率"] * rest.count("在岗率"), CHINESE.findall(rest)  # the term defined


def shot(page, name: str, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_patrols_on_the_map_and_the_managers_page(browser, live_server, crew, language):
    page = watched_page(browser, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, "dispatcher", "pw-dispatcher", "/map/")
    page.wait_for_selector('#patrol-legend li[data-state="idle"] .count:text("1")', timeout=30000)
    assert page.locator(".leaflet-marker-pane .inspector-dot").count() == 4
    assert page.locator(".leaflet-marker-pane .inspector-dot.outside").count() == 1
    counts = dict(zip(page.eval_on_selector_all("#patrol-legend li", "l => l.map((li) => li.dataset.state)"),
                      page.locator("#patrol-legend li .count").all_inner_texts(), strict=True))
    assert counts == {"on_patrol": "2", "idle": "1", "offline": "1", "off_duty": "0", "outside": "1"}
    page.locator(".leaflet-marker-pane .inspector-dot.outside").hover()
    tip = page.inner_text(".leaflet-tooltip-pane")
    assert "孙丽" in tip and ("Outside their grids" if language == "en" else "不在责任网格内") in tip
    check_words(page.inner_text("#patrol-panel"), language)
    page.locator("#patrol-legend").scroll_into_view_if_needed()
    shot(page, "01-inspectors", language)
    page.check("#patrol-outside")
    assert page.locator(".leaflet-marker-pane .inspector-dot").count() == 1
    page.uncheck("#patrol-outside")

    # Monday's track: two runs, a dashed gap between them, start and end.
    page.select_option("#track-inspector", "inspector")
    page.fill("#track-day", MON.isoformat())
    page.click("#track-form button[type=submit]")
    page.wait_for_selector("#track-summary:has-text('2026-11-16')")
    summary = page.inner_text("#track-summary")
    words = ("1 patrol,", "1 gap.") if language == "en" else ("巡查 1 次", "中断 1 处")
    assert all(w in summary for w in words), summary
    assert page.locator("path[stroke-dasharray='6 8']").count() == 1
    assert page.locator(".leaflet-marker-pane .inspector-dot.start").count() == 1
    page.locator("path[stroke-dasharray='6 8']").hover()
    gap = page.inner_text(".leaflet-tooltip-pane")
    assert ("Screen locked" if language == "en" else "锁屏") in gap and "09:00" in gap, gap
    check_words(page.inner_text("#patrol-panel"), language)
    shot(page, "02-track", language)

    # The managers' page: the inspectors over November, then 王伟's days.
    page.goto(f"{live_server.url}/kpi/patrols/?start=2026-11-01&end=2026-11-30")
    assert page.locator("#patrol-inspectors tbody tr").count() == 4
    check_words(page.inner_text("main"), language)
    shot(page, "03-figures", language)
    page.click("#patrol-inspectors a:has-text('王伟')")
    page.wait_for_selector("#patrol-days")
    monday = page.locator("#patrol-days tbody tr").nth(15).inner_text()
    assert "2026-11-16" in monday and "3.00" in monday
    check_words(page.inner_text("main"), language)
    shot(page, "04-days", language)
    page.click("#patrol-days a[href*='day=2026-11-16']")
    page.wait_for_selector("#track-summary:has-text('2026-11-16')")
    assert errors == [] and page.foreign_requests == []
    page.context.close()
