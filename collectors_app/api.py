"""The API of the inspectors' app: /api/v1/collect/ (token or session auth).

Reports are idempotent by the client's UUID: a resend, or two racing resends, give back the
case the first one made. Photos are verified before anything is written; any refusal is a
400 (413 for a body over the upload limit) with a message the inspector can act on, and
nothing is kept of the refused report; a body that did not arrive whole is refused too.
"""

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from collectors_app.casework import category_name, open_tasks, photos_of
from collectors_app.evidence import flag
from urbanmgmt.api_guards import whole_number
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia, Channel, InspectionTask, is_overdue
from urbanmgmt.cases.photos import read_uploads, signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.api import UnitGridSerializer
from urbanmgmt.grids.geo import parse_lon_lat
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.moments import MomentField
from urbanmgmt.org.roles import INSPECTOR, require_role, roles_of


def _inspector(request):
    require_role(request.user, INSPECTOR, message=_("This app is for inspectors."))


class ReportForm(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    accuracy_m = serializers.FloatField(required=False, allow_null=True)
    placed_by_hand = serializers.BooleanField(default=False)
    category = serializers.SlugRelatedField(slug_field="service_code", queryset=Category.objects.filter(active=True))
    description = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    captured_at = MomentField()

    def validate(self, attrs):
        attrs["point"] = parse_lon_lat(attrs.pop("lon"), attrs.pop("lat"))
        accuracy = attrs.get("accuracy_m")
        if accuracy is None and not attrs["placed_by_hand"]:
            raise serializers.ValidationError({"accuracy_m": _("The GPS accuracy is missing.")})
        if accuracy is not None and not (0 <= accuracy < float("inf")):
            raise serializers.ValidationError({"accuracy_m": _("The GPS accuracy must be a positive number of metres.")})
        if accuracy is not None and accuracy > settings.COLLECT_ACCURACY_MAX_M and not attrs["placed_by_hand"]:
            raise serializers.ValidationError({"accuracy_m": _(
                "The GPS fix is only accurate to %(acc)d m (the limit is %(max)d m): place the point on the map by hand."
            ) % {"acc": accuracy, "max": settings.COLLECT_ACCURACY_MAX_M}})
        return attrs


def _report_answer(case_id: int, flags: list[str] | None = None) -> dict:
    """What the app keeps of a report: one query of plain values (no geometry), the photos'
    flags from the evidence just stored when the caller has them."""
    row = (Case.objects.filter(pk=case_id).order_by()
           .values("code", "state", "external_ref", "grid__code", "community__name").get())
    if flags is None:
        flags = [f for item in CaseMedia.objects.filter(case_id=case_id).order_by().values_list("flags", flat=True)
                 for f in item]
    return {"id": case_id, "code": row["code"], "state": row["state"], "client_uuid": row["external_ref"],
            "grid": row["grid__code"], "community": row["community__name"], "flags": sorted(set(flags))}


@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
@parser_classes([MultiPartParser, FormParser])
def reports(request):
    """GET: my reports, newest first. POST: a new report (multipart: fields and `photos`)."""
    _inspector(request)
    if request.method == "GET":
        return _my_reports(request)
    form = ReportForm(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    # No ORDER BY on the hot path: the uuid is unique, and compiling an ordering costs more than the query.
    resent = next(iter(Case.objects.filter(channel=Channel.INSPECTOR, external_ref=str(data["client_uuid"]))
                       .order_by().values_list("pk", "reporter_id")[:1]), None)
    if resent is not None:  # answered before the photos are even read
        if resent[1] != request.user.pk:
            raise InvalidInput(_("This report id belongs to someone else's report."))
        return Response(_report_answer(resent[0]), status=status.HTTP_200_OK)
    photos = read_uploads(request)
    evidence = flag(photos, data["point"], data["captured_at"])
    case, created = services.report(
        request.user, channel=Channel.INSPECTOR, point=data["point"], category=data["category"],
        description=data["description"], address=data["address"], external_ref=str(data["client_uuid"]),
        reported_at=data["captured_at"],
        payload={"accuracy_m": data.get("accuracy_m"), "placed_by_hand": data["placed_by_hand"]},
        evidence=evidence, reference_checked=True,
    )
    if not created:  # a racing resend stored its photos first: its case, its flags
        return Response(_report_answer(case.pk), status=status.HTTP_200_OK)
    return Response(_report_answer(case.pk, [f for item in evidence for f in item.flags]),
                    status=status.HTTP_201_CREATED)


def _my_reports(request):
    limit = min(whole_number(request.query_params.get("limit") or "50", "limit", 1), 200)
    reject_note = CaseEvent.objects.filter(case=OuterRef("pk"), action="reject").values("reason")[:1]
    thumb = CaseMedia.objects.filter(case=OuterRef("pk")).order_by("id").values("thumbnail")[:1]
    cases = (Case.objects.filter(reporter=request.user, channel=Channel.INSPECTOR).select_related("category")
             .annotate(reject_note=Subquery(reject_note), thumb=Subquery(thumb)).order_by("-reported_at")[:limit])
    return Response({"results": [{
        "id": c.pk, "code": c.code, "state": c.state, "state_display": c.get_state_display(),
        "category_name": category_name(c.category), "reported_at": c.reported_at,
        "reject_reason_display": c.get_reject_reason_display() if c.reject_reason else "",
        "reject_note": c.reject_note or "", "thumbnail": signed_media_url(c.thumb) if c.thumb else None,
    } for c in cases]})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    """Who I am and the limits the app enforces before sending."""
    user = request.user
    profile = getattr(user, "profile", None)
    return Response({
        "username": user.get_username(), "display_name": profile.display_name if profile else user.get_username(),
        "roles": sorted(roles_of(user)), "grids": profile.grids.count() if profile else 0,
        "accuracy_warn_m": settings.COLLECT_ACCURACY_WARN_M, "accuracy_max_m": settings.COLLECT_ACCURACY_MAX_M,
        "max_photos": settings.REPORT_MAX_PHOTOS, "max_photo_bytes": settings.PHOTO_MAX_BYTES,
        "max_report_bytes": settings.REPORT_MAX_BYTES,
    })


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_grids(request):
    """My grids as GeoJSON (the base of the hand-placement map)."""
    _inspector(request)
    grids = UnitGrid.objects.filter(inspectors__user=request.user).select_related("community", "street", "district")
    return Response(UnitGridSerializer(grids, many=True).data)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def frequent_categories(request):
    """The categories I reported most in the last 90 days."""
    since = timezone.now() - dt.timedelta(days=90)
    from django.db.models import Count

    rows = (Case.objects.filter(reporter=request.user, reported_at__gte=since, category__isnull=False)
            .values("category__service_code").annotate(n=Count("id")).order_by("-n")[:12])
    return Response({"results": [r["category__service_code"] for r in rows]})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def tasks(request):
    """My open tasks, the most urgent first."""
    _inspector(request)
    now = timezone.now()
    media = Prefetch("case__media", queryset=CaseMedia.objects.order_by("id"))
    rows = (open_tasks(request.user).select_related("case__category", "case__grid").prefetch_related(media)
            .order_by("due_at"))
    return Response({"results": [{
        "id": t.pk, "kind": t.kind, "kind_display": t.get_kind_display(), "due_at": t.due_at,
        "overdue": is_overdue(t.case.state, t.due_at, now),
        "case": {"code": t.case.code, "category_name": category_name(t.case.category),
                 "description": t.case.description, "address": t.case.address, "lon": t.case.point.x,
                 "lat": t.case.point.y, "grid": t.case.grid.code, "reply": t.case.reply,
                 # The task is mine: the photos of its case are mine to see (the report's and the
                 # department's "after" ones), whichever grid it lies in.
                 "photos": photos_of(t.case.media.all())},
    } for t in rows]})


class TaskForm(serializers.Serializer):
    result = serializers.ChoiceField(choices=InspectionTask.Result.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    lon = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)


@api_view(["POST"])
@permission_classes([IsAuthenticated])
@parser_classes([MultiPartParser, FormParser])
def complete_task(request, pk: int):
    """Complete a task from the site with a photo and a result that drives the case."""
    _inspector(request)
    task = get_object_or_404(open_tasks(request.user), pk=pk)
    form = TaskForm(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    photos = read_uploads(request)
    where = parse_lon_lat(data["lon"], data["lat"]) if data.get("lon") is not None and data.get("lat") is not None \
        else task.case.point
    kind = CaseMedia.Kind.CHECK
    case = services.complete_task(request.user, task, result=data["result"], note=data["note"],
                                  evidence=flag(photos, where, timezone.now(), kind))
    return Response({"case": case.code, "state": case.state, "result": data["result"]})


# What the views above take and answer, for the OpenAPI schema.
def _schema_of(name: str, many: bool = False, **fields) -> serializers.Serializer:
    return inline_serializer(name, fields, many=many)


_S = serializers
PHOTOS = {"photos": _S.ListField(child=_S.FileField(), help_text=_("the photos (JPEG), as repeated parts"))}
REPORT_ANSWER = _schema_of(
    "ReportAnswer", id=_S.IntegerField(), code=_S.CharField(), state=_S.CharField(), client_uuid=_S.CharField(),
    grid=_S.CharField(allow_null=True), community=_S.CharField(allow_null=True), flags=_S.ListField(child=_S.CharField()))
MY_REPORTS = _schema_of(
    "MyReport", many=True, id=_S.IntegerField(), code=_S.CharField(), state=_S.CharField(), state_display=_S.CharField(),
    category_name=_S.CharField(), reported_at=_S.DateTimeField(), reject_reason_display=_S.CharField(),
    reject_note=_S.CharField(), thumbnail=_S.CharField(allow_null=True))
TASK_CASE = _schema_of(
    "TaskCase", code=_S.CharField(), category_name=_S.CharField(), description=_S.CharField(),
    address=_S.CharField(), lon=_S.FloatField(), lat=_S.FloatField(), grid=_S.CharField())
me = extend_schema(responses=_schema_of(
    "Me", username=_S.CharField(), display_name=_S.CharField(), roles=_S.ListField(child=_S.CharField()),
    grids=_S.IntegerField(), accuracy_warn_m=_S.FloatField(), accuracy_max_m=_S.FloatField(),
    max_photos=_S.IntegerField(), max_photo_bytes=_S.IntegerField(), max_report_bytes=_S.IntegerField()))(me)
my_grids = extend_schema(responses=UnitGridSerializer(many=True))(my_grids)
frequent_categories = extend_schema(responses=_schema_of(
    "FrequentCategories", results=_S.ListField(child=_S.CharField())))(frequent_categories)
reports = extend_schema(
    methods=["GET"], parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1–200, default 50")],
    responses=_schema_of("MyReports", results=MY_REPORTS))(reports)
reports = extend_schema(methods=["POST"], request={"multipart/form-data": _schema_of(
    "ReportSubmission", **ReportForm().get_fields(), **PHOTOS)}, responses={200: REPORT_ANSWER, 201: REPORT_ANSWER})(reports)
tasks = extend_schema(responses=_schema_of("MyTasks", results=_schema_of(
    "MyTask", many=True, id=_S.IntegerField(), kind=_S.CharField(), kind_display=_S.CharField(), due_at=_S.DateTimeField(),
    overdue=_S.BooleanField(), case=TASK_CASE)))(tasks)
complete_task = extend_schema(request={"multipart/form-data": _schema_of(
    "TaskCompletion", **TaskForm().get_fields(), **PHOTOS)}, responses=_schema_of(
    "TaskCompleted", case=_S.CharField(), state=_S.CharField(), result=_S.CharField()))(complete_task)
