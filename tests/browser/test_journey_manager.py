"""The manager's day in Chromium (#15), in Chinese and in English: the dashboard for today and
for the year, a valid-rate figure opened on the map showing exactly its cases, the evaluation
by name, the Excel workbook read back, a monthly report for a picked month. Screenshots go to
var/screenshots/manager/."""

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from tests.browser.conftest import log_in, watched_page
from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import next_month
from urbanmgmt.kpi.loader import load_quotas, load_schemes
from urbanmgmt.org.models import Department, Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "manager"
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
# Words that are the same in both languages: the file format, units, grade letters, the hotline.
SHARED = {"Excel", "KPI", "KB", "MB"}


@pytest.fixture
def a_day(empty_history_after, city, people, category):
    """Today: 王伟's four reports (two filed, one of them dispatched, one rejected, one waiting)."""
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    Profile.objects.filter(user=people.inspector).update(display_name="王伟")
    Profile.objects.filter(user=people.dispatcher).update(display_name="李娜")
    cases = [report_case(people.inspector, category) for _ in range(4)]
    for case in cases[:2]:
        services.file(people.dispatcher, case, version=case.version)
    case = cases[0]
    case.refresh_from_db()
    services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))
    services.reject(people.dispatcher, cases[2], version=cases[2].version, reason_code="duplicate", reason="重复")
    return people


@pytest.fixture
def task_worker(settings, tmp_path):
    """A real task worker (`manage.py tasks_worker`) on the test database, making the large
    exports and keeping them where the live server serves /media/ from."""
    import signal

    from tests.tasks.processes import kill, start_worker
    from urbanmgmt.jobs.models import Job, JobState
    from urbanmgmt.jobs.periodic import schedule

    settings.MEDIA_ROOT = str(tmp_path / "media")  # the worker's URBANMGMT_VAR_DIR/media
    # No supervision sweep: the notices it would raise on today's late cases are append-only
    # history that the transactional test's teardown cannot delete. Its one slot is done.
    never = 10**9
    settings.PERIODIC_JOBS = {"urbanmgmt.supervision.tasks.sweep_supervision": never}
    Job.objects.filter(pk__in=[job.pk for job in schedule()]).update(state=JobState.DONE)
    process = start_worker(tmp_path, tmp_path / "worker.log", REDIS_URL="", SUPERVISION_SWEEP_S=str(never))
    yield process
    kill(process, signal.SIGTERM)


def data_words() -> set[str]:
    """What the data calls things (people, areas, departments, categories): it stays as stored."""
    return ({"王伟", "李娜"} | set(Area.objects.values_list("name", flat=True))
            | set(Department.objects.values_list("name", flat=True)) | set(Category.objects.values_list("name_zh", flat=True)))


def check_words(page, language: str, where: str = "main") -> str:
    """The screen's text, after asserting it has no [object, no English word left in the Chinese
    UI and no Chinese of the UI's own in the English one."""
    text = page.inner_text(where)
    assert "[object" not in text and "undefined" not in text and "NaN" not in text
    if language == "zh-hans":
        english = set(re.findall(r"[A-Za-z]{2,}", text)) - SHARED
        assert english == set(), english
    else:
        rest = text
        for word in sorted(data_words(), key=len, reverse=True):
            rest = rest.replace(word, "")
        rest = re.sub(r"[^\n]*数字化城市管理监督指挥中心", "", rest)  # the issuer: the district's name (data)
        assert CHINESE.findall(rest) == [], CHINESE.findall(rest)
    return text


def shot(page, name: str, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)


def ready(page) -> None:
    """Every card has its figures, none an error (a year of stored days is computed on the first visit)."""
    try:
        page.wait_for_selector("#kpi-dashboard[data-ready='1']", timeout=60000)
    except Exception:
        busy = page.eval_on_selector_all(".kpi-card[aria-busy='true']", "cards => cards.map((c) => c.id)")
        raise AssertionError(f"cards still loading: {busy}") from None
    assert page.locator(".kpi-error").all_inner_texts() == []


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def links_work(page, live_server) -> int:
    """Every link of the page answers 200 (the session's cookies, the server's own pages); the
    workbook's is downloaded and read by the journey itself."""
    hrefs = set(page.eval_on_selector_all("main a[href]", "links => links.map((a) => a.getAttribute('href'))"))
    hrefs = {h for h in hrefs if not h.startswith("#") and "export.xlsx" not in h}
    for href in hrefs:
        answer = page.request.get(href if href.startswith("http") else f"{live_server.url}{href}", timeout=90000)
        assert answer.status == 200, (href, answer.status)
    return len(hrefs)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_managers_day(browser, live_server, a_day, task_worker, language, tmp_path):
    page = watched_page(browser, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    english = language == "en"
    today = timezone.localdate()

    # Today: four reports, two filed, one rejected, one waiting.
    log_in(page, live_server, "manager", "pw-manager", "/kpi/?period=day")
    ready(page)
    row = page.locator("#valid-rate-card tbody tr").first
    assert [c.strip() for c in row.locator("td").all_inner_texts()][:4] == ["4", "2", "1", "1"]
    caption = "Valid-report rate of the period chosen" if english else "所选时段的有效上报率"
    assert caption in page.inner_text("#valid-rate-card")
    check_words(page, language)
    shot(page, "01-dashboard-today", language)

    # The year: the year card's rate says it is the year to date, the table's its period.
    page.select_option("#period", "year")
    ready(page)
    year_label = page.inner_text("#quota-card dl")
    assert (f"year to date ({today.year}-01-01 to {today.isoformat()})" if english
            else f"本年累计有效上报率（{today.year}-01-01 至 {today.isoformat()}）") in year_label
    assert f"{today.year}-01-01" in page.inner_text("#valid-rate-period")
    check_words(page, language)
    assert links_work(page, live_server) >= 6  # the four figures of the row, the two reports
    shot(page, "02-dashboard-year", language)

    # A figure opens exactly its cases: 王伟's rejected report, named on the map.
    page.click('#valid-rate-card [data-by="inspector"]')
    ready(page)
    rejected = page.locator("#valid-rate-card tbody tr").first.locator("td").nth(2).locator("a")
    with page.context.expect_page() as opened:
        rejected.click()
    mapped = opened.value
    mapped.on("pageerror", lambda error: errors.append(str(error)))
    answers = []
    mapped.on("response", lambda r: answers.append(r) if "/api/v1/map/cases/" in r.url else None)
    mapped.wait_for_selector("body[data-ready='1']", timeout=20000)
    # The link names its cases: the map asks where they are and opens on them, close enough to
    # show the one case itself, whatever view the city's outline gave first.
    assert "fit=true" in answers[0].url and answers[0].json()["extent"]
    cases = answers[-1].json()
    assert cases["mode"] == "points" and len(cases["features"]) == 1
    assert cases["features"][0]["properties"]["state"] == "rejected"
    fixed = mapped.inner_text("#fixed-filters")
    assert ("Reported by: 王伟" if english else "上报人：王伟") in fixed and "=" not in fixed
    check_words(mapped, language, "#fixed-filters")
    shot(mapped, "03-map-rejected-cases", language)
    mapped.close()

    # The evaluation by name: people, departments, streets; never their codes.
    evaluation = page.inner_text("#evaluation-card")
    assert "王伟" in evaluation and "inspector" not in evaluation.replace("Inspector", "")
    page.click('#evaluation-card [data-who="department"]')
    page.wait_for_selector("#evaluation-card >> text=" + ("Haizhou" if english else "海州区"), timeout=20000)
    assert "HZ-" not in page.inner_text("#evaluation-card")
    page.click('#evaluation-card [data-who="area"]')
    street = Area.objects.get(level="street", code="320706006").name
    page.wait_for_selector(f"#evaluation-card >> text={street}", timeout=20000)
    assert "320706006" not in page.inner_text("#evaluation-card")
    check_words(page, language)
    shot(page, "04-evaluation-by-area", language)

    # The workbook: the year's (made by the task worker), named after it, in the page's
    # language, rates as percentages.
    page.click("#export-link")
    page.wait_for_selector("#export-job a.export-download", timeout=120000)  # a year of every table
    with page.expect_download(timeout=60000) as download:
        page.click("#export-job a.export-download")
    assert download.value.suggested_filename == f"urbanmgmt-kpi-{today.year}-01-01-to-{today.year}-12-31.xlsx"
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    rates = book["Valid-report rate - Inspector" if english else "有效上报率-监督员"]
    assert rates.freeze_panes == "A2" and rates["A2"].value == "王伟" and rates["F2"].number_format == "0.0%"
    assert rates["F2"].value == 0.5

    # A mistake is said where the eye is: a period that ends before it starts.
    page.select_option("#period", "custom")
    page.fill("#custom-start", today.isoformat())
    page.fill("#custom-end", (today - dt.timedelta(days=3)).isoformat())
    page.dispatch_event("#custom-end", "change")
    page.wait_for_selector("#controls-error:not([hidden])")
    assert in_viewport(page, "#controls-error")
    check_words(page, language)

    # The monthly report for a picked month: its issuer, 期号 and what it is compared with.
    page.click("#monthly-report")
    page.wait_for_selector("#report-period")
    before = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page.fill("#report-month", before.isoformat()[:7])
    page.click("#report-period button[type=submit]")
    page.wait_for_url(f"**month={before.isoformat()[:7]}**")
    issue = page.inner_text("#issue")
    assert issue == (f"Year {before.year}, issue {before.month}" if english else f"{before.year}年第{before.month}期")
    assert ("Command Centre" if english else "数字化城市管理监督指挥中心") in page.inner_text("#issuer")
    check_words(page, language)
    assert links_work(page, live_server) >= 2
    shot(page, "05-monthly-report-picked", language)
    page.fill("#report-month", today.isoformat()[:7])
    page.click("#report-period button[type=submit]")
    page.wait_for_url(f"**month={today.isoformat()[:7]}**")
    if today < next_month(today.replace(day=1)) - dt.timedelta(days=1):  # a month still under way
        assert ("partial month" if english else "本月未满") in page.inner_text("#compared")
    check_words(page, language)
    shot(page, "06-monthly-report-this-month", language)
    assert errors == [] and page.foreign_requests == []
    page.context.close()
