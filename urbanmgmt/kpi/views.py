"""The managers' dashboard page, its Excel export, and the daily and monthly reports."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.api import MANAGERS, messages_of, period_of
from urbanmgmt.kpi.excel import BY_NAMES, LOOP_NAMES, WHO_NAMES, workbook
from urbanmgmt.kpi.models import AnnualQuota, EvaluationScheme
from urbanmgmt.kpi.reports import CHANNELS, NotYet, period_for, summary
from urbanmgmt.kpi.reports import workbook as report_workbook
from urbanmgmt.kpi.tasks import make_report, make_workbook
from urbanmgmt.kpi.xlsx import file_name
from urbanmgmt.org.roles import require_role
from urbanmgmt.storage import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PERIODS = {"day": pgettext_lazy("kpi period", "Day"), "week": pgettext_lazy("kpi period", "Week"),
           "month": pgettext_lazy("kpi period", "Month"), "quarter": pgettext_lazy("kpi period", "Quarter"),
           "year": pgettext_lazy("kpi period", "Year"), "custom": pgettext_lazy("kpi period", "Custom")}
LEVELS = {"district": pgettext_lazy("kpi", "Districts"), "street": pgettext_lazy("kpi", "Streets"),
          "community": pgettext_lazy("kpi", "Communities")}


def _labels() -> dict:
    """The labels the dashboard shares with the Excel workbook, in the user's language.

    Defined once beside the workbook; the script's own words come from Django's JavaScript
    catalogue (djangojs.po)."""
    return {"by": {key: str(text) for key, text in BY_NAMES.items()},
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
        "year": today.year, "today": today.isoformat(), "areas": areas, "labels": _labels(), "periods": PERIODS,
        "table_rows": settings.KPI_TABLE_ROWS,
        "by_names": BY_NAMES, "who_names": WHO_NAMES, "targets": _targets(request.user)})


def _targets(user) -> dict:
    """Which quotas and schemes are set, so that the dashboard asks only for figures that can
    exist and says plainly what is not set yet; where to set them, for a user who may."""
    quotas: dict = {}
    for year, code in AnnualQuota.objects.values_list("year", "area__code"):
        quotas.setdefault(str(year), []).append(code or "")
    first = EvaluationScheme.objects.order_by("valid_from").values_list("valid_from", flat=True).first()

    def admin_url(model, name: str) -> str:
        may = user.is_staff and user.has_perm(f"kpi.add_{model._meta.model_name}")
        return reverse(f"admin:kpi_{model._meta.model_name}_{name}") if may else ""

    return {"quotas": quotas, "schemes_from": first.isoformat() if first else None,
            "quota_admin": admin_url(AnnualQuota, "add"), "scheme_admin": admin_url(EvaluationScheme, "add")}


@login_required
def export(request):
    """The workbook of the period, at once for up to EXPORT_IMMEDIATE_MAX_DAYS days; a longer
    period is asked for with a POST to /kpi/export/ (`ask_export`) and made in the background."""
    require_role(request.user, *MANAGERS)
    try:
        start, end, area = period_of(request.GET)
    except ValidationError as error:
        return HttpResponse(f"{error.detail}", status=400, content_type="text/plain; charset=utf-8")
    if not at_once(start.date(), (end - dt.timedelta(days=1)).date()):
        return HttpResponse(_("A workbook of more than %(n)s days is made in the background: ask for it on the "
                              "dashboard, it is kept under My exports.") % {"n": settings.EXPORT_IMMEDIATE_MAX_DAYS},
                            status=400, content_type="text/plain; charset=utf-8")
    name = file_name("urbanmgmt-kpi", start.date(), (end - dt.timedelta(days=1)).date())
    response = HttpResponse(workbook(start, end, area), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def at_once(first: dt.date, last: dt.date) -> bool:
    """Whether a workbook or report of the days [first, last] is made in the request (up to
    settings.EXPORT_IMMEDIATE_MAX_DAYS days), not by the task worker."""
    return (last - first).days + 1 <= settings.EXPORT_IMMEDIATE_MAX_DAYS


@require_POST
@login_required
def ask_export(request):
    """The dashboard's "Export to Excel": JSON with `download` (the workbook at once) for a
    short period, else 202 with the job making it in the background (one job however often
    the same workbook is asked for while it is made)."""
    require_role(request.user, *MANAGERS)
    try:
        start, end, area = period_of(request.GET)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(map(str, messages_of(error.detail)))}, status=400)
    last = (end - dt.timedelta(days=1)).date()
    if at_once(start.date(), last):
        return JsonResponse({"download": f"{reverse('kpi-export')}?{request.META.get('QUERY_STRING', '')}"})
    period = {key: request.GET[key] for key in ("start", "end", "area") if request.GET.get(key)}
    title = _("KPI workbook, %(first)s to %(last)s, %(area)s") % {
        "first": start.date().isoformat(), "last": last.isoformat(), "area": area.name if area else _("Whole city")}
    job = exports.ask(make_workbook, request.user, title, period=period)
    return JsonResponse(exports.status(job, request.user), status=202, json_dumps_params={"ensure_ascii": False})


@require_POST
@login_required
def ask_report(request, kind: str):
    """The report's "Export to Excel" of the day (?date=) or month (?month=): JSON with
    `download` (the report's own ?format=xlsx, made at once) for a period of up to
    EXPORT_IMMEDIATE_MAX_DAYS days, as `ask_export`; else 202 with the job making it in the
    background, one job while it is made."""
    require_role(request.user, *MANAGERS)
    field = "date" if kind == "daily" else "month"
    value = request.GET.get(field) or ""
    area_code = request.GET.get("area") or ""
    try:
        first, last, _before, _end_before = period_for(kind, value)
    except ValueError as error:
        return JsonResponse({"detail": _bad_report_date(error)}, status=400)
    area = Area.objects.filter(code=area_code).first() if area_code else None
    if area_code and area is None:
        return JsonResponse({"detail": _("No area with the code %(code)s.") % {"code": area_code}}, status=404)
    if at_once(first, last):
        query = urlencode({field: value, **({"area": area_code} if area_code else {}), "format": "xlsx"})
        return JsonResponse({"download": f"{reverse(f'kpi-{kind}')}?{query}"})
    title = (_("Daily report %(value)s") if kind == "daily" else _("Monthly report %(value)s")) % {"value": value}
    if area is not None:
        title = f"{title} · {area.name}"
    job = exports.ask(make_report, request.user, title, kind=kind, value=value, area=area_code)
    return JsonResponse(exports.status(job, request.user), status=202, json_dumps_params={"ensure_ascii": False})


def _bad_report_date(error: ValueError) -> str:
    if isinstance(error, NotYet):
        return str(error)
    return _("The date must be YYYY-MM-DD (daily report) or YYYY-MM (monthly report).")


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
    except ValueError as error:
        return HttpResponse(_bad_report_date(error), status=400, content_type="text/plain; charset=utf-8")
    if area_code and area is None:
        return HttpResponse(_("No area with the code %(code)s.") % {"code": area_code}, status=404,
                            content_type="text/plain; charset=utf-8")
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(report_workbook(data), content_type=XLSX)
        # The period's own name: urbanmgmt-daily-2026-12-03, urbanmgmt-monthly-2026-11.
        response["Content-Disposition"] = f'attachment; filename="urbanmgmt-{kind}-{value}.xlsx"'
        return response
    return render(request, "kpi/report.html", {"r": data, "value": value, "kind": kind, "area_code": area_code or ""})
