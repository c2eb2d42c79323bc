"""The managers' dashboard page and its Excel export."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.api import MANAGERS, period_of
from urbanmgmt.kpi.excel import workbook
from urbanmgmt.org.roles import require_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def dashboard(request):
    require_role(request.user, *MANAGERS)
    today = timezone.localdate()
    areas = list(Area.objects.filter(level__in=["district", "street"]).order_by("level", "code")
                 .values("code", "name", "level"))
    return render(request, "kpi/dashboard.html", {"year": today.year, "today": today.isoformat(), "areas": areas})


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
