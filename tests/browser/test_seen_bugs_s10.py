"""What a person met in the browser (session 10), as it shows on the screen, in Chinese and in
English: the managers' 在线解答率 read 0.0 % on the demo city; an unknown address or a server
error was Django's English page; the case panel showed the case's lock version; a department's
handler had no export in their workspace. Screenshots: var/screenshots/seen_bugs_s10/."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from demo.tickets import load_hotline_demo
from maps.api import FORMAT_NAMES
from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_journey_dispatcher import named, open_as  # noqa: F401
from tests.browser.test_journey_manager import SHARED, check_words, ready, task_worker  # noqa: F401
from tests.builders import report_case
from tests.hotline.conftest import gazetteer  # noqa: F401
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.kpi.loader import load_quotas, load_schemes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s10"
WORDS = {"zh-hans": {"404": "没有这个页面", "500": "服务器出错了", "home": "返回首页", "changed": "最近变更",
                     "version": "版本", "export": "导出本部门的案件", "open": "未结案件", "all": "全部案件（含已结案）",
                     "download": "下载", "online": "在线解答率"},
         "en": {"404": "There is no such page", "500": "Something went wrong on our side", "home": "Back to the home page",
                "changed": "Last changed", "version": "Version", "export": "Export your department's cases",
                "open": "Open cases", "all": "All cases, closed ones too", "download": "Download",
                "online": "Online answer rate"}}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_demo_citys_online_answer_rate_counts_its_knowledge_base_answers(browser, live_server, empty_history_after,
                                                                             people, gazetteer, category,  # noqa: F811
                                                                             language):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    load_hotline_demo(lambda line: None)
    today = timezone.localdate()
    period = f"/kpi/?period=custom&start={today - dt.timedelta(days=6)}&end={today}"
    page = signed_in_page(browser, live_server, "manager", language, period)
    ready(page)
    tile = page.locator(".kpi-tile", has_text=WORDS[language]["online"]).first
    tile.scroll_into_view_if_needed()
    n, d = map(int, re.search(r"(\d+) / (\d+)", tile.inner_text()).groups())
    page.locator("#hotline-title").scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "01-dashboard-online-answer-rate", full_page=False)
    assert n >= 30 and d > n and "0.0 %" not in tile.inner_text()
    check_words(page, language)
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_unknown_address_and_a_server_error_are_pages_in_the_users_language(browser, live_server, people, settings,
                                                                               language):
    settings.ROOT_URLCONF = "tests.errors_urls"
    page = signed_in_page(browser, live_server, "dispatcher", language, "/no/such/page/")
    page.wait_for_selector("main h1")
    assert page.inner_text("main h1") == WORDS[language]["404"]
    assert page.evaluate("document.documentElement.lang") == language
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then((r) => r.status)")
    shot(page, JOURNEY, language, "02-unknown-address")
    answer = page.goto(f"{live_server.url}/failing/")
    assert answer.status == 500 and page.inner_text("main h1") == WORDS[language]["500"]
    assert page.evaluate("document.documentElement.lang") == language
    check_words(page, language)
    shot(page, JOURNEY, language, "03-server-error")
    page.click(f"main a:has-text('{WORDS[language]['home']}')")
    page.wait_for_url(f"{live_server.url}/")
    assert icon == 200 and page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_case_panel_says_when_the_case_last_changed_not_its_version(browser, live_server, named, category,  # noqa: F811
                                                                        language):
    case = report_case(named.inspector, category, 0.5, 0.5, description="垃圾堆放")
    case = services.file(named.dispatcher, case, version=case.version)
    page = open_as(browser, live_server, "dispatcher", language, f"/map/?case={case.code}")
    page.locator("#case-panel .actions").wait_for()
    facts = dict(zip(page.locator("#case-panel dl.facts dt").all_inner_texts(),
                     page.locator("#case-panel dl.facts dd").all_inner_texts(), strict=True))
    shot(page, JOURNEY, language, "04-case-panel")
    assert WORDS[language]["version"] not in facts
    changed = timezone.localtime(case.events.order_by("-at").first().at).strftime("%H:%M")
    assert changed in facts[WORDS[language]["changed"]], facts
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.usefixtures("task_worker")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_handler_exports_their_departments_cases_from_the_workspace(browser, live_server, named, category,  # noqa: F811
                                                                      settings, language):
    settings.EXPORT_IMMEDIATE_MAX_ROWS = 2
    department = named.handler.profile.department
    for i in range(3):
        case = report_case(named.inspector, category, 0.5 + i, 0.5, description=f"第{i}件 路边垃圾")
        case = services.file(named.dispatcher, case, version=case.version)
        services.dispatch(named.dispatcher, case, version=case.version, department=department)
    report_case(named.inspector, category, 4.5, 0.5, description="不是本部门的")
    page = open_as(browser, live_server, "handler", language, "/workspace/")
    block = page.locator(".workspace-exports")
    assert block.locator("h2").inner_text() == WORDS[language]["export"]
    assert WORDS[language]["open"] in block.inner_text() and WORDS[language]["all"] in block.inner_text()
    shot(page, JOURNEY, language, "05-workspace-exports")
    # Three cases, above the two made at once: made in the background, followed on the page.
    block.locator("p", has_text=WORDS[language]["all"]).locator("a", has_text="CSV").click()
    page.wait_for_selector("#export-job a.export-download", timeout=120000)
    shot(page, JOURNEY, language, "06-workspace-export-made")
    with page.expect_download(timeout=60000) as download:
        page.click("#export-job a.export-download")
    rows = open(download.value.path(), encoding="utf-8-sig").read().splitlines()[1:]
    theirs = set(Case.objects.filter(department=department).values_list("code", flat=True))
    assert sorted(row.split(",")[0] for row in rows) == sorted(theirs) and len(theirs) == 3
    words = set(re.findall(r"[A-Za-z]{2,}", block.inner_text())) - set(FORMAT_NAMES.values()) - SHARED
    assert (words == set()) if language == "zh-hans" else not re.search(r"[\u4e00-\u9fff]", block.inner_text())
    assert page.errors == [] and page.foreign_requests == []


