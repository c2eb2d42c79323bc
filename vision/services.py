"""The video channel's rules: ingest a worker's candidate, confirm it into a case (through
urbanmgmt/cases/services.py, the one way into the case table) or reject it with a reason.

Ingest is idempotent by (camera, zone, track, start): a resend, or two racing resends, give
back the candidate made the first time. Bad input is refused with a message and nothing is
written.
"""

import datetime as dt
import json

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock
from urbanmgmt.cases import services as cases
from urbanmgmt.cases.models import Case, CaseMedia, Channel
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, OutsideServiceArea
from urbanmgmt.grids.geo import check_lon_lat
from urbanmgmt.grids.services import grid_for_point
from urbanmgmt.org import roles as R
from vision import media
from vision.models import Camera, CameraAlert, CandidateEvent, Rule, WorkerKey, Zone
from vision.worker import geo
from vision.worker.zones import box_iou

REVIEWERS = (R.ANALYST, R.ADMIN)
SAME_PLACE_IOU = 0.5  # the worker's own test of "where the raised object stood" (zones.near)


# --- calibration ---------------------------------------------------------------------------

def calibrate(camera: Camera, pairs: list | None = None) -> Camera:
    """Fit the camera's homography from its calibration pairs [[x, y], [lon, lat]] (≥ 4) and
    keep it with its reprojection error; InvalidInput when the pairs do not make one."""
    pairs = camera.calibration if pairs is None else pairs
    try:
        image = [(float(p[0][0]), float(p[0][1])) for p in pairs]
        ground = [check_lon_lat(p[1][0], p[1][1]) for p in pairs]
    except (TypeError, ValueError, IndexError, KeyError):
        raise InvalidInput(_("Calibration points must be pairs [[x, y], [lon, lat]].")) from None
    if len(pairs) < 4:
        raise InvalidInput(_("At least 4 calibration point pairs are needed; there are %(n)s."), n=len(pairs))
    try:
        fitted = geo.fit(image, ground)
    except ValueError:
        raise InvalidInput(_("These calibration points do not define the ground plane (are three of them in a "
                             "line?).")) from None
    camera.calibration = [[list(i), list(g)] for i, g in zip(image, ground, strict=False)]
    camera.homography = fitted.matrix
    camera.reprojection_error_m = round(fitted.error_m, 3)
    camera.save(update_fields=["calibration", "homography", "reprojection_error_m"])
    return camera


# --- ingest ---------------------------------------------------------------------------------

def _number(data: dict, key: str, low: float = float("-inf"), high: float = float("inf")) -> float:
    try:
        value = float(data[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(_("“%(field)s” must be a number."), field=key) from None
    if not (low <= value <= high):
        raise InvalidInput(_("“%(field)s” is out of range."), field=key)
    return value


def _time(data: dict, key: str) -> dt.datetime:
    value = parse_datetime(str(data.get(key) or ""))
    if value is None or timezone.is_naive(value):
        raise InvalidInput(_("“%(field)s” must be an ISO 8601 time with its offset."), field=key)
    return value


def _box(data: dict, width: int, height: int) -> list[float]:
    box = data.get("box")
    if not isinstance(box, list) or len(box) != 4:
        raise InvalidInput(_("“box” must be [x1, y1, x2, y2]."))
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise InvalidInput(_("“box” must be [x1, y1, x2, y2].")) from None
    slack = 2.0
    if not (-slack <= x1 < x2 <= width + slack and -slack <= y1 < y2 <= height + slack):
        raise InvalidInput(_("The box %(box)s lies outside the %(w)s × %(h)s frame."), box=box, w=width, h=height)
    return [x1, y1, x2, y2]


def _frame_size(camera: Camera, data: dict) -> tuple[int, int]:
    size = data.get("frame_size")
    try:
        width, height = int(size[0]), int(size[1])
    except (TypeError, ValueError, IndexError):
        raise InvalidInput(_("“frame_size” must be [width, height].")) from None
    if not (0 < width <= 10000 and 0 < height <= 10000):
        raise InvalidInput(_("“frame_size” must be [width, height]."))
    if camera.frame_width and (camera.frame_width, camera.frame_height) != (width, height):
        raise InvalidInput(_("Camera %(camera)s sends %(w)s × %(h)s frames; %(got)s was reported."),
                           camera=camera.code, w=camera.frame_width, h=camera.frame_height, got=f"{width} × {height}")
    return width, height


def ground_point(camera: Camera, anchor: list[float], reported) -> Point | None:
    """The anchor on the ground: through the camera's homography, else the worker's point."""
    lonlat = geo.project(camera.homography, *anchor) if camera.homography else None
    if lonlat is None and reported:
        try:
            lonlat = (float(reported[0]), float(reported[1]))
        except (TypeError, ValueError, IndexError):
            raise InvalidInput(_("“ground” must be [lon, lat].")) from None
    if lonlat is None:
        return None
    return Point(*check_lon_lat(*lonlat), srid=4326)


def _in_service_area(point: Point | None) -> bool:
    if point is None:
        return False
    try:
        grid_for_point(point)
    except OutsideServiceArea:
        return False
    return True


def _worker_post(worker: WorkerKey, raw: str | bytes | dict, not_json) -> tuple[dict, Camera]:
    """A worker's JSON object and the camera of this worker it names."""
    data = raw
    if isinstance(raw, str | bytes):
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidInput(not_json) from None
    if not isinstance(data, dict):
        raise InvalidInput(not_json)
    camera = worker.camera_queryset().filter(code=str(data.get("camera") or "")).first()
    if camera is None:
        raise InvalidInput(_("Unknown camera “%(camera)s” for this worker."), camera=data.get("camera"))
    return data, camera


def visit_of(camera, zone, track_id: int, started_at: dt.datetime, last_seen_at: dt.datetime,
             box: list[float]) -> int | None:
    """The first candidate of the visit a new candidate continues: the same camera, the same
    track where it stood (a worker restarted numbers its tracks afresh), raised at most the
    zone's cooldown before the new one was first seen (its id); None when it starts a visit."""
    earlier = (CandidateEvent.objects.filter(camera=camera, track_id=track_id, started_at__lte=last_seen_at,
                                             last_seen_at__gte=started_at - dt.timedelta(seconds=zone.cooldown_s))
               .order_by("-last_seen_at", "-id").only("pk", "visit_id", "box"))
    for candidate in earlier[:5]:
        if box_iou(candidate.box, box) >= SAME_PLACE_IOU:
            return candidate.visit_id or candidate.pk
    return None


def ingest(worker: WorkerKey, raw: str | dict, snapshot: bytes, strip: bytes | None = None, *,
           frame: bytes | None = None) -> tuple[CandidateEvent, bool]:
    """Record a worker's candidate; returns (candidate, created). A resend returns the first.
    `frame`, the picture with nothing drawn on it, becomes the camera's still if it has none."""
    data, camera = _worker_post(worker, raw, _("The candidate is not valid JSON."))
    try:
        zone = camera.zones.get(pk=int(data.get("zone")))
    except (TypeError, ValueError, Zone.DoesNotExist):
        raise InvalidInput(_("Camera %(camera)s has no zone %(zone)s."), camera=camera.code, zone=data.get("zone")) from None
    track_id = int(_number(data, "track_id", 0, 2**62))
    started_at, last_seen_at = _time(data, "started_at"), _time(data, "last_seen_at")
    existing = CandidateEvent.objects.filter(camera=camera, zone=zone, track_id=track_id, started_at=started_at).first()
    if existing:
        return existing, False
    if last_seen_at > timezone.now() + dt.timedelta(seconds=settings.VISION_CLOCK_SKEW_S):
        raise InvalidInput(_("The candidate's time lies in the future: check the worker's clock."))
    if started_at > last_seen_at:
        raise InvalidInput(_("The candidate was first seen after it was raised."))
    rule = str(data.get("rule") or zone.rule)
    if rule not in Rule.values:
        raise InvalidInput(_("Unknown rule %(rule)s."), rule=rule)
    width, height = _frame_size(camera, data)
    box = _box(data, width, height)
    anchor = [(box[0] + box[2]) / 2, box[3]]
    point = ground_point(camera, anchor, data.get("ground"))
    people = [b for b in data.get("people") or [] if isinstance(b, list) and len(b) == 4]
    photo = media.snapshot_photo(snapshot, people, (width, height))
    strip_photo = media.read_photo(strip, "strip.jpg") if strip else None
    clean = media.read_photo(frame, "frame.jpg") if frame and not camera.snapshot else None
    paths = photo.store()
    candidate = CandidateEvent(
        camera=camera, zone=zone, worker=worker, rule=rule,
        visit_id=visit_of(camera, zone, track_id, started_at, last_seen_at, box), object_class=str(data.get("class") or "")[:40],
        track_id=track_id, started_at=started_at, last_seen_at=last_seen_at,
        score=_number(data, "score", 0, 1), box=box, anchor=anchor, point=point,
        outside_area=not _in_service_area(point),
        details={"people": people, "members": data.get("members") or [], "frame_size": [width, height],
                 "key": str(data.get("key") or "")[:200], "snapshot_sha256": photo.sha256},
        snapshot=paths["file"], snapshot_display=paths["display"], snapshot_thumb=paths["thumbnail"],
        strip=media.store_original(strip_photo) if strip_photo else "",
    )
    try:
        with transaction.atomic():
            candidate.save()
            if not camera.frame_width:
                Camera.objects.filter(pk=camera.pk).update(frame_width=width, frame_height=height)
    except IntegrityError:  # a racing resend won
        existing = CandidateEvent.objects.filter(camera=camera, zone=zone, track_id=track_id,
                                                 started_at=started_at).first()
        if existing:
            return existing, False
        raise
    WorkerKey.objects.filter(pk=worker.pk).update(last_seen_at=timezone.now())
    if clean is not None:
        media.keep_camera_still(camera, clean)
    return candidate, True


def worker_config(worker: WorkerKey) -> dict:
    """The cameras and zones this worker watches, in the worker's config format."""
    cameras = worker.camera_queryset().filter(active=True).prefetch_related("zones")
    return {"cameras": [{
        "code": c.code, "name": c.name, "source": c.stream_url, "sample_fps": c.sample_fps,
        "record_source": c.record_url or None, "decode": c.decode,
        "homography": c.homography, "frame_size": [c.frame_width, c.frame_height] if c.frame_width else None,
        "zones": [{"id": z.pk, "name": z.name, "rule": z.rule, "polygon": z.polygon, "classes": z.classes,
                   "dwell_s": z.dwell_s, "inertia": z.inertia, "tolerance": z.tolerance, "min_count": z.min_count,
                   "cooldown_s": z.cooldown_s} for z in c.zones.all() if z.active],
    } for c in cameras]}


# --- review -------------------------------------------------------------------------------

def pending_for_review(candidate: CandidateEvent) -> CandidateEvent:
    """The candidate's row, locked, if it still waits for review (ForbiddenTransition if not)."""
    current = CandidateEvent.objects.select_for_update().get(pk=candidate.pk)
    if current.status != CandidateEvent.Status.PENDING:
        raise ForbiddenTransition(_("This candidate was already reviewed (%(status)s)."),
                                  status=current.get_status_display())
    return current


def confirm(actor, candidate: CandidateEvent, *, category: Category | None = None, description: str = "") -> Case:
    """The analyst confirms: a case of channel video at the candidate's ground point, with its
    snapshot (people blurred in the published copies) as evidence. OutsideServiceArea when the
    point lies in no unit grid; nothing is written then."""
    R.require_role(actor, *REVIEWERS, message=_("Only video analysts review candidates."))
    if candidate.point is None:
        raise InvalidInput(_("This candidate has no ground position: calibrate camera %(camera)s first."),
                           camera=candidate.camera.code)
    category = category or _default_category(candidate)
    photo = media.snapshot_photo(_read(candidate.snapshot), candidate.details.get("people") or [],
                                 candidate.details.get("frame_size") or (candidate.camera.frame_width,
                                                                         candidate.camera.frame_height))
    with transaction.atomic():
        current = pending_for_review(candidate)
        case, _created = cases.report(
            actor, channel=Channel.VIDEO, point=current.point, category=category,
            description=description.strip() or _describe(current), external_ref=f"candidate:{current.pk}",
            reported_at=min(current.last_seen_at, clock.now()),
            payload={"candidate": current.pk, "camera": current.camera.code, "zone": current.zone_id,
                     "rule": current.rule, "class": current.object_class, "track": current.track_id,
                     "score": current.score},
            evidence=[cases.Evidence(photo=photo, kind=CaseMedia.Kind.SNAPSHOT)])
        CandidateEvent.objects.filter(pk=current.pk).update(
            status=CandidateEvent.Status.CONFIRMED, case=case, reviewed_by=actor, reviewed_at=clock.now(),
            review_note=description.strip())
    return case


def reject(actor, candidate: CandidateEvent, *, reason: str, note: str = "") -> CandidateEvent:
    """The analyst rejects with a reason (false detection, not a violation, duplicate, other)."""
    R.require_role(actor, *REVIEWERS, message=_("Only video analysts review candidates."))
    if reason not in CandidateEvent.RejectReason.values:
        raise InvalidInput(_("Choose a reason for rejecting."))
    if reason == CandidateEvent.RejectReason.OTHER and not note.strip():
        raise InvalidInput(_("Say why the candidate is rejected."))
    with transaction.atomic():
        current = pending_for_review(candidate)
        current.status, current.reject_reason, current.review_note = CandidateEvent.Status.REJECTED, reason, note.strip()
        current.reviewed_by, current.reviewed_at = actor, clock.now()
        current.save(update_fields=["status", "reject_reason", "review_note", "reviewed_by", "reviewed_at"])
    return current


def _default_category(candidate: CandidateEvent) -> Category | None:
    code = candidate.zone.default_category_code()
    return Category.objects.filter(service_code=code).first() if code else None


def _describe(candidate: CandidateEvent) -> str:
    return (f"{candidate.get_rule_display()}: {candidate.object_class_display} · {candidate.camera.name} · "
            f"{candidate.zone.name}")


def _read(path: str) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(path, "rb") as handle:
        return handle.read()


def precision_table(since: dt.datetime | None = None) -> list[dict]:
    """Per camera and rule: candidates, confirmed, rejected, pending and precision (the
    detector's own valid rate: confirmed ÷ reviewed)."""
    rows = CandidateEvent.objects.all()
    if since:
        rows = rows.filter(last_seen_at__gte=since)
    rows = (rows.values("camera__code", "camera__name", "rule").order_by("camera__code", "rule")
            .annotate(total=Count("id"), confirmed=Count("id", filter=Q(status="confirmed")),
                      rejected=Count("id", filter=Q(status="rejected"))))
    out = []
    for row in rows:
        reviewed = row["confirmed"] + row["rejected"]
        out.append({"camera": row["camera__code"], "camera_name": row["camera__name"], "rule": row["rule"],
                    "rule_display": str(Rule(row["rule"]).label), "candidates": row["total"],
                    "confirmed": row["confirmed"], "rejected": row["rejected"],
                    "pending": row["total"] - reviewed,
                    "precision": round(row["confirmed"] / reviewed, 3) if reviewed else None})
    return out


def record_alert(worker: WorkerKey, raw: str | bytes | dict) -> tuple[CameraAlert, bool]:
    """Record a worker's camera-health alert; returns (alert, created). A resend returns the first."""
    data, camera = _worker_post(worker, raw, _("The alert is not valid JSON."))
    state = str(data.get("state") or "")
    if state not in CameraAlert.State.values:
        raise InvalidInput(_("Unknown camera state %(state)s."), state=state)
    since, raised_at = _time(data, "since"), _time(data, "at")
    measures = data.get("measures") if isinstance(data.get("measures"), dict) else {}
    return CameraAlert.objects.get_or_create(camera=camera, since=since, defaults={
        "worker": worker, "state": state, "raised_at": raised_at,
        "measures": {k: float(v) for k, v in measures.items() if isinstance(v, int | float)}})
