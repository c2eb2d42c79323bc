"""The daily and monthly reports (日报 / 月报) a command centre sends its leaders: what came
in, what was done, what is late, against the period before, as a page and as Excel."""

import datetime as dt
import io

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook

from urbanmgmt.cases.models import Case, CaseEvent, Channel
from urbanmgmt.catalog.models import in_language
from urbanmgmt.grids.models import Area
from urbanmgmt.kpi import xlsx
from urbanmgmt.kpi.collection import COUNTS, next_month, quota_progress, rate
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.supervision.indicators import period_figures
from urbanmgmt.supervision.models import Level

CHANNELS = {Channel.INSPECTOR: gettext_lazy("Inspector reports"), Channel.VIDEO: gettext_lazy("Video capture"),
            Channel.HOTLINE: "12345", Channel.OTHER: gettext_lazy("Other")}


class NotYet(ValueError):
    """A report asked for a day or month that has not begun: nothing to report yet."""


def period_for(kind: str, value: str) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(first, last, previous first, previous last) of a day ('2025-10-09') or a month ('2025-10')
    that has begun (NotYet for one to come)."""
    if kind == "daily":
        first = last = dt.date.fromisoformat(value)
        previous_first = previous_last = first - dt.timedelta(days=1)
    else:
        first = dt.date.fromisoformat(value + "-01")
        last = next_month(first) - dt.timedelta(days=1)
        previous_last = first - dt.timedelta(days=1)
        previous_first = previous_last.replace(day=1)
    if first > timezone.localdate():
        raise NotYet(_("%(day)s has not come yet: there is nothing to report.") % {"day": value})
    return first, last, previous_first, previous_last


def issuer() -> str:
    """Who issues the reports: settings.REPORT_ISSUER, else the command centre of the city's
    first district (the area data)."""
    if settings.REPORT_ISSUER:
        return settings.REPORT_ISSUER
    district = Area.objects.filter(level="district").order_by("code").first()
    return _("%(area)s Digital Urban Management Command Centre") % {"area": district.name if district else ""}


def issue_number(kind: str, first: dt.date) -> str:
    """期号, from the date alone so that a report keeps its number: the day of the year for a
    daily report, the month for a monthly one."""
    number = first.timetuple().tm_yday if kind == "daily" else first.month
    return _("Year %(year)s, issue %(number)s") % {"year": first.year, "number": number}


def comparison(kind: str, first: dt.date, last: dt.date, previous_first: dt.date, today: dt.date) -> dict:
    """What the period is compared with, in words; a month still under way is said to be partial
    and is also set beside the same days of the month before."""
    if kind == "daily" or today >= last or today < first:
        return {"partial": False, "text": _("%(this)s compared with %(before)s") % {
            "this": _date(first, kind), "before": _date(previous_first, kind)}}
    same_days_end = previous_first + dt.timedelta(days=(today - first).days)
    return {"partial": True, "through": today, "same_days": (previous_first, same_days_end),
            "text": _("%(first)s to %(last)s (partial month) compared with the whole of %(before)s") % {
                "first": first.isoformat(), "last": today.isoformat(), "before": _date(previous_first, kind)}}


def _date(day: dt.date, kind: str) -> str:
    """A day as 2026-11-01, a month as 2026-11, in every language, as the other pages write them."""
    return day.isoformat() if kind == "daily" else f"{day:%Y-%m}"


def summary(kind: str, value: str, area: Area | None = None) -> dict:
    """Everything the report shows, for one day or one month, in an area or the city."""
    first, last, previous_first, previous_last = period_for(kind, value)
    compared = comparison(kind, first, last, previous_first, timezone.localdate())
    start, end = day_start(first), day_start(last + dt.timedelta(days=1))
    cases = Case.objects.all() if area is None else Case.objects.filter(**{area.level: area})
    came = cases.filter(reported_at__gte=start, reported_at__lt=end)
    before = cases.filter(reported_at__gte=day_start(previous_first),
                          reported_at__lt=day_start(previous_last + dt.timedelta(days=1))).count()
    by_channel = {row["channel"]: row for row in came.values("channel").annotate(**COUNTS)}
    events = CaseEvent.objects.filter(case__in=cases, at__gte=start, at__lt=end).values("action").annotate(n=Count("id"))
    done = {row["action"]: row["n"] for row in events}
    at_end = min(end, timezone.now())
    title = _("Daily report %(value)s") if kind == "daily" else _("Monthly report %(value)s")
    heading = (_("Digital urban management daily report %(value)s") if kind == "daily"
               else _("Digital urban management monthly report %(value)s"))
    if compared["partial"]:
        start_before, end_before = (day_start(day) for day in compared["same_days"])
        compared["same_days_total"] = cases.filter(reported_at__gte=start_before,
                                                   reported_at__lt=end_before + dt.timedelta(days=1)).count()
    data = {
        "kind": kind, "title": title % {"value": value}, "heading": heading % {"value": value},
        "area": area.name if area else _("Whole city"),
        "issuer": issuer(), "issue": issue_number(kind, first), "compared": compared,
        "first": first, "last": last, "total": came.count(), "previous_total": before,
        "channels": [{"name": str(name), **{k: by_channel.get(code, {}).get(k, 0) for k in COUNTS},
                      "valid_rate": rate(by_channel.get(code, {}).get("filed", 0),
                                         by_channel.get(code, {}).get("reports", 0))}
                     for code, name in CHANNELS.items()],
        "flow": {pgettext("kpi", "Filed"): done.get("file", 0), pgettext("kpi", "Dispatched"): done.get("dispatch", 0),
                 pgettext("kpi", "Handled and replied"): done.get("handle", 0), pgettext("kpi", "Closed"): done.get("close", 0),
                 pgettext("kpi", "Returned"): done.get("return", 0), pgettext("kpi", "Reworked"): done.get("check_fail", 0)},
        "open_at_end": cases.open_at(at_end).count(),
        "overdue_at_end": cases.overdue_at(at_end).count(),
        "top_categories": [{"name": in_language(row["category__name_zh"], row["category__name_en"]), "n": row["n"]}
                           for row in came.filter(category__isnull=False).values("category__name_zh", "category__name_en")
                           .annotate(n=Count("id")).order_by("-n", "category__name_zh")[:10]],
        "streets": list(came.values("street__name").annotate(n=Count("id"), filed=Count("id", filter=Q(
            filed_at__isnull=False))).order_by("-n", "street__name")),
        "hotline": loop_kpis(start, end, area),
        "supervision": supervision_figures(start, end, area),
    }
    try:
        data["quota"] = quota_progress(last.year, area if area and area.level == "district" else None,
                                       min(last, timezone.localdate())).as_dict()
    except AnnualQuota.DoesNotExist:
        data["quota"] = None
    return data


def workbook(data: dict) -> bytes:
    """The report as Excel: the same sections as the page, rates as percentages."""
    book = Workbook(write_only=True)
    sheet = xlsx.sheet(book, _("Overview"), [_("Report"), data["title"]], widths=[22, 48])
    for row in ([_("Issued by"), data["issuer"]], [_("Issue"), data["issue"]], [pgettext("kpi", "Area"), data["area"]],
                [_("Period"), _("%(first)s to %(last)s") % {"first": data["first"], "last": data["last"]}],
                [_("Compared"), data["compared"]["text"]],
                [_("New reports"), xlsx.count(sheet, data["total"])],
                [_("Previous period"), xlsx.count(sheet, data["previous_total"])],
                [_("Open at the end"), xlsx.count(sheet, data["open_at_end"])],
                [_("Overdue at the end"), xlsx.count(sheet, data["overdue_at_end"])]):
        xlsx.append(sheet, row)
    sheet = xlsx.sheet(book, _("Channels"), [pgettext("kpi", "Channel"), pgettext("kpi", "Reports"),
                                             pgettext("kpi", "Filed"), pgettext("kpi", "Rejected"),
                                             pgettext("kpi", "Awaiting intake"), _("Valid-report rate")],
                       widths=[16, 10, 10, 10, 12, 14])
    for row in data["channels"]:
        xlsx.append(sheet, [row["name"], *xlsx.counts(sheet, [row[k] for k in COUNTS]),
                            xlsx.percent(sheet, row["valid_rate"])])
    sheet = xlsx.sheet(book, _("Handling"), [_("Step"), pgettext("kpi", "Count")], widths=[20, 10])
    for name, n in data["flow"].items():
        xlsx.append(sheet, [name, xlsx.count(sheet, n)])
    sheet = xlsx.sheet(book, _("Frequent problems"), [_("Category"), pgettext("kpi", "Count")], widths=[30, 10])
    for row in data["top_categories"]:
        xlsx.append(sheet, [row["name"], xlsx.count(sheet, row["n"])])
    sheet = xlsx.sheet(book, pgettext("kpi", "Streets"), [pgettext("kpi", "Street"), pgettext("kpi", "Reports"),
                                                          pgettext("kpi", "Filed")], widths=[24, 10, 10])
    for row in data["streets"]:
        xlsx.append(sheet, [row["street__name"], *xlsx.counts(sheet, [row["n"], row["filed"]])])
    supervision_sheet(book, data["supervision"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def supervision_figures(start: dt.datetime, end: dt.datetime, area: Area | None = None) -> dict:
    """The report's supervision (督办) lines for [start, end) in an area or the city."""
    return period_figures(start, end, area)


def supervision_sheet(book: Workbook, figures: dict) -> None:
    """The workbook's sheet of supervision figures."""
    sheet = xlsx.sheet(book, _("Supervision"), [_("Figure"), pgettext("kpi", "Count")], widths=[30, 10])
    for row in ([_("Notices raised"), figures["raised"]],
                *[[str(Level(level).label), n] for level, n in figures["by_level"].items()],
                [_("Escalated for a late answer"), figures["escalated"]], [_("Answers"), figures["answered"]],
                [_("Answered on time"), figures["answered_on_time"]], [pgettext("supervision", "Closed"), figures["closed"]],
                [_("Notices open at the end"), figures["open_at_end"]]):
        xlsx.append(sheet, [row[0], xlsx.count(sheet, row[1])])
