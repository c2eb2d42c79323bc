"""The managers' dashboard in a real browser, against the real API, offline."""


import pytest
from django.conf import settings
from django.utils import timezone

from tests.builders import report_case
from urbanmgmt.cases import services
from urbanmgmt.kpi.loader import load_quotas, load_schemes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_sees_the_year_rates_and_rankings(page, live_server, empty_history_after, city, people, category):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    for _ in range(3):
        case = report_case(people.inspector, category)
        services.file(people.dispatcher, case, version=case.version)
    people.manager.set_password("numbers-2026")
    people.manager.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/kpi/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "numbers-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kpi/**")
    if timezone.localdate().year in (2025, 2026):
        page.wait_for_selector("#quota-card >> text=135,000", timeout=15000)
    page.wait_for_selector("#valid-rate-card >> text=100.0%", timeout=15000)  # 3 reports, 3 filed
    page.click('#valid-rate-card [data-by="month"]')
    page.wait_for_selector("#valid-rate-card canvas", timeout=15000)
    page.click('#evaluation-card [data-who="inspector"]')
    page.wait_for_selector("#evaluation-card >> text=inspector", timeout=15000)
    assert page.get_attribute("#export-link", "href").startswith("/kpi/export.xlsx?start=")
    assert page.foreign_requests == []

