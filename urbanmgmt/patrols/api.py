"""The patrols' API under /api/v1/patrols/ (token or session auth), used by 城管通.

Writes (start, end, a batch of points) are the inspector's own, through patrols/services.py,
each idempotent so the phone's outbox may send them again; reads answer only what
`Patrol.objects.visible_to` lets the user see (404 otherwise: a track's existence is personal
too).
"""

import datetime as dt
from dataclasses import replace

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from urbanmgmt.api_guards import whole_number
from urbanmgmt.cases import clock
from urbanmgmt.errors import InvalidInput
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.moments import MomentField
from urbanmgmt.org.roles import INSPECTOR, require_role
from urbanmgmt.patrols import services
from urbanmgmt.patrols.models import GapReason, Patrol
from urbanmgmt.patrols.track import Refusal, parse_gaps, parse_points


def _inspector(request) -> None:
    require_role(request.user, INSPECTOR, message=_("Only inspectors record patrols."))


def summary(patrol: Patrol, now: dt.datetime | None = None) -> dict:
    """What the app and the command centre read of a patrol (no track)."""
    until = patrol.ended_at or now or clock.now()
    profile = getattr(patrol.inspector, "profile", None)
    return {
        "id": patrol.pk, "client_id": str(patrol.client_id), "inspector": patrol.inspector.get_username(),
        "inspector_name": (profile.display_name if profile else "") or patrol.inspector.get_username(),
        "started_at": patrol.started_at, "ended_at": patrol.ended_at, "open": patrol.ended_at is None,
        "duration_s": max(0, int((until - patrol.started_at).total_seconds())),
        "point_count": patrol.point_count, "distance_m": round(patrol.distance_m, 1), "last_seq": patrol.last_seq,
        "last_point_at": patrol.last_point_at,
        "last_position": [patrol.last_position.x, patrol.last_position.y] if patrol.last_position else None,
    }


def _refusals(refused: list[Refusal]) -> list[dict]:
    return [{"index": r.index, "seq": r.seq, "code": r.code, "message": r.message} for r in refused]


class StartForm(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="chosen by the phone; a resend answers the same patrol")
    started_at = MomentField(required=False, help_text="when the inspector pressed start (default: now)")


class EndForm(serializers.Serializer):
    ended_at = MomentField(required=False, help_text="when the inspector pressed end (default: now)")


@api_view(["GET", "POST"])
def patrols(request):
    """GET: my patrols, newest first (`limit`, default 20). POST: start a patrol (idempotent
    by `client_id`; a patrol of mine still open is ended at its last point)."""
    if request.method == "GET":
        limit = min(whole_number(request.query_params.get("limit") or "20", "limit", 1), 200)
        rows = Patrol.objects.filter(inspector=request.user).select_related("inspector__profile").order_by("-started_at")
        now = clock.now()
        return Response({"results": [summary(p, now) for p in rows[:limit]]})
    _inspector(request)
    form = StartForm(data=request.data)
    form.is_valid(raise_exception=True)
    started = services.start(request.user, form.validated_data["client_id"], form.validated_data.get("started_at"))
    started.patrol.inspector = request.user
    body = summary(started.patrol)
    body["ended_previous"] = summary(started.ended_previous) if started.ended_previous else None
    return Response(body, status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK)


@api_view(["GET"])
def today(request):
    """My patrols that ran today (city time): started today, ended today or still running, so
    a night patrol across midnight is listed on the new day too; the open one; their totals."""
    now = clock.now()
    start_of_day = day_start(timezone.localdate(now))
    ran_today = Q(started_at__gte=start_of_day) | Q(ended_at__gte=start_of_day) | Q(ended_at__isnull=True)
    rows = list(Patrol.objects.filter(ran_today, inspector=request.user)
                .select_related("inspector__profile").order_by("started_at"))
    open_one = next((p for p in reversed(rows) if p.ended_at is None), None)  # still running: among them
    items = [summary(p, now) for p in rows]
    return Response({
        "patrols": items, "open": summary(open_one, now) if open_one else None,
        "totals": {"duration_s": sum(p["duration_s"] for p in items), "distance_m": round(sum(p["distance_m"] for p in items), 1),
                   "point_count": sum(p["point_count"] for p in items)},
    })


@api_view(["GET"])
def detail(request, client_id):
    """One patrol with its track (points in seq order) and gaps, if the user may see it."""
    patrol = get_object_or_404(Patrol.objects.visible_to(request.user).select_related("inspector__profile"),
                               client_id=client_id)
    body = summary(patrol)
    body["points"] = [{"seq": seq, "t": t, "lon": p.x, "lat": p.y, "accuracy_m": acc} for seq, t, p, acc in
                      patrol.points.order_by("seq").values_list("seq", "recorded_at", "position", "accuracy_m")]
    body["gaps"] = [{"from": a, "to": b, "reason": r, "reason_display": str(GapReason(r).label)}
                    for a, b, r in patrol.gaps.order_by("started_at").values_list("started_at", "ended_at", "reason")]
    return Response(body)


@api_view(["POST"])
def end(request, client_id):
    """End my patrol (idempotent: an ended patrol is answered as it is)."""
    _inspector(request)
    form = EndForm(data=request.data)
    form.is_valid(raise_exception=True)
    patrol = services.end(request.user, client_id, form.validated_data.get("ended_at"))
    patrol.inspector = request.user
    return Response(summary(patrol))


@api_view(["POST"])
def points(request, client_id):
    """A batch of my patrol's points and gaps (at most settings.PATROL_BATCH_MAX_POINTS
    points); each point stored once by its seq, the implausible ones refused with a reason."""
    _inspector(request)
    body = request.data if isinstance(request.data, dict) else {}
    raw_points, raw_gaps = body.get("points", []), body.get("gaps", [])
    if not body or not isinstance(raw_points, list) or not isinstance(raw_gaps, list):
        raise InvalidInput(_("Send an object whose “points” and “gaps” are lists."))
    if len(raw_points) > settings.PATROL_BATCH_MAX_POINTS:
        raise services.TooManyPoints(max=settings.PATROL_BATCH_MAX_POINTS, n=len(raw_points))
    track, bad, places = parse_points(raw_points)
    gaps, bad_gaps, gap_places = parse_gaps(raw_gaps)
    result = services.ingest(request.user, client_id, track, gaps)
    refused = sorted(bad + [replace(r, index=places[r.index]) for r in result.refused], key=lambda r: r.index)
    gaps_refused = sorted(bad_gaps + [replace(r, index=gap_places[r.index]) for r in result.gaps_refused],
                          key=lambda r: r.index)
    result.patrol.inspector = request.user  # the summary names them: no query for it
    return Response({
        "stored": result.stored, "duplicates": result.duplicates, "refused": _refusals(refused),
        "gaps_stored": result.gaps_stored, "gaps_refused": _refusals(gaps_refused),
        "patrol": summary(result.patrol),
    })


# What the views above take and answer, for the OpenAPI schema.
_S = serializers
SUMMARY = {
    "id": _S.IntegerField(), "client_id": _S.UUIDField(), "inspector": _S.CharField(), "inspector_name": _S.CharField(),
    "started_at": _S.DateTimeField(), "ended_at": _S.DateTimeField(allow_null=True), "open": _S.BooleanField(),
    "duration_s": _S.IntegerField(), "point_count": _S.IntegerField(), "distance_m": _S.FloatField(),
    "last_seq": _S.IntegerField(), "last_point_at": _S.DateTimeField(allow_null=True),
    "last_position": _S.ListField(child=_S.FloatField(), allow_null=True, help_text="[lon, lat] (WGS84)"),
}
PATROL = inline_serializer("Patrol", SUMMARY)
REFUSED = inline_serializer("PatrolRefusal", {"index": _S.IntegerField(), "seq": _S.IntegerField(allow_null=True),
                                              "code": _S.CharField(), "message": _S.CharField()}, many=True)
POINT = {"seq": _S.IntegerField(min_value=1), "t": _S.DateTimeField(), "lon": _S.FloatField(), "lat": _S.FloatField(),
         "accuracy_m": _S.FloatField(help_text="metres; worse than PATROL_ACCURACY_MAX_M is refused")}
GAP = {"from": _S.DateTimeField(), "to": _S.DateTimeField(), "reason": _S.CharField(help_text="hidden, no_fix or denied")}
patrols = extend_schema(
    methods=["GET"], operation_id="api_v1_patrols_mine",
    parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1–200, default 20")],
    responses=inline_serializer("MyPatrols", {"results": inline_serializer("MyPatrol", SUMMARY, many=True)}))(patrols)
patrols = extend_schema(methods=["POST"], request=StartForm, responses={
    201: inline_serializer("PatrolStarted", {
        **SUMMARY, "ended_previous": inline_serializer("PatrolEnded", SUMMARY, allow_null=True)}),
    200: PATROL})(patrols)
today = extend_schema(responses=inline_serializer("PatrolsToday", {
    "patrols": inline_serializer("PatrolOfToday", SUMMARY, many=True),
    "open": inline_serializer("OpenPatrol", SUMMARY, allow_null=True),
    "totals": inline_serializer("PatrolTotals", {"duration_s": _S.IntegerField(), "distance_m": _S.FloatField(),
                                                 "point_count": _S.IntegerField()})}))(today)
detail = extend_schema(operation_id="api_v1_patrol_track", responses=inline_serializer("PatrolTrack", {
    **SUMMARY, "points": inline_serializer("PatrolTrackPoint", POINT, many=True),
    "gaps": inline_serializer("PatrolTrackGap", {**GAP, "reason_display": _S.CharField()}, many=True)}))(detail)
end = extend_schema(request=EndForm, responses=PATROL)(end)
points = extend_schema(
    request=inline_serializer("PatrolBatch", {"points": inline_serializer("PatrolPointIn", POINT, many=True),
                                              "gaps": inline_serializer("PatrolGapIn", GAP, many=True, required=False)}),
    responses=inline_serializer("PatrolBatchStored", {
        "stored": _S.IntegerField(), "duplicates": _S.IntegerField(), "refused": REFUSED, "gaps_stored": _S.IntegerField(),
        "gaps_refused": REFUSED, "patrol": PATROL}))(points)
