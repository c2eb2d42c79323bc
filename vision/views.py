"""The video analysts' pages: the review queue (/vision/) and a camera's zones (/vision/cameras/<id>/)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from urbanmgmt.cases.photos import signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.org import roles as R
from vision import services
from vision.access import CAMERA_EDITORS
from vision.models import Camera, CandidateEvent, Rule, Zone

PAGE = 30


@login_required
def queue(request):
    """Pending candidates newest first, with snapshot and strip; confirm or reject each."""
    R.require_role(request.user, *services.REVIEWERS)
    pending = (CandidateEvent.objects.filter(status=CandidateEvent.Status.PENDING)
               .select_related("camera", "zone", "zone__category").order_by("-last_seen_at", "-id"))
    if request.GET.get("camera"):
        pending = pending.filter(camera__code=request.GET["camera"])
    items = []
    for c in pending[:PAGE]:
        items.append({"c": c, "snapshot": signed_media_url(c.snapshot), "strip": signed_media_url(c.strip),
                      "category": c.zone.default_category_code()})
    reviewed = (CandidateEvent.objects.exclude(status=CandidateEvent.Status.PENDING)
                .select_related("camera", "case", "reviewed_by").order_by("-reviewed_at")[:15])
    return render(request, "vision/queue.html", {
        "items": items, "pending_count": pending.count(), "reviewed": reviewed,
        "categories": Category.objects.filter(active=True, family="event").order_by("code"),
        "reasons": CandidateEvent.RejectReason.choices, "table": services.precision_table(),
        "cameras": Camera.objects.filter(active=True),
    })


@login_required
@require_POST
def review(request, pk: int):
    candidate = get_object_or_404(CandidateEvent.objects.select_related("camera", "zone"), pk=pk)
    try:
        if request.POST.get("action") == "confirm":
            category = Category.objects.filter(service_code=request.POST.get("category") or "").first()
            case = services.confirm(request.user, candidate, category=category,
                                    description=request.POST.get("description", ""))
            messages.success(request, _("Candidate %(id)s confirmed: case %(code)s.") % {"id": pk, "code": case.code})
        else:
            services.reject(request.user, candidate, reason=request.POST.get("reason", ""),
                            note=request.POST.get("note", ""))
            messages.success(request, _("Candidate %(id)s rejected.") % {"id": pk})
    except DomainError as error:
        messages.error(request, _("Candidate %(id)s: %(error)s") % {"id": pk, "error": error})
    return redirect("vision-queue")


@login_required
def camera(request, pk: int):
    """A camera's snapshot with its zones; draw a new zone by clicking its corners."""
    R.require_role(request.user, *CAMERA_EDITORS)
    cam = get_object_or_404(Camera, pk=pk)
    if request.method == "POST":
        try:
            _save_zone(cam, request.POST)
            messages.success(request, _("Zone saved."))
        except (DomainError, ValueError) as error:
            messages.error(request, str(error))
        return redirect("vision-camera", pk=pk)
    still = cam.snapshot.name or (cam.candidates.order_by("-id").values_list("snapshot", flat=True).first() or "")
    zones = [{"name": z.name, "rule": z.get_rule_display(), "polygon": z.polygon} for z in cam.zones.all()]
    return render(request, "vision/camera.html", {
        "camera": cam, "still": signed_media_url(still), "zones": zones, "zones_json": zones,
        "rules": Rule.choices, "categories": Category.objects.filter(active=True, family="event").order_by("code"),
        "size": [cam.frame_width or 1280, cam.frame_height or 720],
    })


def _save_zone(cam: Camera, post) -> Zone:
    from urbanmgmt.errors import InvalidInput
    from vision.worker.zones import Zone as RuleZone

    try:
        polygon = [[float(x), float(y)] for x, y in json.loads(post.get("polygon") or "[]")]
    except (TypeError, ValueError):
        raise InvalidInput(_("The zone's polygon is not valid.")) from None
    zone = Zone(camera=cam, name=(post.get("name") or "").strip()[:60] or _("Zone"), polygon=polygon,
                rule=post.get("rule") or "", dwell_s=float(post.get("dwell_s") or 60),
                category=Category.objects.filter(service_code=post.get("category") or "").first(),
                classes=[c.strip() for c in (post.get("classes") or "").split(",") if c.strip()])
    try:
        RuleZone(id=0, polygon=tuple(map(tuple, polygon)), rule=zone.rule, classes=tuple(zone.classes))
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    zone.save()
    return zone
