"""The managers' figures: /api/v1/kpi/ (managers, dispatchers, administrators)."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from urbanmgmt.grids.models import Area
from urbanmgmt.kpi.collection import BREAKDOWNS, quota_progress, valid_rates
from urbanmgmt.kpi.models import AnnualQuota
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.roles import ADMIN, DISPATCHER, MANAGER, require_role

MANAGERS = (MANAGER, DISPATCHER, ADMIN)
MAX_PERIOD_DAYS = 5 * 366


def _managers_only(request):
    require_role(request.user, *MANAGERS, message=_("These figures are for managers."))


def _area(code: str | None) -> Area | None:
    if not code:
        return None
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No area with the code %(code)s.") % {"code": code})
    return area


class QuotaQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    area = serializers.CharField(required=False)
    as_of = serializers.DateField(required=False)


def messages_of(detail) -> list:
    """The messages of a ValidationError's detail (a dict or list of them, nested), in order."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in messages_of(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in messages_of(value)]
    return [detail]


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def quota(request):
    """Collection this year against the quota: pace needed, projection with its range."""
    _managers_only(request)
    query = QuotaQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    as_of = query.validated_data.get("as_of") or timezone.localdate()
    year = query.validated_data.get("year") or as_of.year
    try:
        progress = quota_progress(year, _area(query.validated_data.get("area")), as_of)
    except AnnualQuota.DoesNotExist:
        raise NotFound(_("No quota is set for %(year)s: add it under Targets in the admin.") % {"year": year}) from None
    return Response(progress.as_dict())


class RateQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=list(BREAKDOWNS))


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def valid_rate(request):
    """Valid-report rate (filed ÷ reports) per channel, inspector, grid, community, street or
    month over a period; each row links to its cases."""
    _managers_only(request)
    by = _choice(RateQuery, request)["by"]
    start, end, area = period_of(request.query_params)
    rows = valid_rates(start, end, by, area)
    return Response({"start": start.date(), "end": (end - dt.timedelta(days=1)).date(), "by": by, "results": rows})


class EvaluationQuery(serializers.Serializer):
    who = serializers.ChoiceField(choices=["inspector", "dispatcher", "department", "area"])


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def evaluation(request):
    """Scores, grades (A ≥ 90 … E < 40) and rankings under the scheme valid at the start."""
    from urbanmgmt.kpi.evaluation import evaluate
    from urbanmgmt.kpi.models import EvaluationScheme

    _managers_only(request)
    who = _choice(EvaluationQuery, request)["who"]
    start, end, _area_unused = period_of(request.query_params)
    try:
        result = evaluate(who, start, end)
    except EvaluationScheme.DoesNotExist:
        raise NotFound(_("No evaluation scheme is valid for this period: add one in the admin.")) from None
    return Response(result)


class PeriodQuery(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("inclusive"))
    area = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError(_("The period ends before it starts."))
        if (attrs["end"] - attrs["start"]).days >= MAX_PERIOD_DAYS:  # 2,000 years of months took minutes
            raise serializers.ValidationError(_("The period is longer than %(n)s days.") % {"n": MAX_PERIOD_DAYS})
        return attrs


def _choice(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def period_of(params) -> tuple:
    """(start, end, area) from query parameters: whole local days, `end` inclusive."""
    query = PeriodQuery(data=params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return (day_start(data["start"]), day_start(data["end"] + dt.timedelta(days=1)), _area(data.get("area")))


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def hotline(request):
    """12345 timeliness: on-time signing and completion, dispatch accuracy, handling days."""
    from urbanmgmt.kpi.loop import loop_kpis

    _managers_only(request)
    return Response(loop_kpis(*period_of(request.query_params)))


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def campaigns(request):
    """Progress of the special collection campaigns running in the period, and the year's
    requirement: `year`, `required` (the annual quota's campaigns, null without a quota) and
    `held` (the campaigns of that year, in the area or city-wide)."""
    from urbanmgmt.kpi.collection import campaign_progress
    from urbanmgmt.kpi.models import AnnualQuota, Campaign

    _managers_only(request)
    start, end, area = period_of(request.query_params)
    year = timezone.localtime(end - dt.timedelta(microseconds=1)).year
    district = area if area is not None and area.level == "district" else None
    quota = AnnualQuota.objects.filter(year=year, area=district).first()
    held = Campaign.objects.filter(starts_on__year=year)
    if area is not None:
        held = held.filter(Q(area__isnull=True) | Q(area=area))
    return Response({"results": campaign_progress(start, end, area), "year": year,
                     "required": quota.campaigns if quota else None, "held": held.count()})


# What the views above take and answer, for the OpenAPI schema.
FIGURES = OpenApiResponse(OpenApiTypes.OBJECT, description=_("the figures, by name"))
quota = extend_schema(parameters=[QuotaQuery], responses=FIGURES)(quota)
valid_rate = extend_schema(parameters=[RateQuery, PeriodQuery], responses=inline_serializer("ValidRates", {
    "start": serializers.DateField(), "end": serializers.DateField(), "by": serializers.CharField(),
    "results": serializers.ListField(child=serializers.DictField())}))(valid_rate)
evaluation = extend_schema(parameters=[EvaluationQuery, PeriodQuery], responses=FIGURES)(evaluation)
hotline = extend_schema(parameters=[PeriodQuery], responses=FIGURES)(hotline)
campaigns = extend_schema(parameters=[PeriodQuery], responses=inline_serializer("Campaigns", {
    "results": serializers.ListField(child=serializers.DictField()), "year": serializers.IntegerField(),
    "required": serializers.IntegerField(allow_null=True), "held": serializers.IntegerField()}))(campaigns)
