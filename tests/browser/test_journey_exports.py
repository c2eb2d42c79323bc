"""A manager asks for the year's workbook on the dashboard (issue #19), in Chinese and in
English: the page shows the job a real task worker makes it in (its state and progress, polled
from /exports/<id>/), then a download link; the file is the year's workbook in the page's
language; "my exports" lists it with its size and the city's time. Screenshots:
var/screenshots/exports/."""

import io

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from tests.browser.conftest import log_in, watched_page
from tests.browser.test_journey_manager import check_words, ready, task_worker  # noqa: F401
from tests.builders import report_case
from urbanmgmt.jobs.models import Job
from urbanmgmt.kpi.excel import sheet_count
from urbanmgmt.kpi.loader import load_quotas, load_schemes
from urbanmgmt.org.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "exports"


def shot(page, name: str, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)


@pytest.mark.usefixtures("task_worker")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_manager_asks_for_the_years_workbook_and_downloads_it(browser, live_server, empty_history_after, people,
                                                                 category, language):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    Profile.objects.filter(user=people.inspector).update(display_name="王伟")  # a name, not a login
    for _ in range(3):
        report_case(people.inspector, category)
    page = watched_page(browser, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    answers = []
    page.on("response", lambda r: answers.append(r.json()) if "/exports/" in r.url and r.ok
            and "json" in (r.headers.get("content-type") or "") else None)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    year = timezone.localdate().year
    log_in(page, live_server, "manager", "pw-manager", "/kpi/?period=year")
    ready(page)

    with page.expect_response(lambda r: "/kpi/export/" in r.url) as asked:
        page.click("#export-link")
    assert asked.value.status == 202
    page.wait_for_selector("#export-job progress, #export-job a.export-download", timeout=20000)
    shot(page, "01-workbook-asked", language)
    page.wait_for_selector("#export-job a.export-download", timeout=120000)
    check_words(page, language)
    shot(page, "02-workbook-made", language)
    panel = page.inner_text("#export-job")
    assert (f"KPI workbook, {year}-01-01 to {year}-12-31, Whole city" if language == "en"
            else f"考核工作簿，{year}-01-01 至 {year}-12-31，全市") in panel
    last = answers[-1]
    assert last["state"] == "done" and last["done"] == last["total"] == sheet_count(), answers

    with page.expect_download(timeout=60000) as download:
        page.click("#export-job a.export-download")
    assert download.value.suggested_filename == f"urbanmgmt-kpi-{year}-01-01-to-{year}-12-31.xlsx"
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert len(book.sheetnames) == sheet_count()
    assert ("Valid-report rate - Inspector" if language == "en" else "有效上报率-监督员") in book.sheetnames

    page.click("#export-job a[href='/exports/']")
    page.wait_for_selector("#my-exports tr[data-state=done]")
    row = page.inner_text("#my-exports tbody tr")
    assert timezone.localtime().strftime("%Y-%m-%d") in row and ("KB" in row or "MB" in row)
    assert page.locator("#my-exports tbody a[download]").count() == 1
    check_words(page, language)
    shot(page, "03-my-exports", language)

    # A month's report is small: its Excel comes at once, no job (EXPORT_IMMEDIATE_MAX_DAYS).
    month = timezone.localdate().isoformat()[:7]
    page.goto(f"{live_server.url}/kpi/report/monthly/?month={month}")
    with page.expect_download(timeout=60000) as download:
        page.click("#report-export")
    assert download.value.suggested_filename == f"urbanmgmt-monthly-{month}.xlsx"
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert workbook.sheetnames[0] == ("Overview" if language == "en" else "概况")
    shot(page, "04-monthly-report-at-once", language)
    assert not Job.objects.filter(kind="urbanmgmt.kpi.tasks.make_report").exists()
    assert errors == [] and page.foreign_requests == []
