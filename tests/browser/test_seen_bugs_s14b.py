"""What people met walking the product in the browser (session 14, second walk), as it shows
on the screen, in Chinese and in English:

- 城管通's "my reports" named the category, the state and the reason for a rejection in the
  phone's language, not in the app's: its API calls go without the cookie that carries the
  language chosen, so a Chinese app on a phone set to English read "Closed", "Rejected";
- in a window 660 px wide the 12345 "categories to review" table ran past the window's right
  edge, the category field cut off at it (the field kept its 16rem in a table that would not
  shrink; the Chinese words are short enough to fit);
- in the same window the video review queue's cards kept two columns, the form column (the
  category, the confirm and reject buttons) pushed out past the card and the window;
- the managers' "patrols by inspector" page, 660 px wide, in English: its table ran 120 px past
  the window and the whole page scrolled sideways;
- a supervision notice's department (the list, its select, the notice) was named in Chinese on
  an English page, where the workspace names it in English;
- the 12345 pages' search fields cut their own hint short ("ticket number or case c",
  "工单编号、案件编号、内容或" …), in both languages, on a wide screen too;
- the dashboard's on-time signing rate opened the dispatch map "also filtered by:
  signing_counted: true", the filter's name in the address, in both languages.

Screenshots: var/screenshots/seen_bugs_s14b/."""

import re

import pytest
from django.conf import settings
from django.utils import translation

from tests.browser.conftest import log_in_app, shot, signed_in_page, watched_page
from tests.browser.test_hotline_intake import intake  # noqa: F401 - the intake pages' fixture
from tests.builders import report_case
from tests.hotline.helpers import row
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.cases import services
from urbanmgmt.cases.models import RejectReason
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.org.models import Department
from urbanmgmt.supervision import services as supervision
from urbanmgmt.supervision.models import Subject
from urbanmgmt.supervision.services import Target

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s14b"
NARROW = {"width": 660, "height": 360}
HAN = re.compile(r"[\u4e00-\u9fff]")
OTHER = {"zh-hans": "en-US", "en": "zh-CN"}  # a phone set to the other language


def right_edge(page, selector: str) -> float:
    found = page.locator(selector).first.bounding_box()
    return found["x"] + found["width"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_my_reports_in_the_app_are_in_the_apps_language_not_the_phones(browser, live_server, empty_history_after,
                                                                      people, category, language):
    kept = report_case(people.inspector, category, 2.5, 1.5)
    rejected = report_case(people.inspector, category, 2.6, 1.6)
    rejected = services.reject(people.dispatcher, rejected, version=rejected.version,
                               reason_code=RejectReason.UNCLEAR, reason="照片看不清")
    page = watched_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                        locale=OTHER[language])
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in_app(page, live_server, "inspector", "pw-inspector")
    page.click("#tab-mine")
    page.wait_for_selector(f"#my-reports li[data-id='{rejected.pk}'] p.reject")
    shot(page, JOURNEY, language, "01-app-my-reports", full_page=False)
    with translation.override(language):
        words = {"kept": str(kept.get_state_display()), "rejected": str(rejected.get_state_display()),
                 "reason": str(RejectReason.UNCLEAR.label)}
    mine = page.locator(f"#my-reports li[data-id='{kept.pk}']")
    assert mine.locator(".status").inner_text() == words["kept"]
    title = mine.locator(".title").inner_text()
    assert title.startswith(kept.code) and bool(HAN.search(title)) == (language == "zh-hans"), title
    other = page.locator(f"#my-reports li[data-id='{rejected.pk}']")
    assert other.locator(".status").inner_text() == words["rejected"]
    assert words["reason"] in other.locator("p.reject").inner_text()
    assert page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_review_table_fits_a_narrow_window(browser, live_server, intake, language):  # noqa: F811
    import_rows([row("R1", text="门口这块有问题，影响大家生活。", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert ticket.needs_review
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/review/", viewport=NARROW)
    field = page.locator(f"tr.review-row[data-ticket='{ticket.pk}'] input.category-search")
    field.scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "02-review-narrow", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    card = right_edge(page, "section.card")
    assert right_edge(page, "table.review") <= card
    assert right_edge(page, f"tr.review-row[data-ticket='{ticket.pk}'] input.category-search") <= card
    assert field.bounding_box()["width"] >= 140  # still wide enough to type in
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_video_review_cards_fit_a_narrow_window(browser, live_server, zone, worker_key, people,  # noqa: F811
                                                    empty_history_after, language):
    assert post(worker_key, candidate(zone, track_id=7, key="a")).status_code == 201
    page = signed_in_page(browser, live_server, "analyst", language, "/vision/", viewport=NARROW)
    card = page.locator("article.cand").first
    card.wait_for()
    card.locator("select[name=category]").scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "03-video-review-narrow", full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    pictures, form = (page.locator(f"article.cand > div:nth-child({n})").bounding_box() for n in (1, 2))
    assert form["y"] >= pictures["y"] + pictures["height"] - 1  # one column: the form below the pictures
    edge = right_edge(page, "article.cand")
    for part in ("select[name=category]", "button[name=confirm]", "button[name=reject]", "label.pick"):
        assert right_edge(page, f"article.cand {part}") <= edge, part
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_signing_rates_map_link_names_its_filter_in_words(browser, live_server, people, language):
    link = "/map/?dispatched_after=2026-12-01T00:00:00%2B08:00&signing_counted=true"
    page = signed_in_page(browser, live_server, "dispatcher", language, link)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    shown = page.locator("#fixed-filters")
    shown.wait_for()
    shot(page, JOURNEY, language, "04-map-signing-rate-link", full_page=False)
    words = {"zh-hans": "计入按时签收率", "en": "Counted in the on-time signing rate"}[language]
    assert words in shown.inner_text()
    assert "signing_counted" not in shown.inner_text()
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_patrols_page_stays_in_a_narrow_window(browser, live_server, people, language):
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/patrols/", viewport=NARROW)
    page.wait_for_selector("#patrol-inspectors")
    shot(page, JOURNEY, language, "05-patrols-narrow")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    table = page.locator("#patrol-inspectors")
    assert right_edge(page, "#patrol-inspectors") <= right_edge(page, "article.report")
    if table.evaluate("t => t.scrollWidth > t.clientWidth"):  # wider than the page: it scrolls by itself
        table.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
        assert table.evaluate("t => t.scrollLeft") > 0
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervision_notices_department_is_named_in_the_pages_language(browser, live_server, empty_history_after,
                                                                        people, language):
    department = Department.objects.exclude(name_en="").order_by("code").first()
    notice = supervision.raise_notice(people.manager, Target(Subject.DEPARTMENT, department_id=department.pk),
                                      level="remind", request="请本周内清理积存案件")
    name = {"zh-hans": department.name, "en": department.name_en}[language]
    page = signed_in_page(browser, live_server, "manager", language, "/supervision/")
    row = page.locator("table tbody tr", has_text=f"{notice.pk}").first
    row.wait_for()
    page.locator("details summary").first.click()
    shot(page, JOURNEY, language, "06-supervision-list")
    listed = row.inner_text()
    assert name in listed
    assert name in page.locator("select[name=department]").inner_text()
    page.goto(f"{live_server.url}/supervision/{notice.pk}/")
    shot(page, JOURNEY, language, "07-supervision-notice")
    assert page.locator("dd", has_text=name).count() >= 1
    if language == "en":
        assert not HAN.search(listed), listed
    assert page.errors == [] and page.foreign_requests == []


PLACEHOLDER_ROOM = """input => { const style = getComputedStyle(input);
  const pen = document.createElement("canvas").getContext("2d"); pen.font = style.font;
  return [pen.measureText(input.placeholder).width,
  input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)]; }"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_search_fields_show_their_whole_hint(browser, live_server, people, language):
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/tickets/",
                          viewport={"width": 1366, "height": 768})
    page.wait_for_selector("#ticket-list")
    shot(page, JOURNEY, language, "08-intake-search-fields", full_page=False)
    fields = page.locator("form.find input[name=q], form.filters input[name=q]")
    assert fields.count() == 2
    for n in range(2):
        need, room = fields.nth(n).evaluate(PLACEHOLDER_ROOM)
        assert need <= room, (fields.nth(n).get_attribute("placeholder"), need, room)
    assert page.errors == [] and page.foreign_requests == []
