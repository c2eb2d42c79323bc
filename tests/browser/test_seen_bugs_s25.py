"""What two walks in Chromium found (session 25), in Chinese and in English: a supervision
notice named its case without a way to it (the list's case linked back to the notice, the
notice page's case was plain text, the department's "案件 …" link opened the notice); the
workspace could not be opened on a case from a link, nor did its address name the open case.
Screenshots: var/screenshots/seen_bugs_s25/."""

import pytest

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_journey_dispatcher import named, open_as  # noqa: F401 - a fixture
from tests.builders import point_in, report_case
from tests.cases.test_services import dispatched
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - fixtures
from urbanmgmt.supervision import services as supervision
from urbanmgmt.supervision.models import Level, Subject
from urbanmgmt.supervision.services import Target

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s25"


def noticed_case(people, category, level=Level.SUPERVISE):
    case = dispatched(people, category, description="垃圾堆放")
    notice = supervision.raise_notice(people.dispatcher, Target(Subject.CASE, case_id=case.pk), level=level,
                                      request="请说明情况")
    return case, notice


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_notice_leads_the_command_centre_to_its_case_on_the_map(browser, live_server, named, category,  # noqa: F811
                                                                   language):
    case, notice = noticed_case(named, category)
    page = signed_in_page(browser, live_server, "manager", language, "/supervision/")
    link = page.locator(f"tr[data-notice='{notice.pk}'] a.case-link")
    assert link.get_attribute("href") == f"/map/?case={case.code}"
    page.goto(f"{live_server.url}/supervision/{notice.pk}/")
    shot(page, JOURNEY, language, "01-notice-with-its-case")
    page.locator("a.case-link", has_text=case.code).click()
    page.wait_for_selector("#case-panel .actions")
    assert page.locator("#panel-title").inner_text() == case.code
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_department_follows_its_notice_to_the_case_in_its_workspace(browser, live_server, named, category,  # noqa: F811
                                                                       language):
    case, notice = noticed_case(named, category)
    page = open_as(browser, live_server, "handler", language, "/workspace/")
    block = page.locator(f"#supervision-block li[data-notice='{notice.pk}']")
    assert block.locator("a").first.get_attribute("href") == f"/supervision/{notice.pk}/"  # the notice, by its number
    block.locator("a.case-link").click()
    page.wait_for_selector("#case-panel .actions")
    assert page.locator("#panel-title").inner_text() == case.code
    assert page.url.endswith(f"/workspace/?case={case.code}")
    shot(page, JOURNEY, language, "02-workspace-opened-on-the-case")
    page.locator("#case-panel button.close").click()
    page.wait_for_function("() => !location.search.includes('case=')")
    page.goto(f"{live_server.url}/workspace/?case=20990000001")  # no such case: said, nothing opened
    said = page.locator("#address-case")
    said.wait_for()
    assert "20990000001" in said.inner_text()
    page.wait_for_function("() => document.body.dataset.ready === '1'")  # the queue's own status does not wipe it
    assert said.is_visible() and "20990000001" in said.inner_text()
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("language", "word"), [("zh-hans", "小汽车"), ("en", "car")])
def test_the_case_panel_names_the_detected_class_in_the_pages_language(browser, live_server, named,  # noqa: F811
                                                                       zone, worker_key, language, word):  # noqa: F811
    """The panel's video candidate read "违法停车 · bus" on a Chinese page (the queue said 公交车),
    and its times broke inside a date at 1280 px ("2026-" / "12-06")."""
    from tests.builders import client_for
    from tests.vision.test_channel import candidate, post
    from vision.models import CandidateEvent

    post(worker_key, candidate(zone))
    found = CandidateEvent.objects.get()
    case = client_for(named.analyst).post(f"/api/v1/vision/candidates/{found.pk}/confirm/").json()["code"]
    page = open_as(browser, live_server, "dispatcher", language, f"/map/?case={case}",
                   viewport={"width": 1280, "height": 800})
    line = page.locator("#case-panel .candidate-list li").first
    line.wait_for()
    assert f" · {word}" in line.inner_text() and (" · car" not in line.inner_text() or language == "en")
    tops = line.locator(".nowrap").evaluate_all("(ns) => ns.map((n) => n.getClientRects().length)")
    assert tops == [1, 1]  # each moment on one line
    shot(page, JOURNEY, language, "03-panel-video-candidate")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("language", "pending", "scope"), [
    ("zh-hans", "采集待受理", "12345 工单在“12345 与处置时效”中统计"),
    ("en", "Collected, awaiting intake", "12345 tickets are counted in the 12345 card")])
def test_the_dashboard_says_its_awaiting_intake_is_of_the_collected_reports(browser, live_server, named, category,  # noqa: F811
                                                                            language, pending, scope):
    """A manager read "待受理 0 件" while 137 12345 cases awaited intake: the figure counts the
    inspectors' and cameras' reports (the quota's scope), and now says so, as does the
    valid-report table beside it."""
    from django.conf import settings

    from urbanmgmt.kpi.loader import load_quotas, load_schemes

    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    report_case(named.inspector, category, 0.5, 0.5, description="垃圾堆放")
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/")
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    page.locator("#valid-rate-card tbody tr").first.wait_for()
    assert pending in page.inner_text("#quota-card") and scope in page.inner_text("#valid-rate-card")
    shot(page, JOURNEY, language, "04-dashboard-awaiting-intake")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboards_dates_stay_whole_on_a_laptop_and_a_phone(browser, live_server, named, category,  # noqa: F811
                                                                  language):
    """The annual card broke its year-to-date range as "2026-12-" / "06" at 1280 px in
    Chinese and on a phone in English."""
    from django.conf import settings

    from urbanmgmt.kpi.loader import load_quotas

    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        page = signed_in_page(browser, live_server, "manager", language, "/kpi/", viewport=size)
        page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
        days = page.locator("#quota-card .nowrap, #valid-rate-card .nowrap")
        assert days.count() >= 2
        assert set(days.evaluate_all("(ns) => ns.map((n) => n.getClientRects().length)")) == {1}
        page.context.close()


@pytest.mark.parametrize(("language", "said"), [("zh-hans", "请先修正上方的统计周期"), ("en", "Correct the period above")])
def test_a_link_with_a_wrong_period_does_not_leave_the_dashboard_loading(browser, live_server, named, language,  # noqa: F811
                                                                         said):
    """/kpi/?period=custom&start=2026-12-06&end=2026-11-01 said why above cards that read
    "加载中…" for ever, with the export still offered."""
    page = signed_in_page(browser, live_server, "manager", language,
                          "/kpi/?period=custom&start=2026-12-06&end=2026-11-01")
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=30000)
    assert page.is_visible("#controls-error")
    for card in ("#quota-card", "#valid-rate-card", "#hotline-card", "#campaigns-card", "#evaluation-card"):
        assert said in page.inner_text(card), card
    assert not page.is_visible("#export-link")
    page.fill("#custom-end", "2026-12-31")
    page.dispatch_event("#custom-end", "change")
    page.locator("#quota-card .kpi-notice, #quota-card .kpi-facts").first.wait_for()
    assert page.is_visible("#export-link") and not page.is_visible("#controls-error")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_steps_form_and_its_saved_message_open_in_view(browser, live_server, named, category, language):  # noqa: F811
    """At 1280 × 800 the 立案 form opened under the window's edge, and after 提交 "已保存。" was
    written at the top of a panel still scrolled down."""
    case = report_case(named.inspector, category, 0.5, 0.5, description="垃圾堆放" * 40)
    page = open_as(browser, live_server, "dispatcher", language, f"/map/?case={case.code}",
                   viewport={"width": 1280, "height": 800})
    page.locator("#case-panel .actions").wait_for()
    page.click("#case-panel button[data-action='file']")
    submit = page.locator("#case-panel .action-form button[type=submit]")
    submit.wait_for()
    assert submit.evaluate("(b) => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    submit.click()
    notice = page.locator("#case-panel p.notice")
    notice.wait_for()
    assert notice.evaluate("(n) => { const r = n.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    shot(page, JOURNEY, language, "05-saved-in-view")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_history_shows_what_the_department_replied(browser, live_server, named, category, language):  # noqa: F811
    """The 立案 and 派遣 lines showed their reasons, the 处置反馈 line nothing: its reply was only
    in the 部门回复 field, the last one, which a rework replaces."""
    from urbanmgmt.cases import services

    case = dispatched(named, category, description="垃圾堆放")
    case = services.sign(named.handler, case, version=case.version)
    case = services.handle(named.handler, case, version=case.version, reply="已清运完毕，现场已冲洗")
    assert case.events.get(action="handle").payload["reply"] == "已清运完毕，现场已冲洗"
    page = open_as(browser, live_server, "dispatcher", language, f"/map/?case={case.code}")
    line = page.locator("#case-panel .history li", has_text="已清运完毕，现场已冲洗")
    line.wait_for()
    assert ("处置反馈" if language == "zh-hans" else "Replied") in line.inner_text()
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("language", "cases"), [("zh-hans", "案件"), ("en", "Cases")])
def test_the_cases_layer_switch_hides_the_counts_by_area_too(browser, live_server, named, category,  # noqa: F811
                                                             language, cases):
    """Zoomed out, unticking "Cases" in the layer control left every count bubble on the map."""
    from tests.browser.test_seen_bugs import map_view

    report_case(named.inspector, category, 4.5, 3.5, description="垃圾堆放")
    page = open_as(browser, live_server, "dispatcher", language, "/map/")
    map_view(page, point_in(3, 2), 14)
    page.locator(".count-bubble").first.wait_for()
    page.hover(".leaflet-control-layers")
    box = page.locator(".leaflet-control-layers-overlays").get_by_role("checkbox", name=cases, exact=True)
    box.uncheck()
    page.wait_for_function("() => document.querySelectorAll('.count-bubble').length === 0")
    box.check()
    page.locator(".count-bubble").first.wait_for()
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("language", "note"), [("zh-hans", "按当前顺序显示 2 行中的前 1 行"),
                                               ("en", "The first 1 of 2 rows in this order")])
def test_the_valid_report_table_shows_its_first_rows_and_says_how_many_there_are(browser, live_server, named, category,  # noqa: F811
                                                                               settings, language, note):
    """By grid over a year the table grew to some 40,000 px, a row per grid; it shows the first
    KPI_TABLE_ROWS in the order chosen (settings; 100 by default) and says how many there are."""
    settings.KPI_TABLE_ROWS = 1
    for col in (0.5, 2.5):
        report_case(named.inspector, category, col, 0.5, description="垃圾堆放")
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/")
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    page.click("#valid-rate-card [data-by='grid']")
    page.locator("#valid-rate-cut").wait_for()
    assert page.locator("#valid-rate-card tbody tr").count() == 1 and note in page.inner_text("#valid-rate-cut")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("language", "said"), [("zh-hans", "年专项采集：已开展 0 次，年度指标要求 6 次。"),
                                               ("en", ": 0 of the 6 the annual quota asks for.")])
def test_the_campaigns_card_shows_the_years_requirement(browser, live_server, named, language, said):  # noqa: F811
    """The 2026 quota asks for 6 special campaigns; with none held the card said only 暂无专项采集."""
    from django.utils import timezone

    from urbanmgmt.kpi.models import AnnualQuota

    AnnualQuota.objects.create(year=timezone.localdate().year, collection_total=1000, valid_rate="0.970", campaigns=6)
    page = signed_in_page(browser, live_server, "manager", language, "/kpi/")
    page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    line = page.locator("#campaigns-year")
    assert said in line.inner_text() and "bad" in line.get_attribute("class")
    assert page.errors == []
    page.context.close()
