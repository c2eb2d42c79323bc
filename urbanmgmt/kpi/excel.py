"""Every table of the managers' dashboard as one Excel workbook (openpyxl, write-only)."""

import datetime as dt
import io

from django.utils import timezone
from openpyxl import Workbook

from urbanmgmt.kpi.collection import BREAKDOWNS, campaign_progress, quota_progress, valid_rates
from urbanmgmt.kpi.evaluation import WHO, evaluate
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota, EvaluationScheme

BY_NAMES = {"channel": "渠道", "inspector": "监督员", "grid": "网格", "community": "社区", "street": "街道", "month": "月份"}
WHO_NAMES = {"inspector": "监督员", "dispatcher": "派遣员", "department": "专业部门", "area": "区域"}
LOOP_NAMES = {"on_time_signing": "按时签收率", "on_time_completion": "按时办结率", "dispatch_accuracy": "派遣准确率",
              "satisfaction": "满意率", "actual_resolution": "实际解决率"}


def workbook(start: dt.datetime, end: dt.datetime, area=None) -> bytes:
    """The workbook for [start, end) in an area (None: the city)."""
    book = Workbook(write_only=True)
    last_day = (end - dt.timedelta(days=1)).date()
    _quota_sheet(book, last_day.year, area, min(timezone.localdate(), last_day))
    for by in BREAKDOWNS:
        columns = [BY_NAMES[by], "名称", "上报", "立案", "不予立案", "待受理", "有效上报率"]
        sheet = _sheet(book, f"有效上报率-{BY_NAMES[by]}", columns)
        for row in valid_rates(start, end, by, area):
            sheet.append([row["key"], row["label"], row["reports"], row["filed"], row["rejected"], row["pending"],
                          row["valid_rate"]])
    loop = loop_kpis(start, end, area)
    sheet = _sheet(book, "12345时效", ["指标", "分子", "分母", "值", "目标"])
    for key, name in LOOP_NAMES.items():
        sheet.append([name, loop[key]["n"], loop[key]["d"], loop[key]["value"], loop["targets"][key]])
    for kind, value in loop["avg_handling_working_days"].items():
        sheet.append([f"平均办理工作日（{'咨询' if kind == 'consultation' else '其他'}）", None, None, value, None])
    sheet = _sheet(book, "专项采集", ["名称", "开始", "结束", "目标", "已采集", "完成率"])
    for row in campaign_progress(start, end, area):
        sheet.append([row["name"], row["starts_on"], row["ends_on"], row["target_count"], row["count"], row["share"]])
    for who in WHO:
        _evaluation_sheet(book, who, start, end)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def store_days(first: dt.date, last: dt.date) -> int:
    """Store the per-day figures (kpi/daily.py) of [first, last] for every table of the
    workbook (the figures of the days before the live window); how many days are stored now."""
    from urbanmgmt.kpi.collection import day_start
    from urbanmgmt.kpi.models import DayDone

    workbook(day_start(first), day_start(last + dt.timedelta(days=1)))
    return DayDone.objects.filter(day__gte=first, day__lte=last).count()


def _sheet(book, title: str, header: list[str]):
    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    return sheet


def _quota_sheet(book, year: int, area, as_of: dt.date) -> None:
    sheet = _sheet(book, "年度指标", ["项目", "值"])
    try:
        progress = quota_progress(year, area, as_of).as_dict()
    except AnnualQuota.DoesNotExist:
        sheet.append(["说明", f"{year} 年未设置年度指标"])
        return
    labels = {"year": "年份", "as_of": "截至", "quota": "采集指标", "collected": "已采集", "filed": "已立案",
              "valid_rate": "有效上报率", "valid_rate_target": "有效上报率目标", "working_days_remaining": "剩余工作日",
              "needed_per_working_day": "每工作日需采集", "pace_per_working_day": "每工作日实际采集",
              "expected_by_now": "按进度应采集", "projection": "年底预计", "projection_low": "预计下限",
              "projection_high": "预计上限", "method": "预测方法", "on_pace": "进度正常"}
    for key, label in labels.items():
        sheet.append([label, progress[key]])


def _evaluation_sheet(book, who: str, start, end) -> None:
    try:
        result = evaluate(who, start, end)
    except EvaluationScheme.DoesNotExist:
        _sheet(book, f"评价-{WHO_NAMES[who]}", ["说明"]).append(["该时段没有生效的评价方案"])
        return
    keys = [i["key"] for i in result["indicators"]]
    sheet = _sheet(book, f"评价-{WHO_NAMES[who]}",
                   ["排名", "对象"] + [f"{i['name']}（{i['weight']}%）" for i in result["indicators"]] + ["综合得分", "等级"])
    for row in result["rows"]:
        sheet.append([row.get("rank"), row["subject"]] + [row["values"][k]["value"] for k in keys]
                     + [row["score"], row["grade"]])
