"""What a walk through the product in Chromium found (session 17), at a phone's and a
desktop's size, in Chinese and in English: the report workbooks wrote their counts as bare
numbers (135000 where the page says 135,000); the server error's page had no language
switch; a camera whose candidates all came with snapshots said it had no picture and to wait
for the next candidate.
Screenshots: var/screenshots/seen_bugs_s17/."""

import io

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_hotline_intake import intake  # noqa: F401 - a fixture
from tests.browser.test_seen_bugs_s16 import supervised_case
from tests.builders import report_case
from tests.hotline.helpers import row
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.kpi.loader import load_quotas
from vision.models import CandidateEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s17"
PHONE = {"width": 390, "height": 844}
GROUPED = "#,##0"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_report_workbooks_show_their_counts_grouped_by_thousands(browser, live_server, empty_history_after,
                                                                     people, category, language):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    today = timezone.localdate()
    report_case(people.inspector, category)
    page = signed_in_page(browser, live_server, "manager", language, f"/kpi/report/daily/?date={today:%Y-%m-%d}")
    page.wait_for_selector("#report-export")
    shot(page, JOURNEY, language, "01-daily-report")
    with page.expect_download(timeout=60000) as download:
        page.click("#report-export")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    overview, channels, steps = book.worksheets[0], book.worksheets[1], book.worksheets[2]
    figures = {row[0].value: row[1] for row in overview.iter_rows(min_row=2)}
    new = figures["新增上报" if language == "zh-hans" else "New reports"]
    assert new.value == 1 and new.number_format == GROUPED
    issue = figures["期号" if language == "zh-hans" else "Issue"]
    assert isinstance(issue.value, str) and str(today.year) in issue.value  # a number's name, never grouped
    assert channels["B2"].data_type == "n" and channels["B2"].number_format == GROUPED
    assert channels["F2"].number_format == "0.0%"
    assert {row[1].number_format for row in steps.iter_rows(min_row=2)} == {GROUPED}
    assert book.worksheets[-1]["B2"].number_format == GROUPED  # supervision's notices

    # The dashboard's workbook of the day: the year's quota grouped, the year itself not.
    answer = page.request.get(f"{live_server.url}/kpi/export.xlsx?start={today:%Y-%m-%d}&end={today:%Y-%m-%d}")
    assert answer.ok, answer.text()
    book = load_workbook(io.BytesIO(answer.body()))
    quota = {row[0].value: row[1] for row in book.worksheets[0].iter_rows(min_row=2)}
    year = quota["年份" if language == "zh-hans" else "Year"]
    assert year.value == today.year and year.number_format == "General"
    wanted = quota["采集指标" if language == "zh-hans" else "Collection quota"]
    assert wanted.value == 135000 and wanted.number_format == GROUPED, wanted.value
    rates = book.worksheets[1]
    assert rates["B2"].number_format == GROUPED and rates["F2"].number_format == "0.0%"
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_server_errors_page_lets_its_reader_change_the_language(browser, live_server, people, settings, language):
    settings.ROOT_URLCONF = "tests.errors_urls"
    other = {"zh-hans": "en", "en": "zh-hans"}[language]
    heading = {"zh-hans": "服务器出错了", "en": "Something went wrong on our side"}
    page = signed_in_page(browser, live_server, "dispatcher", language, "/", viewport=PHONE)
    page.wait_for_selector("main h1")
    answer = page.goto(f"{live_server.url}/failing/")
    assert answer.status == 500 and page.inner_text("main h1") == heading[language]
    shot(page, JOURNEY, language, "02-server-error-phone")
    switch = page.locator("header select[name=language]")
    assert switch.is_visible() and switch.input_value() == language
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        switch.select_option(other)
    assert page.url == f"{live_server.url}/failing/"  # the same address, now in the other language
    assert page.inner_text("main h1") == heading[other]
    assert page.evaluate("document.documentElement.lang") == other
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_camera_with_candidates_says_why_it_has_no_clean_picture_and_links_the_latest(
        browser, live_server, zone, worker_key, people, empty_history_after, language):  # noqa: F811
    assert post(worker_key, candidate(zone, track_id=7, key="k7")).status_code == 201  # a snapshot, no clean frame
    seen = timezone.localtime(CandidateEvent.objects.get().last_seen_at).strftime("%Y-%m-%d %H:%M")
    for size, viewport in (("desktop", None), ("phone", PHONE)):
        page = signed_in_page(browser, live_server, "analyst", language, f"/vision/cameras/{zone.camera.pk}/",
                              **({"viewport": viewport} if viewport else {}))
        page.wait_for_selector("#zone-canvas")
        shot(page, JOURNEY, language, f"03-camera-{size}")
        note = page.inner_text("#still-note")
        assert "next candidate" not in note and "下一个候选" not in note, note  # it came, with no clean frame
        assert seen in note, note  # the snapshot's time, in Asia/Shanghai
        with page.context.expect_page() as opened:
            page.click("#latest-snapshot")
        snapshot = opened.value
        snapshot.wait_for_load_state()
        assert snapshot.evaluate("document.contentType") == "image/jpeg"
        assert snapshot.evaluate("document.images[0].naturalWidth") == 640
        assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_cameras_zone_form_fits_a_phone(browser, live_server, zone, people, empty_history_after,  # noqa: F811
                                          language):
    page = signed_in_page(browser, live_server, "analyst", language, f"/vision/cameras/{zone.camera.pk}/", viewport=PHONE)
    page.wait_for_selector("#zone-form select[name=category]")
    shot(page, JOURNEY, language, "04-camera-form-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # the category list held the page 30 px wider than the phone
    card = page.locator("main section.card").bounding_box()
    for select in page.locator("#zone-form select").all():
        box = select.bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"], (box, card)
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_supervision_notices_list_fits_a_phone(browser, live_server, empty_history_after, people, category,
                                                   language):
    notice = supervised_case(people, category)
    page = signed_in_page(browser, live_server, "dispatcher", language, "/supervision/", viewport=PHONE)
    page.wait_for_selector(f"#notices tr[data-notice='{notice.pk}']")
    shot(page, JOURNEY, language, "05-supervision-list-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # in English the table held the page 635 px wide
    cells = page.locator(f"#notices tr[data-notice='{notice.pk}'] td")
    label = cells.nth(5).evaluate("(c) => getComputedStyle(c, '::before').content")
    assert label == {"zh-hans": '"答复期限"', "en": '"Answer due"'}[language]  # each cell under its heading
    assert notice.case.code in cells.nth(2).inner_text()
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_12345_lists_search_field_fits_a_phone(browser, live_server, empty_history_after, people, language):
    for path in ("/hotline/tickets/", "/hotline/unplaced/", "/hotline/review/"):
        page = signed_in_page(browser, live_server, "dispatcher", language, path, viewport=PHONE)
        page.wait_for_selector("form.filters input[name=q]")
        shot(page, JOURNEY, language, f"06-{path.split('/')[2]}-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)  # the search field held the page 422 px wide
        field = page.locator("form.filters input[name=q]").bounding_box()
        card = page.locator("main .card").first.bounding_box()
        assert field["x"] + field["width"] <= card["x"] + card["width"], (path, field, card)
        page.fill("form.filters input[name=q]", "Q1")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**q=Q1**")
        assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_12345_tickets_page_is_headed_by_what_it_lists(browser, live_server, empty_history_after, people, language):
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/tickets/")
    page.wait_for_selector("#ticket-list")
    shot(page, JOURNEY, language, "07-tickets")
    heading = {"zh-hans": "12345工单", "en": "12345 tickets"}[language]
    assert page.inner_text("main h1") == heading  # not 12345工单数, "the number of 12345 tickets"
    assert page.title().startswith(heading + " ·")
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_12345_tickets_list_reads_on_a_phone(browser, live_server, intake, language):  # noqa: F811
    import_rows([row("S17-1", text="小区门口暴露垃圾没人清理", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    code = HotlineTicket.objects.get(external_id="S17-1").case.code
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/tickets/", viewport=PHONE)
    page.wait_for_selector("#ticket-list tr[data-ticket]")
    shot(page, JOURNEY, language, "08-tickets-list-phone")
    case = page.locator("#ticket-list tr[data-ticket] td").nth(3)
    assert case.inner_text().endswith(code)
    code_lines = case.evaluate("""(c) => { const range = document.createRange(); range.selectNodeContents(c);
        return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size; }""")
    assert code_lines == 1, code_lines  # it was 20 / 26 / 00 ..., two digits a line
    label = case.evaluate("(c) => getComputedStyle(c, '::before').content")
    assert label == {"zh-hans": '"案件"', "en": '"Case"'}[language]  # each cell beside its heading
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.errors == [] and page.foreign_requests == []
