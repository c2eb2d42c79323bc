"""The video analysts' pages: the review queue (/vision/) and a camera's zones (/vision/cameras/<id>/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from urbanmgmt.cases.photos import signed_media_url
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.org import roles as R
from vision import services, zoning
from vision.access import CAMERA_EDITORS
from vision.models import Camera, CandidateEvent, Rule

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


def _camera_page(request, cam: Camera, error: str = "", typed=None, status: int = 200):
    zones = [{"id": z.pk, "name": z.name, "rule": z.rule, "rule_display": z.get_rule_display(),
              "polygon": z.polygon, "category": z.category.service_code if z.category_id else "",
              "dwell_s": z.dwell_s, "classes": ", ".join(z.classes)}
             for z in cam.zones.filter(active=True).select_related("category")]
    return render(request, "vision/camera.html", {
        "camera": cam, "still": signed_media_url(cam.snapshot.name) if cam.snapshot else "",
        "zones": zones, "error": error, "typed": typed or {"dwell_s": "60"},
        "rules": Rule.choices, "categories": Category.objects.filter(active=True, family="event").order_by("code"),
        "size": [cam.frame_width or 1280, cam.frame_height or 720],
    }, status=status)
