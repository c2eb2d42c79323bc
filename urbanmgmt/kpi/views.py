"""The managers' dashboard page, its Excel export, and the daily and monthly reports."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy
from rest_framework.exceptions import ValidationError

from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.api import MANAGERS, period_of
from urbanmgmt.kpi.excel import BY_NAMES, LOOP_NAMES, WHO_NAMES, workbook
from urbanmgmt.kpi.reports import CHANNELS, summary
from urbanmgmt.kpi.reports import workbook as report_workbook
from urbanmgmt.org.roles import require_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PERIODS = {"day": pgettext_lazy("kpi period", "Day"), "week": pgettext_lazy("kpi period", "Week"),
           "month": pgettext_lazy("kpi period", "Month"), "quarter": pgettext_lazy("kpi period", "Quarter"),
           "year": pgettext_lazy("kpi period", "Year"), "custom": pgettext_lazy("kpi period", "Custom")}
LEVELS = {"district": pgettext_lazy("kpi", "Districts"), "street": pgettext_lazy("kpi", "Streets"),
          "community": pgettext_lazy("kpi", "Communities")}
# The words of the dashboard's script (it has no catalogue of its own); %(name)s is filled in by the script.
STRINGS = {
    "whole_city": gettext_lazy("Whole city"), "unnamed": gettext_lazy("(unnamed)"), "unspecified": gettext_lazy("(not given)"),
    # A count's words, for one and for more (the script picks: count() in dashboard.js).
    "pieces_one": ngettext_lazy("%(n)s case", "%(n)s cases", 1), "pieces": ngettext_lazy("%(n)s case", "%(n)s cases", 2),
    "days_one": ngettext_lazy("%(n)s day", "%(n)s days", 1), "days": ngettext_lazy("%(n)s day", "%(n)s days", 2),
    "working_days": gettext_lazy("%(n)s working days"), "no_data": gettext_lazy("No data yet"),
    "range": gettext_lazy("%(first)s to %(last)s"),
    "period_text": gettext_lazy("Period (%(kind)s): %(range)s · %(area)s · today %(today)s"),
    "export_text": gettext_lazy("%(range)s, %(area)s"),
    "choose_dates": gettext_lazy("Choose a start date and an end date."),
    "start_after_end": gettext_lazy("The start date cannot be after the end date."),
    "see_cases": gettext_lazy("See these cases on the map"), "see_these": gettext_lazy("See these cases"),
    "note_see_cases": gettext_lazy("%(note)s. See these cases"),
    "load_failed": gettext_lazy("Could not load %(what)s (HTTP %(status)s%(text)s)"),
    "load_offline": gettext_lazy("Could not load %(what)s: the server cannot be reached"),
    "render_failed": gettext_lazy("Error while showing %(what)s"),
    "not_json": gettext_lazy("The server did not answer with JSON data"),
    "labelled": gettext_lazy("%(label)s: %(text)s"), "list_sep": gettext_lazy("; "),
    "status_400": gettext_lazy("bad request parameters"),
    "status_401": gettext_lazy("not signed in, or the session has expired: sign in again"),
    "status_403": gettext_lazy("no permission to see these figures"), "status_404": gettext_lazy("no data found"),
    "status_500": gettext_lazy("internal server error"), "status_502": gettext_lazy("gateway error"),
    "status_503": gettext_lazy("service unavailable"), "status_504": gettext_lazy("gateway timeout"),
    # 1. the annual quota
    "quota": gettext_lazy("annual collection quota"), "no_quota": gettext_lazy("No annual collection quota is set"),
    "quota_bar": gettext_lazy("Collected, as a share of the annual quota"),
    "quota_marker": gettext_lazy("Due by %(date)s at this pace: %(n)s cases"),
    "quota_sub": gettext_lazy("%(year)s · as of %(date)s · %(area)s"), "of_quota": gettext_lazy(" / %(n)s cases"),
    "on_pace": gettext_lazy("On pace"), "behind": gettext_lazy("Behind pace"), "done": gettext_lazy("Done %(share)s"),
    "expected": gettext_lazy("Due by now at this pace: %(n)s cases"), "expected_share": gettext_lazy(" (%(share)s)"),
    "days_left": gettext_lazy("Working days left"),
    "days_elapsed": gettext_lazy(" (%(elapsed)s of %(total)s days gone)"),
    "needed": gettext_lazy("To collect each working day"), "pace": gettext_lazy("Collected per working day so far"),
    "projection": gettext_lazy("Projected for the year"),
    "projection_range": gettext_lazy(" (95%% range %(low)s–%(high)s, method: %(method)s)"),
    "method_seasonal": gettext_lazy("seasonal"), "method_linear": gettext_lazy("linear"),
    "valid_rate": gettext_lazy("Valid-report rate"),
    "valid_rate_note": gettext_lazy(" (target %(target)s; filed: %(filed)s)"),
    "awaiting": pgettext_lazy("kpi", "Awaiting intake"),
    "quota_summary": gettext_lazy("Working days left: %(days)s; to collect each working day: %(needed)s; "
                                  "collected per working day so far: %(pace)s."),
    # 2. the valid-report rate
    "reports": pgettext_lazy("kpi", "Reports"), "filed": pgettext_lazy("kpi", "Filed"),
    "rejected": pgettext_lazy("kpi", "Rejected"), "no_reports": gettext_lazy("No reports in this period."),
    "sort_by": gettext_lazy("Click to sort by “%(column)s”"), "below_target": gettext_lazy("Below the target %(target)s"),
    "rate_note": gettext_lazy("Target valid-report rate %(target)s; the rows below it are in red (%(below)s). "
                              "Click a figure to see its cases, a heading to sort."),
    "no_chart": gettext_lazy("The chart could not be loaded: the table only."),
    "reports_axis": gettext_lazy("Reports (cases)"), "target_line": gettext_lazy("Target %(target)s"),
    # 3. 12345 and timeliness
    "hotline": gettext_lazy("12345 and timeliness"), "target": gettext_lazy("Target %(target)s"),
    "met": gettext_lazy(" · met"), "not_met": gettext_lazy(" · not met"),
    "avg_handling": gettext_lazy("Average handling time (working days)"),
    "consultation": pgettext_lazy("kpi", "Consultations"), "other": pgettext_lazy("kpi", "Others"),
    # 4. campaigns
    "campaigns": gettext_lazy("special collection campaigns"), "no_campaigns": gettext_lazy("No special collection campaigns"),
    "campaign_target": gettext_lazy(" / target %(target)s"),
    # 5. evaluation
    "evaluation": gettext_lazy("overall evaluation"),
    "evaluation_info": gettext_lazy("Evaluated: %(who)s · scheme version %(scheme)s"),
    "evaluation_city": gettext_lazy(" · the overall evaluation covers the whole city, whatever the area chosen"),
    "no_subjects": gettext_lazy("Nothing to evaluate in this period."), "rank": gettext_lazy("Rank"),
    "subject": gettext_lazy("Subject"), "weight": gettext_lazy("weight %(weight)s"),
    "formula": gettext_lazy("%(name)s: %(formula)s"), "score": gettext_lazy("Overall score"), "grade": gettext_lazy("Grade"),
    "grade_title": gettext_lazy("Grade %(grade)s"), "nothing_counted": gettext_lazy("Nothing to count"),
    "nothing_counted_nd": gettext_lazy("Nothing to count (%(n)s / %(d)s)"),
    "evaluation_note": gettext_lazy("Hover over an indicator's name to see its formula; “—” means the subject had "
                                    "nothing to count in this period and is scored without it."),
}


def _words() -> dict:
    """The dashboard script's words in the user's language."""
    return {"t": {key: str(text) for key, text in STRINGS.items()},
            "by": {key: str(text) for key, text in BY_NAMES.items()},
            "who": {key: str(text) for key, text in WHO_NAMES.items()},
            "loop": {key: str(text) for key, text in LOOP_NAMES.items()},
            "periods": {key: str(text) for key, text in PERIODS.items()},
            "channels": {str(key): str(text) for key, text in CHANNELS.items()}}


@login_required
def dashboard(request):
    require_role(request.user, *MANAGERS)
    today = timezone.localdate()
    areas = list(Area.objects.filter(level__in=["district", "street"]).order_by("level", "code")
                 .values("code", "name", "level"))
    for area in areas:
        area["level_name"] = LEVELS.get(area["level"], area["level"])
    return render(request, "kpi/dashboard.html", {
        "year": today.year, "today": today.isoformat(), "areas": areas, "words": _words(), "periods": PERIODS,
        "by_names": BY_NAMES, "who_names": WHO_NAMES})


@login_required
def export(request):
    require_role(request.user, *MANAGERS)
    try:
        start, end, area = period_of(request.GET)
    except ValidationError as error:
        return HttpResponse(f"{error.detail}", status=400, content_type="text/plain; charset=utf-8")
    name = f"urbanmgmt-kpi-{start.date()}-{(end.date())}.xlsx"
    response = HttpResponse(workbook(start, end, area), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def report(request, kind: str):
    """日报 (?date=YYYY-MM-DD) or 月报 (?month=YYYY-MM), printable; ?format=xlsx for Excel."""
    require_role(request.user, *MANAGERS)
    today = timezone.localdate()
    value = request.GET.get("date" if kind == "daily" else "month") or (
        (today - dt.timedelta(days=1)).isoformat() if kind == "daily" else today.isoformat()[:7])
    area_code = request.GET.get("area") or None
    area = Area.objects.filter(code=area_code).first() if area_code else None
    try:
        data = summary(kind, value, area)
    except ValueError:
        return HttpResponse(_("The date must be YYYY-MM-DD (daily report) or YYYY-MM (monthly report)."), status=400,
                            content_type="text/plain; charset=utf-8")
    if area_code and area is None:
        return HttpResponse(_("No area with the code %(code)s.") % {"code": area_code}, status=404,
                            content_type="text/plain; charset=utf-8")
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(report_workbook(data), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="urbanmgmt-{kind}-{value}.xlsx"'
        return response
    return render(request, "kpi/report.html", {"r": data, "value": value, "kind": kind})
