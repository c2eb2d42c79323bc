"""日报 and 月报: the figures of a hand-made day, as a page and as Excel."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.builders import point_in
from urbanmgmt.cases import clock, services

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def a_day(people, category):
    """2025-10-09: three inspector reports (two filed, one rejected) and one 12345 request."""
    day = dt.date(2025, 10, 9)
    for hour in (9, 10, 11):
        t = dt.datetime.combine(day, dt.time(hour), tzinfo=SH)
        with clock.at(t):
            case, _ = services.report(people.inspector, channel="inspector", point=point_in(0.5, 0.5),
                                      category=category, reported_at=t)
            if hour < 11:
                services.file(people.dispatcher, case, version=1)
            else:
                services.reject(people.dispatcher, case, version=1, reason_code="duplicate", reason="重复")
    t = dt.datetime.combine(day, dt.time(15), tzinfo=SH)
    with clock.at(t):
        services.report(people.dispatcher, channel="hotline", point=point_in(4.5, 0.5), category=category,
                        request_type="complaint", reported_at=t)
    return day


def manager(people):
    client = Client()
    client.force_login(people.manager)
    return client


def test_the_daily_report_shows_the_days_figures(people, a_day):
    page = manager(people).get("/kpi/report/daily/", {"date": "2025-10-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<strong id="total">4</strong>' in html and "日报 2025-10-09" in html and "暴露垃圾" in html
    cells = re.sub(r' data-label="[^"]*"', "", html)  # each cell's heading, for a phone's cards
    assert "<td>监督员上报</td><td>3</td><td>2</td><td>1</td><td>0</td>" in cells.replace("\n", "").replace("    ", "")


def test_the_monthly_report_as_excel(people, a_day):
    response = manager(people).get("/kpi/report/monthly/", {"month": "2025-10", "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    overview = dict(book["概况"].iter_rows(values_only=True))
    assert overview["新增上报"] == 4 and overview["报告"] == "月报 2025-10"
    channels = {row[0]: row for row in book["来源渠道"].iter_rows(values_only=True)}
    assert channels["监督员上报"][1:4] == (3, 2, 1) and channels["12345"][1] == 1
    streets = list(book["街道"].iter_rows(values_only=True))
    assert streets[0] == ("街道", "上报", "立案") and len(streets) == 3


def test_bad_dates_and_roles_are_refused(people):
    assert manager(people).get("/kpi/report/daily/", {"date": "2025-13-40"}).status_code == 400
    assert manager(people).get("/kpi/report/daily/", {"area": "999"}).status_code == 404
    inspector = Client()
    inspector.force_login(people.inspector)
    assert inspector.get("/kpi/report/daily/").status_code == 403
    assert manager(people).get("/kpi/report/monthly/").status_code == 200  # this month by default
