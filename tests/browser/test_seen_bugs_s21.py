"""What session 21 saw of the product in Chromium, in Chinese and in English: the English patrols page and
daily report wrote their dates "Nov. 1, 2026" where every other page writes 2026-11-01; the dispatch map's
area tooltips said "1 open cases" and a patrol's track "1 patrols, 1 gaps" in English (the home page's
count was right since session 19), and the case layer's count bubbles named a bare number ("海州路街道 · 1") in
both languages; the workspace cut a long case description with "…" and no way to read the rest but opening
the case; on a phone the 12345 review queue's category field cut its hint, and in English the chosen
category's name too ("E0601 Neighbourhood noise n…"); on a phone the 12345 pages' filters cut their search
field's hint ("ticket number, case code, text or a…"); the monthly report spelled out its months ("December 1
to December 3 … November 2026", "2026年11月") where the other pages write 2026-12-01 and 2026-11.
Screenshots: var/screenshots/seen_bugs_s21/."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import map_view, shot, signed_in_page
from tests.browser.test_hotline_intake import intake  # noqa: F401 - a fixture
from tests.builders import point_in, report_case
from tests.hotline.helpers import row
from tests.patrols.track import MON, TUE, at, patrol
from urbanmgmt.cases import services
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.kpi.collection import next_month
from urbanmgmt.patrols.models import GapReason

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s21"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TO = {"zh-hans": " 至 ", "en": " to "}
ENGLISH_DATE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")
CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def no_spelled_out_date(text: str) -> None:
    assert not ENGLISH_DATE.search(text) and not CHINESE_DATE.search(text), text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_patrols_page_and_the_daily_report_write_their_dates_as_iso(browser, live_server, empty_history_after,
                                                                        people, language):
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/patrols/")
    page.wait_for_selector("#patrol-inspectors")
    page.goto(f"{live_server.url}/kpi/patrols/?start=2026-11-01&end=2026-11-30")
    shot(page, JOURNEY, language, "01-patrols", full_page=False)
    assert page.inner_text("#patrols p.meta") == f"2026-11-01{TO[language]}2026-11-30"
    no_spelled_out_date(page.inner_text("main"))
    page.click("#patrol-inspectors tr[data-inspector='inspector'] a")
    page.wait_for_selector("#patrol-days")
    shot(page, JOURNEY, language, "02-patrols-one-inspector", full_page=False)
    assert page.inner_text("#patrols p.meta") == f"2026-11-01{TO[language]}2026-11-30"
    no_spelled_out_date(page.inner_text("main"))
    # The daily report, the other page that took Django's default date format.
    page.goto(f"{live_server.url}/kpi/report/daily/?date=2026-11-30")
    page.wait_for_selector("#compared")
    shot(page, JOURNEY, language, "03-daily-report", full_page=False)
    assert "2026-11-30" in page.inner_text("article.report p.meta")
    assert "2026-11-30" in page.inner_text("#compared") and "2026-11-29" in page.inner_text("#compared")
    no_spelled_out_date(page.inner_text("main"))
    assert page.errors == [] and page.foreign_requests == []


LONG = ("幸福路与和平街交叉口东北角人行道上堆放建筑垃圾约三立方米，已占用盲道和半幅人行道，"
        "行人只能绕行到机动车道，老人和推婴儿车的居民尤其不便，附近商户称已堆放一周无人清运，请尽快处理。")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_workspace_shows_a_cut_description_whole_on_hover_and_by_keyboard(browser, live_server,
                                                                              empty_history_after, people, category,
                                                                              language):
    case = report_case(people.inspector, category, description=LONG)
    case = services.file(people.dispatcher, case, version=case.version)
    services.dispatch(people.dispatcher, case, version=case.version, department=people.handler.profile.department)
    page = signed_in_page(browser, live_server, "handler", language, "/workspace/", viewport=DESKTOP)
    row_ = page.locator(f"tr[data-id='{case.pk}']").first
    row_.wait_for()
    cell = row_.locator("td.description")
    cut = "(c) => c.scrollWidth > c.clientWidth"
    assert cell.evaluate(cut)  # the desktop's table cuts it: the case for a tooltip
    assert cell.get_attribute("title") == LONG  # the whole text on hover
    cell.hover()
    shot(page, JOURNEY, language, "04-workspace-description-hover", full_page=False)
    # By keyboard: Tab to the case's row (or its code's button); the row then shows it whole.
    for _ in range(60):
        page.keyboard.press("Tab")
        if row_.evaluate("(r) => r.contains(document.activeElement)"):
            break
    assert row_.evaluate("(r) => r.contains(document.activeElement)")
    shot(page, JOURNEY, language, "05-workspace-description-focused", full_page=False)
    assert not cell.evaluate(cut)
    assert cell.inner_text() == LONG  # a screen reader reads the cell's text: all of it
    assert page.errors == [] and page.foreign_requests == []


HINT = {"zh-hans": "输入以查找类别", "en": "type to find a category"}
# How wide a field's placeholder is against the room the field gives it (canvas: the field's font).
PLACEHOLDER_FITS = """(f) => { const s = getComputedStyle(f); const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = s.font; const room = f.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return !f.placeholder || ctx.measureText(f.placeholder).width <= room; }"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_review_queues_category_hint_reads_whole_on_a_phone(browser, live_server, intake, language):  # noqa: F811
    import_rows([row("R1", text="门口这块有问题，影响大家生活。", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert ticket.needs_review
    boxes = {}
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/review/", viewport=viewport)
        box = page.locator(f"tr.review-row[data-ticket='{ticket.pk}'] td:last-child")
        field = box.locator("input.category-search")
        field.scroll_into_view_if_needed()
        shot(page, JOURNEY, language, f"06-review-category-{size}", full_page=False)
        assert field.evaluate(PLACEHOLDER_FITS)  # no hint cut inside the field
        hint = box.get_by_text(HINT[language], exact=True)
        assert hint.is_visible()
        assert hint.evaluate("(h) => h.scrollWidth <= h.clientWidth")  # whole, wrapped if need be
        assert field.get_attribute("aria-describedby") == hint.get_attribute("id")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        card = page.locator("section.card").bounding_box()
        found = hint.bounding_box()
        assert found["x"] + found["width"] <= card["x"] + card["width"]
        boxes[size] = box.bounding_box(), field.bounding_box(), page.locator("table.review").bounding_box()
        assert page.errors == [] and page.foreign_requests == []
        page.context.close()
    # On the desktop the field keeps its column beside the suggestions (a third of the table or so),
    # and fills it; on the phone it takes the card's width, its heading above it.
    cell, field, table = boxes["desktop"]
    assert cell["x"] > table["x"] + table["width"] / 2 and cell["width"] >= 0.25 * table["width"]
    assert field["width"] >= cell["width"] - 20
    cell, field, table = boxes["phone"]
    assert field["width"] >= table["width"] - 30


# Each area's tooltip, opened as a hover opens it: {the area's count: its text}.
GRID_TOOLTIPS = """() => { const seen = {}; window.UrbanMap.gridLayer.eachLayer((l) => {
  if (!l.feature.properties.n) return; l.openTooltip(); seen[l.feature.properties.n] = l.getTooltip().getElement().textContent;
  l.closeTooltip(); }); return seen; }"""
OPEN = {"zh-hans": {1: "在办案件 1 件", 2: "在办案件 2 件"}, "en": {1: "1 open case", 2: "2 open cases"}}
CASES = {"zh-hans": {1: "1 件", 2: "2 件"}, "en": {1: "1 case", 2: "2 cases"}}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dispatch_maps_areas_count_one_open_case_in_the_singular(browser, live_server, empty_history_after,
                                                                     people, category, language):
    report_case(people.inspector, category, 4.5, 3.5, description="垃圾堆放")  # the north-east community: one
    report_case(people.inspector, category, 0.5, 0.5, description="路边垃圾")  # the south-west: two
    report_case(people.inspector, category, 0.6, 0.6, description="路边垃圾又一堆")
    page = signed_in_page(browser, live_server, "dispatcher", language, "/map/")
    page.wait_for_function("() => window.UrbanMap && window.UrbanMap.gridLayer")
    centre = point_in(3, 2)
    map_view(page, centre, 14)
    tips = {int(n): text for n, text in page.evaluate(GRID_TOOLTIPS).items()}
    assert set(tips) == {1, 2}, tips
    for n, text in tips.items():
        assert text.endswith(" · " + OPEN[language][n]), text
    assert "1 open cases" not in tips[1]
    # The case layer counts by area there too: each bubble names its count with its noun.
    page.wait_for_selector(".count-marker", state="attached")
    titles = sorted(page.eval_on_selector_all(".count-marker", "(ms) => ms.map((m) => m.getAttribute('title'))"))
    assert [t.split(" · ")[1] for t in titles] == [CASES[language][1], CASES[language][2]], titles
    page.locator(".count-marker").first.hover()
    tip = page.locator(".leaflet-tooltip", has_text=" · ").last
    assert tip.inner_text().split(" · ")[1] in CASES[language].values()
    page.evaluate("() => window.UrbanMap.gridLayer.eachLayer((l) => { if (l.feature.properties.n === 1) l.openTooltip(); })")
    shot(page, JOURNEY, language, "07-map-area-one-case", full_page=False)
    assert page.errors == [] and page.foreign_requests == []


TRACK = {"zh-hans": {MON: ("巡查 1 次", "中断 1 处"), TUE: ("巡查 2 次", "中断 2 处")},
         "en": {MON: ("1 patrol,", "1 gap."), TUE: ("2 patrols,", "2 gaps.")}}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_patrols_track_counts_one_patrol_and_one_gap_in_the_singular(browser, live_server, empty_history_after,
                                                                       people, language):
    for day, runs in ((MON, (("08:00", "11:00"),)), (TUE, (("08:00", "10:00"), ("13:00", "16:00")))):
        d = day.isoformat()
        for start, end in runs:
            middle = f"{int(start[:2]) + 1:02d}:00"
            patrol(people.inspector, at(d, start), at(d, end),
                   points=[(at(d, start), 0.5, 0.5), (at(d, middle), 1.5, 0.5), (at(d, end), 1.5, 1.5)],
                   gaps=[(at(d, start), at(d, middle), GapReason.HIDDEN)])
    page = signed_in_page(browser, live_server, "dispatcher", language, "/map/")
    page.wait_for_selector("#track-inspector option[value=inspector]", state="attached")
    for day, words in TRACK[language].items():
        page.select_option("#track-inspector", "inspector")
        page.fill("#track-day", day.isoformat())
        page.click("#track-form button[type=submit]")
        page.wait_for_selector(f"#track-summary:has-text('{day.isoformat()}')")
        summary = page.inner_text("#track-summary")
        assert all(w in summary for w in words), summary
        assert "1 patrols" not in summary and "1 gaps" not in summary
    page.locator("#track-summary").scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "08-map-track-two-patrols", full_page=False)
    assert page.errors == [] and page.foreign_requests == []


NOISE = {"zh-hans": "E0601 社会生活噪声扰民", "en": "E0601 Neighbourhood noise nuisance"}
REFUSE = {"zh-hans": "E0102 暴露垃圾", "en": "E0102 Exposed refuse"}
PILING = {"zh-hans": "E0507 乱堆物堆料", "en": "E0507 Piling goods and materials in public space"}
# Whether a field shows its whole value: the text's width inside it against the room it has.
VALUE_FITS = "(f) => f.scrollWidth <= f.clientWidth"


def chosen_category_reads_whole(box, value: str) -> None:
    """The field shows `value` whole, or a line under it does; hovering it shows it whole too."""
    field = box.locator("input.category-search")
    assert field.input_value() == value and field.get_attribute("title") == value
    if field.evaluate(VALUE_FITS):
        return
    line = box.get_by_text(value, exact=True)
    assert line.is_visible() and line.evaluate("(l) => l.scrollWidth <= l.clientWidth")
    under, above = line.bounding_box(), field.bounding_box()
    assert under["y"] >= above["y"] + above["height"] - 1
    assert under["x"] + under["width"] <= above["x"] + above["width"] + 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_review_queues_chosen_category_reads_whole_on_a_phone(browser, live_server, intake,  # noqa: F811
                                                                   language):
    import_rows([row("R1", text="楼下广场舞音响声音很大，晚上十点还不停。", col=1.5, cell=1.5)], source="s",
                actor=intake.dispatcher)
    HotlineTicket.objects.update(needs_review=True, category=Category.objects.get(service_code="E0601"))
    ticket = HotlineTicket.objects.get()
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/review/", viewport=viewport)
        box = page.locator(f"tr.review-row[data-ticket='{ticket.pk}'] td:last-child")
        field = box.locator("input.category-search")
        field.scroll_into_view_if_needed()
        page.wait_for_timeout(100)  # the line under the field follows the field's size
        shot(page, JOURNEY, language, f"09-review-chosen-category-{size}", full_page=False)
        chosen_category_reads_whole(box, NOISE[language])
        # A category chosen from the list, longer still, reads whole as well.
        field.fill(PILING[language])
        page.wait_for_timeout(100)
        shot(page, JOURNEY, language, f"10-review-chosen-long-category-{size}", full_page=False)
        chosen_category_reads_whole(box, PILING[language])
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # A name the field shows whole gets no line under it.
        field.fill(REFUSE[language])
        page.wait_for_timeout(100)
        assert field.evaluate(VALUE_FITS) and not box.locator(".chosen-category").is_visible()
        if size == "desktop":  # the desktop keeps its layout: the field in its column beside the suggestions
            cell, table = box.bounding_box(), page.locator("table.review").bounding_box()
            assert cell["x"] > table["x"] + table["width"] / 2
        assert page.errors == [] and page.foreign_requests == []
        page.context.close()


SEARCH_HINT = {"zh-hans": "工单编号、案件编号、内容或地址", "en": "ticket number, case code, text or address"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_12345_pages_search_hints_read_whole_on_a_phone(browser, live_server, intake, language):  # noqa: F811
    for path in ("/hotline/tickets/", "/hotline/unplaced/", "/hotline/review/"):
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = signed_in_page(browser, live_server, "dispatcher", language, path, viewport=viewport)
            page.wait_for_selector("form.filters")
            name = path.strip("/").split("/")[-1]
            shot(page, JOURNEY, language, f"11-search-hints-{name}-{size}", full_page=False)
            # Both search fields (find by number, the filters' search) show their hints whole.
            fields = page.locator("form.filters input[type=search], form.find input[type=search]")
            assert fields.count() == 2
            for i in range(2):
                assert fields.nth(i).evaluate(PLACEHOLDER_FITS), (path, size, fields.nth(i).get_attribute("placeholder"))
            field = page.locator("form.filters input[name=q]")
            assert field.get_attribute("aria-describedby"), (path, size)
            hint = page.locator(f"[id='{field.get_attribute('aria-describedby')}']")
            assert hint.inner_text() == SEARCH_HINT[language]
            assert hint.is_visible() and hint.evaluate("(h) => h.scrollWidth <= h.clientWidth")
            card = page.locator("section.card").bounding_box()
            found = hint.bounding_box()
            assert found["x"] + found["width"] <= card["x"] + card["width"]
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            assert page.errors == [] and page.foreign_requests == []
            page.context.close()


MONTH_NAME = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
CHINESE_MONTH = re.compile(r"\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_monthly_report_writes_its_days_and_months_as_iso(browser, live_server, empty_history_after, people,
                                                              language):
    today = timezone.localdate()
    this, before = today.replace(day=1), (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page = signed_in_page(browser, live_server, "manager", language, f"/kpi/report/monthly/?month={before:%Y-%m}")
    page.wait_for_selector("#compared")
    shot(page, JOURNEY, language, "12-monthly-report-whole-month", full_page=False)
    last = next_month(before) - dt.timedelta(days=1)
    assert page.inner_text("article.report p.meta").endswith(f"{before.isoformat()}{TO[language]}{last.isoformat()}")
    compared = page.inner_text("#compared")
    assert compared.startswith(f"{before:%Y-%m}") and f"{(before - dt.timedelta(days=1)):%Y-%m}" in compared, compared
    for text in (page.inner_text("main"), compared):
        no_spelled_out_date(text)
        assert not MONTH_NAME.search(text) and not CHINESE_MONTH.search(text), text
    # This month, still under way: its days so far beside the whole month before and its same days.
    page.goto(f"{live_server.url}/kpi/report/monthly/?month={this:%Y-%m}")
    page.wait_for_selector("#compared")
    shot(page, JOURNEY, language, "13-monthly-report-this-month", full_page=False)
    compared = page.inner_text("#compared")
    if today < next_month(this) - dt.timedelta(days=1):
        so_far = {"zh-hans": f"{this.isoformat()} 至 {today.isoformat()}", "en": f"{this.isoformat()} to {today.isoformat()}"}
        assert compared.startswith(so_far[language]) and f"{before:%Y-%m}" in compared, compared
        same_days = before + (today - this)
        assert f"{before.isoformat()}" in compared and f"{same_days.isoformat()}" in compared, compared
    for text in (page.inner_text("main"), compared):
        no_spelled_out_date(text)
        assert not MONTH_NAME.search(text) and not CHINESE_MONTH.search(text), text
    assert page.errors == [] and page.foreign_requests == []
