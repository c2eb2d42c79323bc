"""The managers' pages and workbooks in both languages: Chinese by default, English through
Django's i18n; data (area, category, user names) may stay as it is stored."""

import datetime as dt
import io
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests.builders import client_for, report_case
from tests.jscatalogue import catalogue
from urbanmgmt.cases import services
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.excel import workbook
from urbanmgmt.kpi.loader import load_quotas, load_schemes
from urbanmgmt.kpi.scope import day_start

pytestmark = pytest.mark.django_db
# Han characters, CJK punctuation and full-width forms (（）：，…).
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CHINESE_SHEETS = ["年度指标", "有效上报率-渠道", "有效上报率-监督员", "有效上报率-网格", "有效上报率-社区", "有效上报率-街道",
                  "有效上报率-月份", "12345时效", "专项采集", "评价-监督员", "评价-派遣员", "评价-专业部门", "评价-区域"]
ENGLISH_SHEETS = ["Annual quota", "Valid-report rate - Channel", "Valid-report rate - Inspector",
                  "Valid-report rate - Grid", "Valid-report rate - Community", "Valid-report rate - Street",
                  "Valid-report rate - Month", "12345 timeliness", "Special campaigns", "Evaluation - Inspector",
                  "Evaluation - Dispatcher", "Evaluation - Department", "Evaluation - Area"]


@pytest.fixture
def targets(people, category):
    load_quotas(settings.FIXTURES_DIR / "kpi" / "quotas.json")
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=case.version)


def signed_in(people, language: str | None = None) -> Client:
    client = Client()
    client.force_login(people.manager)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def dashboard(client) -> tuple[str, dict]:
    """The dashboard's own words: its content with the area names (data) taken out, and the
    words it hands its script."""
    html = client.get("/kpi/").content.decode()
    words = json.loads(re.search(r'<script id="kpi-labels" type="application/json">(.*?)</script>', html, re.S)[1])
    title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
    content = html[html.index('<div id="kpi-dashboard"'):html.index("</main>")]
    content = re.sub(r'<script id="kpi-labels".*?</script>', "", content, flags=re.S)
    content = re.sub(r'(<option value="\d+" data-level="\w+">)[^<]*(</option>)', r"\1\2", content)
    return title + content, words


def words_of(value) -> list[str]:
    if isinstance(value, dict):
        return [w for v in value.values() for w in words_of(v)]
    return [value]


def test_the_dashboard_in_english_prints_no_chinese(people, targets):
    page, words = dashboard(signed_in(people, "en"))
    assert "KPI dashboard" in page and "Valid-report rate" in page and "Overall evaluation" in page
    assert 'data-by="inspector" aria-selected="false">Inspector</button>' in page
    assert "Whole city" in page and 'label="Streets"' in page and "E &lt; 40" in page
    assert page.count('data-level="street"') == Area.objects.filter(level="street").count() > 0  # names left out
    assert CHINESE.findall(page) == []
    assert words["loop"]["on_time_signing"] == "On-time signing rate"
    assert [w for w in words_of(words) if CHINESE.search(w)] == []


def test_the_dashboard_in_chinese_keeps_its_terms(people, targets):
    page, words = dashboard(signed_in(people))
    for term in ("考核指标看板", "年度采集指标", "有效上报率", "12345 与处置时效", "综合评价", "等级划分：A ≥ 90", "全市",
                 'label="街道"', ">监督员</button>", ">专业部门</button>", "导出 Excel", "昨日日报", 'data-loading="加载中…"'):
        assert term in page
    assert words["loop"] == {"on_time_signing": "按时签收率", "on_time_completion": "按时办结率",
                             "dispatch_accuracy": "派遣准确率", "satisfaction": "满意率", "actual_resolution": "实际解决率",
                             "online_answer": "在线解答率", "online_answer_consultations": "咨询类在线解答率",
                             "kb_upkeep": "知识库按期复核率"}
    assert words["by"]["month"] == "月份" and words["periods"]["month"] == "月" and words["channels"]["video"] == "视频采集"
    words = catalogue(signed_in(people))
    assert words["%(n)s case"] == ["%(n)s 件"] and words["Target valid-report rate %(target)s; the rows below it are "
                                                       "in red (%(below)s). Click a figure to see its cases, a heading "
                                                       "to sort."].startswith("目标有效上报率 %(target)s，低于目标的行以红色标出")


def test_the_workbook_in_english_has_english_sheets_and_headings(people, targets):
    today = timezone.localdate()
    with translation.override("en"):
        book = load_workbook(io.BytesIO(workbook(day_start(today), day_start(today + dt.timedelta(days=1)))),
                             read_only=True)
    assert book.sheetnames == ENGLISH_SHEETS and all(len(name) <= 31 for name in book.sheetnames)
    headings = {name: next(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    assert headings["Valid-report rate - Inspector"] == ("Inspector", "Reports", "Filed", "Rejected",
                                                         "Awaiting intake", "Valid-report rate")
    assert headings["Valid-report rate - Street"][-1] == "Code"
    assert headings["Evaluation - Department"][2].startswith("Case volume (")
    labels = [row[0] for name in ("Annual quota", "12345 timeliness") for row in book[name].iter_rows(values_only=True)]
    assert "Collection quota" in labels and "Average working days to handle (consultations)" in labels
    assert [w for w in labels + [h for row in headings.values() for h in row] if CHINESE.search(str(w))] == []


def test_the_workbook_in_chinese_is_the_one_managers_know(people, targets):
    today = timezone.localdate()
    book = load_workbook(io.BytesIO(workbook(day_start(today), day_start(today + dt.timedelta(days=1)))),
                         read_only=True)
    assert book.sheetnames == CHINESE_SHEETS
    head = next(book["评价-专业部门"].iter_rows(values_only=True))
    assert head[:2] == ("排名", "对象") and head[2].startswith("业务量（") and head[-2:] == ("综合得分", "等级")
    labels = [row[0] for row in book["12345时效"].iter_rows(values_only=True)]
    assert labels[:2] == ["指标", "按时签收率"] and labels[-2:] == ["平均办理工作日（咨询）", "平均办理工作日（其他）"]


def test_the_daily_report_in_english(people):
    client = signed_in(people, "en")
    html = client.get("/kpi/report/daily/", {"date": "2025-10-09"}).content.decode()
    article = html[html.index('<article class="report">'):html.index("</article>")]
    article = re.sub(r'<p class="issuer" id="issuer">[^<]*</p>', "", article)  # the district's name: data
    assert "Digital urban management daily report 2025-10-09" in article and "2025-10-09 compared with 2025-10-08" in article
    assert "Oct. 9" not in article  # the project's dates are ISO in every language
    assert "Inspector reports" in article and "On-time signing rate" in article and "1. Overview" in article
    assert CHINESE.findall(article) == []
    book = load_workbook(io.BytesIO(client.get("/kpi/report/daily/", {"date": "2025-10-09", "format": "xlsx"}).content),
                         read_only=True)
    assert book.sheetnames == ["Overview", "Channels", "Handling", "Frequent problems", "Streets", "Supervision"]
    assert dict(book["Overview"].iter_rows(values_only=True))["Report"] == "Daily report 2025-10-09"
    bad = client.get("/kpi/report/daily/", {"date": "2025-13-40"})
    assert bad.status_code == 400 and bad.content.decode().startswith("The date must be YYYY-MM-DD")
    chinese = signed_in(people).get("/kpi/report/daily/", {"date": "2025-13-40"})
    assert chinese.content.decode() == "日期格式应为 YYYY-MM-DD（日报）或 YYYY-MM（月报）"


def test_the_indicator_names_and_notes_follow_the_language(people, targets):
    today = timezone.localdate().isoformat()
    period = {"start": today, "end": today}
    english, chinese = client_for(people.manager, "en"), client_for(people.manager, "zh-hans")
    names = [(i["name"], i["formula"]) for i in
             english.get("/api/v1/kpi/evaluation/", {"who": "department", **period}).data["indicators"]]
    assert names[:2] == [("Case volume", "due to be closed ÷ the busiest department's due to be closed"),
                         ("Closure rate", "closed ÷ due to be closed")]
    names = [(i["name"], i["formula"]) for i in
             chinese.get("/api/v1/kpi/evaluation/", {"who": "department", **period}).data["indicators"]]
    assert names[:2] == [("业务量", "应结案数 ÷ 最多部门应结案数"), ("结案率", "结案数 ÷ 应结案数")]
    assert english.get("/api/v1/kpi/hotline/", period).json()["satisfaction"]["note"].startswith("No callbacks")
    assert chinese.get("/api/v1/kpi/hotline/", period).json()["satisfaction"]["note"].startswith("本期没有 12345 工单的回访结果")
