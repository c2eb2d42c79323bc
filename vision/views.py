"""The video analysts' pages: the review queue (/vision/) and a camera's zones (/vision/cameras/<id>/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from urbanmgmt.cases.photos import signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.form_actions import posted_here
from urbanmgmt.org import roles as R
from vision import review, services, zoning
from vision.access import CAMERA_EDITORS
from vision.models import Camera, CameraAlert, CandidateEvent, Rule, WorkerKey

PAGE = 30


@login_required
def queue(request):
    """The review (à la Frigate): alerts apart from detections, one item per object and visit
    with its clip, filtered by camera, rule, state and day; confirm, reject, or reject several."""
    R.require_role(request.user, *services.REVIEWERS)
    filters = review.Filters.read(request.GET)
    rows = (review.items(filters).select_related("camera", "zone", "zone__category", "case")
            .prefetch_related("repeats__zone"))
    items = [_item(c) for c in rows[:PAGE]]
    reviewed = (CandidateEvent.objects.exclude(status=CandidateEvent.Status.PENDING)
                .select_related("camera", "case", "reviewed_by").order_by("-reviewed_at")[:15])
    return render(request, "vision/queue.html", {
        "items": items, "pending_count": review.items(review.Filters(kind=filters.kind)).count(),
        "filtered": filters != review.Filters(kind=filters.kind), "any_pending": any(i["pending"] for i in items),
        "tabs": _tabs(request, filters), "filters": filters, "reviewed": reviewed, "here": request.get_full_path(),
        "categories": Category.objects.filter(active=True, family="event").order_by("code"),
        "reasons": CandidateEvent.RejectReason.choices, "table": services.precision_table(),
        "cameras": Camera.objects.filter(active=True), "rules": Rule.choices,
        "alerts": CameraAlert.objects.filter(resolved_at__isnull=True).select_related("camera")[:10],
    })


def _tabs(request, filters: review.Filters) -> list[dict]:
    """Alerts and detections, each with its count under the same filters and its link."""
    labels = {"alerts": _("Alerts"), "detections": _("Detections")}
    out = []
    for kind in review.KINDS:
        query = request.GET.copy()
        query["kind"] = kind
        out.append({"kind": kind, "label": labels[kind], "count": review.items(filters, kind).count(),
                    "url": "?" + query.urlencode(), "current": kind == filters.kind})
    return out


def _item(lead: CandidateEvent) -> dict:
    visit = [lead, *sorted(lead.repeats.all(), key=lambda c: (c.last_seen_at, c.id))]
    clip = next((c for c in reversed(visit) if c.strip), lead)
    width, height = lead.details.get("frame_size") or (lead.camera.frame_width or 16, lead.camera.frame_height or 9)
    return {"c": lead, "visit": visit, "pending": [c for c in visit if c.status == CandidateEvent.Status.PENDING],
            "rules": sorted({c.get_rule_display() for c in visit}), "zones": sorted({c.zone.name for c in visit}),
            "last_seen_at": max(c.last_seen_at for c in visit), "snapshot": signed_media_url(lead.snapshot),
            "strip": signed_media_url(clip.strip), "aspect": f"{width}x{height}",
            "category": lead.zone.default_category_code()}


@login_required
@posted_here("vision-queue", fragment="#candidate-{pk}")
def review_item(request, pk: int):
    """Confirm or reject one review item (an object's visit: its first candidate `pk`)."""
    lead = get_object_or_404(CandidateEvent.objects.select_related("camera", "zone"), pk=pk)
    try:
        if request.POST.get("action") == "confirm":
            category = Category.objects.filter(service_code=request.POST.get("category") or "").first()
            case = review.confirm_visit(request.user, lead, category=category,
                                        description=request.POST.get("description", ""))
            messages.success(request, _("Candidate %(id)s confirmed: case %(code)s.") % {"id": pk, "code": case.code})
        else:
            review.reject_visit(request.user, lead, reason=request.POST.get("reason", ""),
                                note=request.POST.get("note", ""))
            messages.success(request, _("Candidate %(id)s rejected.") % {"id": pk})
    except DomainError as error:
        messages.error(request, _("Candidate %(id)s: %(error)s") % {"id": pk, "error": error})
    back = request.POST.get("next", "")
    if back.startswith("/vision/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("vision-queue")


@login_required
def camera(request, pk: int):
    """A camera's clean still with its zones, each named and in its own colour: draw a new zone
    by clicking its corners, change one (corners, name, rule) or remove it. A zone that cannot
    be saved comes back with its name and corners as typed and the reason beside the picture."""
    R.require_role(request.user, *CAMERA_EDITORS)
    cam = get_object_or_404(Camera, pk=pk)
    if request.method != "POST":
        return _camera_page(request, cam)
    zone = get_object_or_404(cam.zones.filter(active=True), pk=request.POST["zone"]) if request.POST.get("zone") else None
    if request.POST.get("action") == "delete" and zone is not None:
        deleted = zoning.remove_zone(zone)
        messages.success(request, (_("Zone “%(name)s” deleted.") if deleted else
                                   _("Zone “%(name)s” retired: its candidates keep it in their history.")) % {
                                       "name": zone.name})
        return redirect("vision-camera", pk=pk)
    try:
        saved = zoning.save_zone(cam, request.POST, zone)
    except DomainError as error:
        return _camera_page(request, cam, error=str(error), typed=request.POST, status=400)
    messages.success(request, _("Zone “%(name)s” saved.") % {"name": saved.name})
    return redirect("vision-camera", pk=pk)


def _health(cam: Camera) -> dict:
    """What the analyst knows of the camera's state: its open alerts (covered, moved, out of
    focus), when a video worker that reads it last called in, and its latest candidate."""
    workers = WorkerKey.objects.filter(active=True).filter(Q(cameras=cam) | Q(cameras__isnull=True))
    return {"alerts": list(cam.alerts.filter(resolved_at__isnull=True)),
            "worker_seen_at": workers.aggregate(at=Max("last_seen_at"))["at"],
            "latest_at": cam.candidates.aggregate(at=Max("last_seen_at"))["at"]}


def _camera_page(request, cam: Camera, error: str = "", typed=None, status: int = 200):
    zones = [{"id": z.pk, "name": z.name, "rule": z.rule, "rule_display": z.get_rule_display(),
              "polygon": z.polygon, "category": z.category.service_code if z.category_id else "",
              "dwell_s": z.dwell_s, "classes": ", ".join(z.classes)}
             for z in cam.zones.filter(active=True).select_related("category")]
    # Without a clean still, what the camera saw is at least shown: the latest candidate's
    # published snapshot, linked (never drawn on: its detection box is burned in).
    latest = None if cam.snapshot else cam.candidates.exclude(snapshot_display="").order_by("-last_seen_at").first()
    return render(request, "vision/camera.html", {
        "camera": cam, "health": _health(cam), "still": signed_media_url(cam.snapshot.name) if cam.snapshot else "",
        "latest": latest, "latest_url": signed_media_url(latest.snapshot_display) if latest else "",
        "zones": zones, "error": error, "typed": typed or {"dwell_s": "60"},
        "rules": Rule.choices, "categories": Category.objects.filter(active=True, family="event").order_by("code"),
        "size": [cam.frame_width or 1280, cam.frame_height or 720],
    }, status=status)
