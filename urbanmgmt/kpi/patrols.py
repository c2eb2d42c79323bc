"""The managers' patrol page (/kpi/patrols/): per inspector over a period, per day for one
inspector, and the same as an Excel workbook. The figures are urbanmgmt/patrols/figures.py's."""

import datetime as dt
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook
from rest_framework.exceptions import ValidationError

from urbanmgmt.cases import worktime
from urbanmgmt.kpi.api import MANAGERS, PeriodQuery, messages_of
from urbanmgmt.kpi.xlsx import append, count, file_name, number, percent, sheet
from urbanmgmt.org.names import person_names
from urbanmgmt.org.roles import require_role
from urbanmgmt.patrols import figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The columns of the table, the drill-down and the workbook, defined once.
PERIOD_COLUMNS = {
    "name": pgettext_lazy("kpi", "Inspector"), "assigned": gettext_lazy("Assigned grids"),
    "hours": gettext_lazy("Patrol hours"), "km": gettext_lazy("Distance (km)"),
    "coverage": gettext_lazy("Grid coverage"), "reports": gettext_lazy("Reports during patrols"),
    "per_hour": gettext_lazy("Reports per patrol hour"), "attendance": gettext_lazy("Attendance rate (patrol)"),
    "days": gettext_lazy("Days on duty / working days"),
}
DAY_COLUMNS = {
    "day": pgettext_lazy("kpi period", "Day"), "workday": gettext_lazy("Working day"), "hours": gettext_lazy("Patrol hours"),
    "working_hours": gettext_lazy("Of which in working hours"), "km": gettext_lazy("Distance (km)"),
    "grids": gettext_lazy("Grids visited"), "coverage": gettext_lazy("Grid coverage"),
    "reports": gettext_lazy("Reports during patrols"), "per_hour": gettext_lazy("Reports per patrol hour"),
    "on_duty": gettext_lazy("On duty"),
}


def _ratio(n: float, d: float) -> float | None:
    return n / d if d else None


def _shown(row: dict) -> dict:
    """The row's rates as the page writes them (46.7%, — for nothing to count)."""
    for key in ("coverage", "attendance"):
        if key in row:
            row[f"{key}_pct"] = f"{row[key] * 100:.1f}%" if row[key] is not None else "—"
    return row


def period_of(params) -> tuple[dt.date, dt.date]:
    """(first, last) day from ?start=&end= (inclusive); this month up to today by default."""
    today = timezone.localdate()
    data = {"start": params.get("start") or today.replace(day=1).isoformat(), "end": params.get("end") or today.isoformat()}
    query = PeriodQuery(data=data)
    query.is_valid(raise_exception=True)
    return query.validated_data["start"], query.validated_data["end"]


def inspector_rows(found: list[figures.Period]) -> list[dict]:
    """One row per inspector (figures.period's answer): the figures of PERIOD_COLUMNS."""
    names = person_names([p.username for p in found])
    rows = []
    for p in found:
        hours = p.total("patrol_s") / 3600
        rows.append({"period": p, "username": p.username, "name": names.get(p.username, p.username), "assigned": p.assigned,
                     "hours": hours, "km": p.total("distance_m") / 1000, "coverage": _ratio(*p.coverage()),
                     "reports": int(p.total("reports")), "per_hour": p.reports_per_hour(),
                     "attendance": _ratio(*p.attendance()), "on_duty": p.attended_days, "working_days": p.working_days})
    return sorted((_shown(r) for r in rows), key=lambda r: (-(r["attendance"] or 0), r["username"]))


def day_rows(person: figures.Period, first: dt.date, last: dt.date) -> list[dict]:
    """One row per day of [first, last] (up to today) of one inspector's figures: DAY_COLUMNS."""
    minimum = settings.PATROL_ATTENDANCE_MIN_MINUTES * 60
    rows, day = [], first
    while day <= min(last, timezone.localdate()):
        d = person.days.get(day, figures.DayFigures())
        workday = worktime.is_workday(day)
        rows.append({"day": day, "workday": workday, "hours": d.patrol_s / 3600, "working_hours": d.working_s / 3600,
                     "km": d.distance_m / 1000, "grids": d.grids, "assigned": person.assigned,
                     "coverage": _ratio(d.grids, person.assigned) if (workday or d.patrol_s) else None,
                     "reports": d.reports, "per_hour": _ratio(d.reports, d.patrol_s / 3600),
                     "on_duty": workday and d.working_s >= minimum})
        day += dt.timedelta(days=1)
    return [_shown(r) for r in rows]


def _bad_period(request, error: ValidationError) -> HttpResponse:
    """The page again with the period as typed and what is wrong with it, to correct."""
    return render(request, "kpi/patrols.html", {
        "error": " ".join(dict.fromkeys(map(str, messages_of(error.detail)))), "start": request.GET.get("start", "")[:20],
        "end": request.GET.get("end", "")[:20], "username": request.GET.get("inspector") or "",
        "name": request.GET.get("inspector") or "", "min_minutes": settings.PATROL_ATTENDANCE_MIN_MINUTES}, status=400)


@login_required
def page(request):
    """The patrol figures of every inspector over a period, or one inspector's days."""
    require_role(request.user, *MANAGERS)
    try:
        first, last = period_of(request.GET)
    except ValidationError as error:
        return _bad_period(request, error)
    username = request.GET.get("inspector") or ""
    context = {"first": first, "last": last, "start": first.isoformat(), "end": last.isoformat(),
               "columns": PERIOD_COLUMNS, "day_columns": DAY_COLUMNS,
               "min_minutes": settings.PATROL_ATTENDANCE_MIN_MINUTES, "username": username}
    if username:
        found = figures.period(first, last, [username])
        if not found:
            raise Http404(_("No inspector by that name."))
        context["days"] = day_rows(found[0], first, last)
        context["name"] = person_names([username]).get(username, username)
        context["patrolled"] = any(d["hours"] for d in context["days"])
    else:
        context["rows"] = inspector_rows(figures.period(first, last))
        context["patrolled"] = any(r["hours"] for r in context["rows"]) or not context["rows"]
    return render(request, "kpi/patrols.html", context)


@login_required
def export(request):
    """The period's patrol figures as a workbook: per inspector, and per inspector and day."""
    require_role(request.user, *MANAGERS)
    try:
        first, last = period_of(request.GET)
    except ValidationError as error:
        return _bad_period(request, error)
    response = HttpResponse(workbook(first, last), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{file_name("urbanmgmt-patrols", first, last)}"'
    return response


def workbook(first: dt.date, last: dt.date) -> bytes:
    book = Workbook(write_only=True)
    rows = inspector_rows(figures.period(first, last))
    by_inspector = sheet(book, _("Patrols by inspector"), list(PERIOD_COLUMNS.values()), [14, 8, 10, 10, 10, 10, 10, 10, 12])
    for r in rows:
        append(by_inspector, [r["name"], count(by_inspector, r["assigned"]), number(by_inspector, round(r["hours"], 2), "0.00"),
                              number(by_inspector, round(r["km"], 2), "0.00"), percent(by_inspector, r["coverage"]),
                              count(by_inspector, r["reports"]), number(by_inspector, r["per_hour"], "0.00"),
                              percent(by_inspector, r["attendance"]), f"{r['on_duty']} / {r['working_days']}"])
    by_day = sheet(book, _("Patrols by day"), [PERIOD_COLUMNS["name"], *DAY_COLUMNS.values()],
                   [14, 12, 8, 10, 10, 10, 10, 10, 10, 10, 8])
    for r in rows:
        for d in day_rows(r["period"], first, last):
            if not d["hours"] and not d["workday"]:
                continue
            append(by_day, [r["name"], d["day"], _("yes") if d["workday"] else _("no"),
                            number(by_day, round(d["hours"], 2), "0.00"), number(by_day, round(d["working_hours"], 2), "0.00"),
                            number(by_day, round(d["km"], 2), "0.00"), count(by_day, d["grids"]),
                            percent(by_day, d["coverage"]), count(by_day, d["reports"]),
                            number(by_day, d["per_hour"], "0.00"), _("yes") if d["on_duty"] else _("no")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
