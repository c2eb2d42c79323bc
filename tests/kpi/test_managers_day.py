"""What a manager reads (issue 15, managers): each figure opens exactly its cases, people and
units by their names, a workbook a reader can use, reports with their period, issuer and 期号."""

import datetime as dt
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests.builders import client_for, point_in
from urbanmgmt.cases import services
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import valid_rates
from urbanmgmt.kpi.evaluation import evaluate
from urbanmgmt.kpi.excel import workbook
from urbanmgmt.kpi.loader import load_quotas, load_schemes
from urbanmgmt.kpi.reports import comparison
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 2)
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def name(user, shown: str):
    user.profile.display_name = shown
    user.profile.save()


@pytest.fixture
def december(people, category):
    """2 December 2026: four reports by 王伟 (two filed and dispatched, one rejected, one waiting)."""
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    name(people.inspector, "王伟")
    name(people.dispatcher, "李娜")
    when = dt.datetime.combine(DAY, dt.time(10), tzinfo=SH)
    cases = [services.report(people.inspector, channel="inspector", point=point_in(0.5, 0.5), category=category,
                             reported_at=when)[0] for _ in range(4)]
    for case in cases[:2]:
        case = services.file(people.dispatcher, case, version=case.version)
        services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))
    services.reject(people.dispatcher, cases[2], version=cases[2].version, reason_code="duplicate", reason="重复")
    return day_start(DAY), day_start(DAY + dt.timedelta(days=1))


def manager(people, language: str | None = None) -> Client:
    client = Client()
    client.force_login(people.manager)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_each_figure_of_a_rate_row_opens_exactly_its_cases(people, december):
    api = client_for(people.manager)
    for by in ("channel", "inspector", "grid", "street", "month"):
        row = valid_rates(*december, by)[0]
        assert (row["reports"], row["filed"], row["rejected"], row["pending"]) == (4, 2, 1, 1)
        for column in ("reports", "filed", "rejected", "pending"):
            assert api.get(row["cases_urls"][column]).data["count"] == row[column], (by, column)
            assert "open=" not in row["cases_urls"][column]  # the state says it: no "open = all" on the map


def test_the_map_names_the_codes_a_figure_brought(people, december):
    row = valid_rates(*december, "inspector")[0]
    query = row["cases_urls"]["rejected"].split("?", 1)[1]
    html = manager(people).get(f"/map/?{query}").content.decode()
    config = json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)[1])
    assert config["link_names"] == {"reporter": {"inspector": "王伟"}}


def test_the_evaluation_names_people_departments_and_streets(people, december):
    start, end = december
    assert [(r["subject"], r["name"]) for r in evaluate("inspector", start, end)["rows"]] == [("inspector", "王伟")]
    # The dispatches happened today (the services' clock), with deadlines after it.
    due = day_start(DAY - dt.timedelta(days=1)), day_start(max(timezone.localdate(), DAY) + dt.timedelta(days=30))
    assert [r["name"] for r in evaluate("dispatcher", *due)["rows"]] == ["李娜"]  # dispatched today, not on the 2nd
    departments = {r["subject"]: r["name"] for r in evaluate("department", *due)["rows"]}
    assert departments == {"HZ-HWC": Department.objects.get(code="HZ-HWC").name}
    with translation.override("en"):
        english = {r["subject"]: r["name"] for r in evaluate("department", *due)["rows"]}
    assert english == {"HZ-HWC": Department.objects.get(code="HZ-HWC").name_en}
    street = Area.objects.get(level="street", code="320706006")
    assert [(r["subject"], r["name"]) for r in evaluate("area", *due)["rows"]] == [(street.code, street.name)]
    answer = client_for(people.manager).get("/api/v1/kpi/evaluation/", {"who": "inspector", "start": "2026-12-02",
                                                                         "end": "2026-12-02"}).data
    assert answer["rows"][0]["name"] == "王伟"


def strings(book) -> list[str]:
    return [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]


def test_the_workbook_reads_as_a_report(people, december):
    book = load_workbook(io.BytesIO(workbook(*december)))
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.column_dimensions["A"].width >= 8, sheet.title
    rates = book["有效上报率-监督员"]
    assert [c.value for c in rates[2]] == ["王伟", 4, 2, 1, 1, 0.5] and rates["F2"].number_format == "0.0%"
    assert book["12345时效"]["E2"].number_format == "0.0%" and book["评价-监督员"]["C2"].number_format == "0.0%"
    quota = {row[0].value: row[1] for row in book["年度指标"].iter_rows(min_row=2)}
    assert quota["本年累计有效上报率"].number_format == "0.0%" and quota["进度正常"].value in ("是", "否")
    assert quota["预测方法"].value in ("季节法（按上年各月）", "线性法（按目前进度）")
    words = [w for w in strings(book) if re.search(r"[A-Za-z]{2,}", w)]
    assert words == []  # no inspector, linear, False: every value in Chinese
    with translation.override("en"):
        english = load_workbook(io.BytesIO(workbook(*december)))
    assert {row[0].value: row[1].value for row in english["Annual quota"].iter_rows(min_row=2)}["On pace"] in ("Yes", "No")
    data = {"王伟", "李娜"} | set(Area.objects.values_list("name", flat=True))
    assert [w for w in strings(english) if CHINESE.search(w) and w not in data] == []


def test_an_export_is_named_after_the_days_it_covers(people, december):
    response = manager(people).get("/kpi/export.xlsx", {"start": "2026-12-01", "end": "2026-12-31"})
    assert response["Content-Disposition"] == 'attachment; filename="urbanmgmt-kpi-2026-12-01-to-2026-12-31.xlsx"'
    day = manager(people).get("/kpi/export.xlsx", {"start": "2026-12-02", "end": "2026-12-02"})
    assert day["Content-Disposition"] == 'attachment; filename="urbanmgmt-kpi-2026-12-02.xlsx"'


def test_a_report_has_a_period_picker_its_issuer_and_its_issue_number(people, december):
    html = manager(people).get("/kpi/report/monthly/", {"month": "2026-11"}).content.decode()
    assert '<input type="month" id="report-month" name="month" value="2026-11" required>' in html
    district = Area.objects.filter(level="district").order_by("code").first()
    assert f'<p class="issuer" id="issuer">{district.name}数字化城市管理监督指挥中心</p>' in html
    assert '<span id="issue">2026年第11期</span>' in html and "2026-11 与 2026-10 比较" in html
    daily = manager(people).get("/kpi/report/daily/", {"date": "2026-12-02"}).content.decode()
    assert '<input type="date" id="report-date" name="date" value="2026-12-02" required>' in daily
    assert '<span id="issue">2026年第336期</span>' in daily
    english = manager(people, "en").get("/kpi/report/monthly/", {"month": "2026-11"}).content.decode()
    assert "Year 2026, issue 11" in english and "Digital Urban Management Command Centre" in english
    with override_settings(REPORT_ISSUER="连云港市数字化城市管理监督指挥中心"):
        again = manager(people).get("/kpi/report/monthly/", {"month": "2026-11", "format": "xlsx"})
    overview = dict(load_workbook(io.BytesIO(again.content))["概况"].iter_rows(values_only=True))
    assert overview["印发单位"] == "连云港市数字化城市管理监督指挥中心" and overview["期号"] == "2026年第11期"


def test_a_month_under_way_is_called_partial_beside_the_whole_month_before(people, december):
    first, last = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    with translation.override("zh-hans"):
        partial = comparison("monthly", first, last, dt.date(2026, 11, 1), today=dt.date(2026, 12, 3))
        whole = comparison("monthly", dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 10, 1),
                           today=dt.date(2026, 12, 3))
    assert partial["partial"] and partial["text"] == "2026-12-01 至 2026-12-03（本月未满）与 2026-11 全月比较"
    assert partial["same_days"] == (dt.date(2026, 11, 1), dt.date(2026, 11, 3))
    assert not whole["partial"] and whole["text"] == "2026-11 与 2026-10 比较"
    with translation.override("en"):
        english = comparison("monthly", first, last, dt.date(2026, 11, 1), today=dt.date(2026, 12, 3))
    assert english["text"] == "2026-12-01 to 2026-12-03 (partial month) compared with the whole of 2026-11"
