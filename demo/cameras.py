"""Demo cameras for `make run`: two street cameras of the demo city with zones and a
calibration, so the analysts' queue and the worker (`python -m vision.worker --server …
--token $(manage.py vision_worker_key demo)`, its video from `demo/synth.py`) have
something to show; and, once, the candidates of a real worker run over a generated street
clip for each camera (the YOLO11n of settings.VISION_WEIGHTS; skipped with a line where the
weights are missing). Idempotent."""

import datetime as dt
import math
import os
import tempfile

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from demo import synth
from urbanmgmt.grids.models import UnitGrid
from vision import services
from vision.models import Camera, CandidateEvent, WorkerKey, Zone

# The image road of synth's 640 × 360 street, seen in perspective: near edge 24 m wide,
# far edge 60 m wide and 50 m away (metres east, north of the grid's centre).
IMAGE = [(0, 170), (640, 170), (640, 360), (0, 360)]
GROUND_M = [(-30, 50), (30, 50), (12, 0), (-12, 0)]
CAMERAS = [("HZ-CAM-01", "海连路与通灌路口", 0), ("HZ-CAM-02", "解放路步行街口", 7)]


def _lonlat(lon0: float, lat0: float, east: float, north: float) -> list[float]:
    per_deg = math.pi / 180 * 6_371_008.8
    return [lon0 + east / (per_deg * math.cos(math.radians(lat0))), lat0 + north / per_deg]


def load_vision_demo(log=print, candidates: bool = True) -> int:
    count = _cameras(log)
    if count and candidates:
        record_demo_candidates(log)
    return count


@transaction.atomic
def _cameras(log) -> int:
    grids = list(UnitGrid.objects.order_by("code")[:40])
    if not grids:
        return 0
    for code, name, index in CAMERAS:
        centre = grids[min(index * 5, len(grids) - 1)].geom.centroid
        camera, created = Camera.objects.get_or_create(code=code, defaults={
            "name": name, "stream_url": "", "position": centre, "heading": 0.0, "frame_width": 640,
            "frame_height": 360,
            "calibration": [[list(i), _lonlat(centre.x, centre.y, *g)] for i, g in zip(IMAGE, GROUND_M, strict=True)]})
        if created:
            services.calibrate(camera)
            Zone.objects.create(camera=camera, name="禁停路段", rule="illegal_parking",
                                polygon=[list(p) for p in synth.NO_PARKING], dwell_s=60)
            Zone.objects.create(camera=camera, name="人行道", rule="bicycles", polygon=[list(p) for p in synth.PAVEMENT],
                                dwell_s=30, min_count=3)
    log(f"video cameras: {Camera.objects.count()}")
    return Camera.objects.count()


DEMO_WORKER = "demo-recording"


def record_demo_candidates(log=print, weights: str | None = None) -> int:
    """Once: the worker's own pipeline (motion gate, YOLO11n, ByteTrack, zone rules) over a
    generated clip of a bus parking for 70 s in the no-parking zone, for each demo camera (the
    clip as if recorded in the last hours), its candidates recorded through ingest() like a
    worker's post, under the worker key "demo-recording". Returns the candidates recorded."""
    weights = weights or settings.VISION_WEIGHTS
    if CandidateEvent.objects.filter(worker__name=DEMO_WORKER).exists():
        return 0
    if not weights or not os.path.exists(weights):
        log(f"video demo candidates: skipped, no model weights at {weights}")
        return 0
    from vision.worker.config import WorkerConfig
    from vision.worker.pipeline import Worker

    worker = WorkerKey.objects.filter(name=DEMO_WORKER).first() or WorkerKey(name=DEMO_WORKER)
    worker.new_key()  # nobody holds it: the recording posts in-process
    worker.save()
    log("video demo candidates: running the worker over a generated street clip (once, under a minute)…")
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = synth.parking_scene(os.path.join(tmp, "street.mp4"), park_at=8, leave_at=78, duration_s=84)
        cameras = services.worker_config(worker)["cameras"]
        for i, camera in enumerate(cameras):
            camera["source"] = clip
            camera["start_at"] = (timezone.now() - dt.timedelta(hours=1 + 2 * i)).timestamp()
        config = WorkerConfig.from_dict({"cameras": cameras, "weights": weights})
        Worker(config, lambda data, files, t: found.append((data, files))).run()
    for data, files in found:
        services.ingest(worker, data, files["snapshot.jpg"], files.get("strip.jpg"))
    log(f"video demo candidates: {len(found)}")
    return len(found)
