"""The daily and monthly reports (日报 / 月报) a command centre sends its leaders: what came
in, what was done, what is late, against the period before, as a page and as Excel."""

import datetime as dt
import io

from django.db.models import Count, Q
from django.utils import timezone
from openpyxl import Workbook

from urbanmgmt.cases.models import OPEN_STATES, Case, CaseEvent, Channel, State
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import COUNTS, day_start, next_month, quota_progress, rate
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota

CHANNELS = {Channel.INSPECTOR: "监督员上报", Channel.VIDEO: "视频采集", Channel.HOTLINE: "12345", Channel.OTHER: "其他"}


def period_for(kind: str, value: str) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first, last, previous first, previous last) of a day ('2025-10-09') or a month ('2025-10')."""
    if kind == "daily":
        day = dt.date.fromisoformat(value)
        return day, day, day - dt.timedelta(days=1), day - dt.timedelta(days=1)
    first = dt.date.fromisoformat(value + "-01")
    last = next_month(first) - dt.timedelta(days=1)
    previous_last = first - dt.timedelta(days=1)
    return first, last, previous_last.replace(day=1), previous_last


def summary(kind: str, value: str, area: Area | None = None) -> dict:
    """Everything the report shows, for one day or one month, in an area or the city."""
    first, last, previous_first, previous_last = period_for(kind, value)
    start, end = day_start(first), day_start(last + dt.timedelta(days=1))
    cases = Case.objects.all() if area is None else Case.objects.filter(**{area.level: area})
    came = cases.filter(reported_at__gte=start, reported_at__lt=end)
    before = cases.filter(reported_at__gte=day_start(previous_first),
                          reported_at__lt=day_start(previous_last + dt.timedelta(days=1))).count()
    by_channel = {row["channel"]: row for row in came.values("channel").annotate(**COUNTS)}
    events = CaseEvent.objects.filter(case__in=cases, at__gte=start, at__lt=end).values("action").annotate(n=Count("id"))
    done = {row["action"]: row["n"] for row in events}
    at_end = min(end, timezone.now())
    open_cases = cases.filter(state__in=OPEN_STATES, reported_at__lt=end)
    data = {
        "kind": kind, "title": f"{'日报' if kind == 'daily' else '月报'} {value}", "area": area.name if area else "全市",
        "first": first, "last": last, "total": came.count(), "previous_total": before,
        "channels": [{"name": name, **{k: by_channel.get(code, {}).get(k, 0) for k in COUNTS},
                      "valid_rate": rate(by_channel.get(code, {}).get("filed", 0),
                                         by_channel.get(code, {}).get("reports", 0))}
                     for code, name in CHANNELS.items()],
        "flow": {"立案": done.get("file", 0), "派遣": done.get("dispatch", 0), "处置反馈": done.get("handle", 0),
                 "结案": done.get("close", 0), "回退": done.get("return", 0), "返工": done.get("check_fail", 0)},
        "open_at_end": open_cases.count(),
        "overdue_at_end": open_cases.filter(due_at__lt=at_end).exclude(state=State.SUSPENDED).count(),
        "top_categories": list(came.filter(category__isnull=False).values("category__name_zh")
                               .annotate(n=Count("id")).order_by("-n", "category__name_zh")[:10]),
        "top_streets": list(came.values("street__name").annotate(n=Count("id"), filed=Count("id", filter=Q(
            filed_at__isnull=False))).order_by("-n", "street__name")[:10]),
        "hotline": loop_kpis(start, end, area),
    }
    try:
        data["quota"] = quota_progress(last.year, area if area and area.level == "district" else None,
                                       min(last, timezone.localdate())).as_dict()
    except AnnualQuota.DoesNotExist:
        data["quota"] = None
    return data


def workbook(data: dict) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("概况")
    for row in (["报告", data["title"]], ["区域", data["area"]], ["时段", f"{data['first']} 至 {data['last']}"],
                ["新增上报", data["total"]], ["上期", data["previous_total"]], ["期末在办", data["open_at_end"]],
                ["期末超期", data["overdue_at_end"]]):
        sheet.append(row)
    sheet = book.create_sheet("来源渠道")
    sheet.append(["渠道", "上报", "立案", "不予立案", "待受理", "有效上报率"])
    for row in data["channels"]:
        sheet.append([row["name"], row["reports"], row["filed"], row["rejected"], row["pending"], row["valid_rate"]])
    sheet = book.create_sheet("办理情况")
    for name, n in data["flow"].items():
        sheet.append([name, n])
    sheet = book.create_sheet("高发问题")
    sheet.append(["类别", "数量"])
    for row in data["top_categories"]:
        sheet.append([row["category__name_zh"], row["n"]])
    sheet = book.create_sheet("街道")
    sheet.append(["街道", "上报", "立案"])
    for row in data["top_streets"]:
        sheet.append([row["street__name"], row["n"], row["filed"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
