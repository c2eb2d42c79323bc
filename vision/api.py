"""The video API under /api/v1/vision/.

Workers authenticate with their key (`Authorization: Bearer <key>`, see WorkerKey and
`manage.py vision_worker_key NAME`): `ingest/` (POST multipart: `data` = the candidate's
JSON, `snapshot` and optional `strip` and `frame` (nothing drawn) JPEG/PNG files; 201 created, 200 already known) and
`worker/config/` (GET: their cameras and zones) and `health/` (POST JSON: a camera-health
alert, 201 created, 200 already known). People use their session or token:
`candidates/` (GET, filters `case`, `status`, `camera`), `candidates/{id}/confirm/` and
`…/reject/` (POST, video analysts), `candidates/reject/` (POST
{ids, reason, note}: several at once, each with its outcome), `precision/` (GET: per camera and rule).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.decorators import api_view, authentication_classes, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from urbanmgmt.api_guards import whole_number
from urbanmgmt.cases.models import Case
from urbanmgmt.cases.photos import signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import InvalidInput, NotAllowed
from urbanmgmt.org import roles as R
from vision import review, services
from vision.access import VIEWERS, WATCHERS, visible_candidates
from vision.models import CameraAlert, CandidateEvent, WorkerKey

MAX_UPLOAD = 12 * 2**20


class WorkerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` of an active WorkerKey; request.auth is the key."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the worker key as “Authorization: Bearer <key>”."))
        worker = WorkerKey.objects.filter(key_hash=WorkerKey.digest(header[1].decode(errors="replace")),
                                          active=True).first()
        if worker is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked worker key."))
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), worker

    def authenticate_header(self, request):
        return "Bearer"


class IsWorker(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, WorkerKey)


def _upload(request, name: str, required: bool) -> bytes | None:
    upload = request.FILES.get(name)
    if upload is None:
        if required:
            raise InvalidInput(_("The candidate's %(name)s is missing."), name=name)
        return None
    if upload.size > MAX_UPLOAD:
        raise InvalidInput(_("%(name)s is larger than %(mb)s MB."), name=name, mb=MAX_UPLOAD // 2**20)
    return upload.read()


@api_view(["POST"])
@authentication_classes([WorkerKeyAuthentication])
@permission_classes([IsWorker])
@parser_classes([MultiPartParser, FormParser])
def ingest(request):
    """A worker's candidate event; idempotent by (camera, zone, track, start)."""
    raw = request.data.get("data")
    if not raw:
        raise InvalidInput(_("The candidate's data is missing."))
    candidate, created = services.ingest(request.auth, raw, _upload(request, "snapshot", True),
                                         _upload(request, "strip", False), frame=_upload(request, "frame", False))
    return Response({"id": candidate.pk, "status": candidate.status, "outside_area": candidate.outside_area},
                    status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(request=inline_serializer("CameraAlertIn", {
    "camera": serializers.CharField(), "state": serializers.ChoiceField(CameraAlert.State.choices),
    "since": serializers.DateTimeField(), "at": serializers.DateTimeField(),
    "measures": serializers.DictField(child=serializers.FloatField(), required=False)}),
    responses={201: inline_serializer("CameraAlertOut", {"id": serializers.IntegerField()}),
               200: inline_serializer("CameraAlertKnown", {"id": serializers.IntegerField()})})
@api_view(["POST"])
@authentication_classes([WorkerKeyAuthentication])
@permission_classes([IsWorker])
def health(request):
    """A worker's camera-health alert (moved, covered, blurred); idempotent by (camera, since)."""
    alert, created = services.record_alert(request.auth, request.data)
    return Response({"id": alert.pk}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@api_view(["GET"])
@authentication_classes([WorkerKeyAuthentication])
@permission_classes([IsWorker])
def worker_config(request):
    """The cameras and zones this worker watches."""
    return Response(services.worker_config(request.auth))


def candidate_json(c: CandidateEvent, originals: bool) -> dict:
    """A candidate for the map and the queue: the snapshot as published (people blurred); the
    original and the frame strip only for video analysts."""
    return {
        "id": c.pk, "camera": c.camera.code, "camera_name": c.camera.name, "zone": c.zone.name,
        "rule": c.rule, "rule_display": c.get_rule_display(), "class": c.object_class,
        "class_display": c.object_class_display, "track_id": c.track_id,
        "started_at": timezone.localtime(c.started_at).isoformat(),
        "last_seen_at": timezone.localtime(c.last_seen_at).isoformat(), "score": c.score,
        "status": c.status, "status_display": c.get_status_display(), "reject_reason": c.reject_reason,
        "lon": c.point.x if c.point else None, "lat": c.point.y if c.point else None,
        "outside_area": c.outside_area, "case": c.case_id, "kind": "alerts" if c.is_alert else "detections",
        "visit": c.visit_id,
        "snapshot_url": signed_media_url(c.snapshot_display), "thumbnail_url": signed_media_url(c.snapshot_thumb),
        "original_url": signed_media_url(c.snapshot) if originals else None,
        "strip_url": signed_media_url(c.strip) if originals and c.strip else None,
    }


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def candidates(request):
    """Candidates, newest first: ?case=<id> (those behind a case), ?status=, ?camera=, ?rule=,
    ?kind=alerts|detections, ?limit=."""
    R.require_role(request.user, *VIEWERS)
    rows = visible_candidates(request.user, CandidateEvent.objects.select_related("camera", "zone"))
    case_id = request.query_params.get("case")
    if not case_id and not R.has_role(request.user, *WATCHERS):
        raise NotAllowed(_("A department sees the candidates of its own cases only: give ?case=<id>."))
    if case_id:
        case_id = whole_number(case_id, "case", 1)
        get_object_or_404(Case.objects.visible_to(request.user), pk=min(case_id, 2**63 - 1))
        rows = rows.filter(case_id=case_id)
    if request.query_params.get("status"):
        rows = rows.filter(status=request.query_params["status"])
    if request.query_params.get("camera"):
        rows = rows.filter(camera__code=request.query_params["camera"])
    if request.query_params.get("rule"):
        rows = rows.filter(rule=request.query_params["rule"])
    kind = request.query_params.get("kind")
    if kind in review.KINDS:
        rows = rows.filter(CandidateEvent.alerts_q()) if kind == "alerts" else rows.exclude(CandidateEvent.alerts_q())
    try:
        limit = min(max(int(request.query_params.get("limit", 100)), 1), 500)
    except ValueError:
        raise InvalidInput(_("“limit” must be a number.")) from None
    originals = R.has_role(request.user, *services.REVIEWERS)
    return Response({"results": [candidate_json(c, originals) for c in rows[:limit]]})


class ConfirmForm(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="service_code", queryset=Category.objects.filter(active=True),
                                            required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class RejectForm(serializers.Serializer):
    reason = serializers.ChoiceField(choices=CandidateEvent.RejectReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def confirm(request, pk: int):
    """Confirm a candidate: a case of channel video (201 with the case)."""
    candidate = get_object_or_404(CandidateEvent.objects.select_related("camera", "zone"), pk=pk)
    form = ConfirmForm(data=request.data)
    form.is_valid(raise_exception=True)
    # One object's visit is one review item (vision/review.py): confirming any of its
    # candidates confirms the visit, so the API cannot make a second case of the same object.
    case = review.confirm_visit(request.user, candidate.visit or candidate, category=form.validated_data.get("category"),
                                description=form.validated_data["description"])
    return Response({"candidate": candidate.pk, "case": case.pk, "code": case.code, "state": case.state},
                    status=status.HTTP_201_CREATED)


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def reject(request, pk: int):
    """Reject a candidate with a reason."""
    candidate = get_object_or_404(CandidateEvent, pk=pk)
    form = RejectForm(data=request.data)
    form.is_valid(raise_exception=True)
    review.reject_visit(request.user, candidate.visit or candidate, **form.validated_data)
    candidate.refresh_from_db()
    return Response({"candidate": candidate.pk, "status": candidate.status, "reason": candidate.reject_reason})


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def reject_many(request):
    """Reject several review items with one reason; each is checked and written on its own, and
    answered with its outcome (a stale one does not hold back the rest)."""
    data = request.data if isinstance(request.data, dict) else {}
    outcomes = review.reject_many(request.user, data.get("ids"), reason=str(data.get("reason") or ""),
                                  note=str(data.get("note") or "")[:500])
    return Response({"results": outcomes, "rejected": sum(1 for o in outcomes if o["ok"])})


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def precision(request):
    """Per camera and rule: candidates, confirmations, rejections, precision."""
    R.require_role(request.user, *VIEWERS)
    return Response({"results": services.precision_table()})


# What the views above take and answer, for the OpenAPI schema.
class WorkerKeyScheme(OpenApiAuthenticationExtension):
    target_class = WorkerKeyAuthentication
    name = "workerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "a video worker's key (manage.py vision_worker_key)"}


_S = serializers
_NULL = {"allow_null": True}
CANDIDATE = inline_serializer("Candidate", {
    "id": _S.IntegerField(), "camera": _S.CharField(), "camera_name": _S.CharField(), "zone": _S.CharField(),
    "rule": _S.CharField(), "rule_display": _S.CharField(), "class": _S.CharField(),
    "class_display": _S.CharField(), "track_id": _S.IntegerField(),
    "started_at": _S.DateTimeField(), "last_seen_at": _S.DateTimeField(), "score": _S.FloatField(),
    "status": _S.CharField(), "status_display": _S.CharField(), "reject_reason": _S.CharField(),
    "lon": _S.FloatField(**_NULL), "lat": _S.FloatField(**_NULL), "outside_area": _S.BooleanField(),
    "case": _S.IntegerField(**_NULL), "kind": _S.CharField(), "visit": _S.IntegerField(**_NULL),
    "snapshot_url": _S.CharField(**_NULL), "thumbnail_url": _S.CharField(**_NULL),
    "original_url": _S.CharField(**_NULL), "strip_url": _S.CharField(**_NULL)}, many=True)
STORED = inline_serializer("CandidateStored", {
    "id": _S.IntegerField(), "status": _S.CharField(), "outside_area": _S.BooleanField()})
ingest = extend_schema(request={"multipart/form-data": inline_serializer("CandidateUpload", {
    "data": _S.CharField(help_text="the candidate as JSON"), "snapshot": _S.FileField(),
    "strip": _S.FileField(required=False),
    "frame": _S.FileField(required=False, help_text="the frame with nothing drawn: the camera's still if it has none"),
})}, responses={200: STORED, 201: STORED})(ingest)
worker_config = extend_schema(responses=OpenApiTypes.OBJECT)(worker_config)
_INTS = ("case", "limit")
candidates = extend_schema(parameters=[OpenApiParameter(name, OpenApiTypes.INT if name in _INTS else OpenApiTypes.STR)
                                       for name in ("case", "status", "camera", "rule", "kind", "limit")],
                           responses=inline_serializer("Candidates", {"results": CANDIDATE}))(candidates)
confirm = extend_schema(request=ConfirmForm, responses={201: inline_serializer("CandidateConfirmed", {
    "candidate": _S.IntegerField(), "case": _S.IntegerField(), "code": _S.CharField(), "state": _S.CharField()})})(confirm)
reject = extend_schema(request=RejectForm, responses=inline_serializer("CandidateRejected", {
    "candidate": _S.IntegerField(), "status": _S.CharField(), "reason": _S.CharField()}))(reject)
reject_many = extend_schema(operation_id="vision_candidates_reject_many", request=inline_serializer("CandidatesReject", {
    "ids": _S.ListField(child=_S.IntegerField()), "reason": _S.ChoiceField(CandidateEvent.RejectReason.choices),
    "note": _S.CharField(required=False)}), responses=inline_serializer("CandidatesRejected", {
        "results": _S.ListField(child=_S.DictField()), "rejected": _S.IntegerField()}))(reject_many)
precision = extend_schema(responses=inline_serializer("Precision", {
    "results": _S.ListField(child=_S.DictField())}))(precision)
