"""The managers' patrol page (/kpi/patrols/): the table per inspector, the days of one, the
workbook, in Chinese by default and in English; only managers open it."""

import datetime as dt
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.patrols.track import MON, TUE

pytestmark = pytest.mark.django_db
PERIOD = {"start": MON.isoformat(), "end": TUE.isoformat()}


def signed_in(user, language=None) -> Client:
    client = Client(headers={"accept-language": language} if language else {})
    client.force_login(user)
    return client


def test_table_per_inspector_in_chinese(example, people):
    page = signed_in(people.manager).get("/kpi/patrols/", PERIOD)
    assert page.status_code == 200
    text = page.content.decode()
    assert "在岗率" in text and "网格巡查覆盖率" in text
    rows = {r["username"]: r for r in page.context["rows"]}
    assert rows["inspector"]["attendance_pct"] == "46.7%" and rows["inspector"]["coverage_pct"] == "16.7%"
    assert rows["second"]["attendance_pct"] == "0.0%"
    assert 'data-inspector="inspector"' in text


def test_drill_down_per_day_in_english(example, people):
    page = signed_in(people.manager, "en").get("/kpi/patrols/", {**PERIOD, "inspector": "inspector"})
    assert page.status_code == 200
    days = page.context["days"]
    assert [d["day"] for d in days] == [MON, TUE]
    assert (days[0]["hours"], days[0]["grids"], days[0]["coverage_pct"]) == (4.5, 3, "25.0%")
    assert days[1]["workday"] is False and days[1]["coverage_pct"] == "8.3%"
    text = page.content.decode()
    assert "Attendance rate (patrol)" not in text and "Grid coverage" in text and "在岗率" in text  # the definition names it
    assert "#patrol=inspector&amp;day=2026-11-16" in text
    assert signed_in(people.manager).get("/kpi/patrols/", {**PERIOD, "inspector": "nobody"}).status_code == 404


def test_a_period_without_patrols_says_so_rather_than_showing_zeros_alone(example, people):
    """The demo city has no patrols: its page read 0 for every inspector, with nothing to say
    why. A period nobody patrolled says so, above the table; one with patrols does not."""
    before = {"start": (MON - dt.timedelta(days=14)).isoformat(), "end": (MON - dt.timedelta(days=8)).isoformat()}
    text = signed_in(people.manager).get("/kpi/patrols/", before).content.decode()
    assert 'id="no-patrols"' in text and "本时段没有监督员的巡查记录" in text and 'id="patrol-inspectors"' in text
    text = signed_in(people.manager, "en").get("/kpi/patrols/", {**before, "inspector": "inspector"}).content.decode()
    assert "No patrol recorded in this period: its figures are zero." in text
    assert 'id="no-patrols"' not in signed_in(people.manager).get("/kpi/patrols/", PERIOD).content.decode()
    days = signed_in(people.manager).get("/kpi/patrols/", {**PERIOD, "inspector": "inspector"}).content.decode()
    assert 'id="no-patrols"' not in days


def test_the_rule_reads_right_in_english_for_one_minute_and_for_many(example, people, settings):
    rule = "A working day counts as on duty with at least {} of patrol within working hours."
    assert rule.format(f"{settings.PATROL_ATTENDANCE_MIN_MINUTES} minutes") in signed_in(
        people.manager, "en").get("/kpi/patrols/", PERIOD).content.decode()
    settings.PATROL_ATTENDANCE_MIN_MINUTES = 1
    assert rule.format("1 minute") in signed_in(people.manager, "en").get("/kpi/patrols/", PERIOD).content.decode()
    assert "巡查不少于 1 分钟" in signed_in(people.manager).get("/kpi/patrols/", PERIOD).content.decode()


def test_workbook(example, people):
    answer = signed_in(people.manager).get("/kpi/patrols/export.xlsx", PERIOD)
    assert answer.status_code == 200 and "urbanmgmt-patrols-2026-11-16-to-2026-11-17.xlsx" in answer["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["监督员巡查统计", "巡查按日统计"]
    rows = list(book["监督员巡查统计"].iter_rows(values_only=True))
    assert rows[0][0] == "监督员" and rows[1][0] == "inspector" and rows[1][7] == pytest.approx(12600 / 27000)
    days = list(book["巡查按日统计"].iter_rows(values_only=True))
    assert len(days) == 1 + 2 + 1  # the inspector's two days, the other's working day


def test_only_managers(example, people):
    for who in (people.inspector, people.handler, people.outsider):
        assert signed_in(who).get("/kpi/patrols/", PERIOD).status_code == 403
    assert signed_in(people.manager).get("/kpi/patrols/", {"start": "2026-11-17", "end": "2026-11-01"}).status_code == 400


@pytest.mark.parametrize(("language", "said"), [("zh-hans", "结束日期早于开始日期。"),
                                               ("en", "The period ends before it starts.")])
def test_a_wrong_period_gives_the_page_back_with_the_dates_as_typed_and_why(example, people, language, said):
    """It answered a bare dump of the serializer's errors ({'non_field_errors': [ErrorDetail(…)]})
    with no way back to the form; the export did the same."""
    for path in ("/kpi/patrols/", "/kpi/patrols/export.xlsx"):
        page = signed_in(people.manager, language).get(path, {"start": "2026-12-06", "end": "2026-12-01",
                                                              "inspector": "inspector"})
        text = page.content.decode()
        assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
        assert f'<p class="error" id="patrol-error" role="alert">{said}</p>' in text, text
        assert 'value="2026-12-06"' in text and 'value="2026-12-01"' in text and 'name="inspector" value="inspector"' in text
        assert "ErrorDetail" not in text and "patrol-export" not in text and "<table" not in text
    typo = signed_in(people.manager, language).get("/kpi/patrols/", {"start": "garbage", "end": "2026-12-06"})
    assert typo.status_code == 400 and 'value="garbage"' in typo.content.decode() and "ErrorDetail" not in typo.content.decode()
