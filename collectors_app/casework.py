"""The app's views of cases beyond sending a report: one of my reports opened, the open cases
near a new report (已有人上报？) and adding my photos to one of them, the photos of a task's
case, and the counts the app shows on its tabs.

Photos are handed out as signed URLs only to whoever may see them: my own reports, the open
cases of my grids (the same rule as cases/access.py), and the case of a task given to me.
"""

import math

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from collectors_app.evidence import flag
from urbanmgmt.cases import clock, services, steps
from urbanmgmt.cases.models import OPEN_STATES, Case, CaseMedia, Channel, InspectionTask, State
from urbanmgmt.cases.photos import read_uploads, signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import NotAllowed
from urbanmgmt.grids.geo import distance_m, parse_lon_lat
from urbanmgmt.org.roles import INSPECTOR, require_role
from urbanmgmt.supervision.api import unread_count

NEARBY_LIMIT = 5
METRES_PER_DEGREE = 111_320.0


def inspector_only(request) -> None:
    """Refuse anyone but an inspector (or an administrator)."""
    require_role(request.user, INSPECTOR, message=_("This app is for inspectors."))


def category_name(category: Category | None) -> str:
    """A category's name in the user's language (the Chinese one when it has no other)."""
    if category is None:
        return ""
    return category.name or category.service_code


def photos_of(media) -> list[dict]:
    """Signed links to the display copy and thumbnail of each photo (never the original)."""
    return [{"kind": m.kind, "kind_display": m.get_kind_display(), "display": signed_media_url(m.display.name),
             "thumbnail": signed_media_url(m.thumbnail.name or m.display.name)} for m in media]


def _media_prefetch():
    return Prefetch("media", queryset=CaseMedia.objects.order_by("id"))


# --- one of my reports -------------------------------------------------------------------

def _history(case: Case) -> list[dict]:
    events = case.events.select_related("actor__profile").order_by("at", "id")
    return [{"at": e.at, "action": e.action, "action_display": _action_label(e.action),
             "state": e.to_state, "state_display": State(e.to_state).label if e.to_state in State.values else e.to_state,
             "by": _person(e.actor), "reason": e.reason} for e in events]


def _action_label(action: str) -> str:
    return str(steps.EVENTS.get(action, action))


def _person(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def report_detail(request, pk: int):
    """One of my reports: its state, photos and history (times in ISO 8601, shown in city time),
    and once the department has replied, its reply: how the report ended."""
    inspector_only(request)
    case = get_object_or_404(Case.objects.select_related("category", "grid", "community")
                             .prefetch_related(_media_prefetch()),
                             pk=pk, reporter=request.user, channel=Channel.INSPECTOR)
    return Response({
        "id": case.pk, "code": case.code, "state": case.state, "state_display": case.get_state_display(),
        "category_name": category_name(case.category), "description": case.description, "address": case.address,
        "reported_at": case.reported_at, "grid": case.grid.code if case.grid else "",
        "community": case.community.name if case.community else "",
        "reject_reason_display": case.get_reject_reason_display() if case.reject_reason else "",
        "reply": case.reply, "photos": photos_of(case.media.all()), "history": _history(case),
    })


# --- 已有人上报？ the open cases near a new report ----------------------------------------

def _around(lon: float, lat: float, radius: float) -> Polygon:
    dlat = radius / METRES_PER_DEGREE
    dlon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return Polygon.from_bbox((lon - dlon, lat - dlat, lon + dlon, lat + dlat))


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def nearby(request):
    """Open cases of the category within settings.COLLECT_DUPLICATE_RADIUS_M of the point that
    I may add my photos to, nearest first, with their photos."""
    inspector_only(request)
    point = parse_lon_lat(request.query_params.get("lon"), request.query_params.get("lat"))
    category = get_object_or_404(Category, service_code=request.query_params.get("category") or "")
    radius = settings.COLLECT_DUPLICATE_RADIUS_M
    found = (Case.objects.visible_to(request.user)
             .filter(category=category, state__in=OPEN_STATES, point__intersects=_around(point.x, point.y, radius))
             .select_related("category").prefetch_related(_media_prefetch()).order_by("-reported_at")[:50])
    near = sorted(((distance_m(case.point, point), case) for case in found), key=lambda pair: pair[0])
    results = []
    for metres, case in near:
        if metres > radius or "corroborate" not in steps.available(case, request.user):
            continue
        results.append({
            "id": case.pk, "code": case.code, "state_display": case.get_state_display(),
            "category_name": category_name(case.category), "description": case.description,
            "reported_at": case.reported_at, "distance_m": round(metres), "photos": photos_of(case.media.all()),
        })
        if len(results) == NEARBY_LIMIT:
            break
    return Response({"radius_m": radius, "results": results})


class EvidenceForm(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    lon = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)


@api_view(["POST"])
@permission_classes([IsAuthenticated])
@parser_classes([MultiPartParser, FormParser])
def add_evidence(request, pk: int):
    """Add my photos (and a note) to an open case of the same problem instead of reporting it
    again. Idempotent by client_uuid: 201 the first time, 200 for a resend."""
    inspector_only(request)
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    form = EvidenceForm(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    if "corroborate" not in steps.available(case, request.user):
        if not case.events.filter(action="corroborate", payload__client_uuid=str(data["client_uuid"])).exists():
            raise NotAllowed(_("This case is closed or not in your grids: report the problem as a new case."))
    photos = read_uploads(request)
    where = parse_lon_lat(data["lon"], data["lat"]) if data.get("lon") is not None and data.get("lat") is not None \
        else case.point
    case, added = services.corroborate(request.user, case, version=case.version,
                                       client_uuid=str(data["client_uuid"]), note=data["note"],
                                       evidence=flag(photos, where, clock.now()))
    return Response({"id": case.pk, "code": case.code, "state": case.state, "client_uuid": str(data["client_uuid"])},
                    status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)


# --- the counts on the tabs ----------------------------------------------------------------

def open_tasks(user):
    """The open inspection tasks for `user`: given to them, or to any inspector of their grids."""
    mine = Q(inspector=user) | Q(inspector__isnull=True, case__grid__inspectors__user=user)
    return InspectionTask.objects.open().filter(mine).distinct()


def open_task_count(user) -> int:
    """How many open inspection tasks wait for `user` (the badge on the tasks tab)."""
    return open_tasks(user).count()


# Each count the app shows as a badge, by its tab's name; another kind of count joins here.
COUNTS = {"tasks": open_task_count, "notifications": unread_count}


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def counts(request):
    """The numbers on the app's tabs (open tasks, …), asked when the app is online."""
    inspector_only(request)
    return Response({name: count(request.user) for name, count in COUNTS.items()})



# What the views above take and answer, for the OpenAPI schema.
_S = serializers
PHOTO = inline_serializer("CasePhoto", {"kind": _S.CharField(), "kind_display": _S.CharField(),
                                        "display": _S.CharField(), "thumbnail": _S.CharField()}, many=True)
HISTORY = inline_serializer("CaseHistoryEntry", {
    "at": _S.DateTimeField(), "action": _S.CharField(), "action_display": _S.CharField(), "state": _S.CharField(),
    "state_display": _S.CharField(), "by": _S.CharField(), "reason": _S.CharField()}, many=True)
report_detail = extend_schema(operation_id="api_v1_collect_report_detail", responses=inline_serializer("MyReportDetail", {
    "id": _S.IntegerField(), "code": _S.CharField(), "state": _S.CharField(), "state_display": _S.CharField(),
    "category_name": _S.CharField(), "description": _S.CharField(), "address": _S.CharField(),
    "reported_at": _S.DateTimeField(), "grid": _S.CharField(), "community": _S.CharField(),
    "reject_reason_display": _S.CharField(), "reply": _S.CharField(), "photos": PHOTO, "history": HISTORY}))(report_detail)
nearby = extend_schema(parameters=[
    OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True), OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
    OpenApiParameter("category", OpenApiTypes.STR, required=True, description="service code, e.g. E0102")],
    responses=inline_serializer("NearbyCases", {"radius_m": _S.FloatField(), "results": inline_serializer("NearbyCase", {
        "id": _S.IntegerField(), "code": _S.CharField(), "state_display": _S.CharField(), "category_name": _S.CharField(),
        "description": _S.CharField(), "reported_at": _S.DateTimeField(), "distance_m": _S.IntegerField(),
        "photos": PHOTO}, many=True)}))(nearby)
EVIDENCE_ADDED = inline_serializer("EvidenceAdded", {
    "id": _S.IntegerField(), "code": _S.CharField(), "state": _S.CharField(), "client_uuid": _S.CharField()})
add_evidence = extend_schema(
    request={"multipart/form-data": inline_serializer("EvidenceSubmission", {
        **EvidenceForm().get_fields(), "photos": _S.ListField(child=_S.FileField())})},
    responses={200: EVIDENCE_ADDED, 201: EVIDENCE_ADDED})(add_evidence)
counts = extend_schema(responses=inline_serializer("TabCounts", {"tasks": _S.IntegerField()}))(counts)
