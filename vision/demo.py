"""Demo cameras for `make run`: two street cameras of the demo city with zones and a
calibration, so the analysts' queue and the worker (`python -m vision.worker --server …
--token $(manage.py vision_worker_key demo)`, its video from `vision/worker/synth.py`) have
something to show. Idempotent."""

import math

from django.db import transaction

from urbanmgmt.grids.models import UnitGrid
from vision import services
from vision.models import Camera, Zone
from vision.worker import synth

# The image road of synth's 640 × 360 street, seen in perspective: near edge 24 m wide,
# far edge 60 m wide and 50 m away (metres east, north of the grid's centre).
IMAGE = [(0, 170), (640, 170), (640, 360), (0, 360)]
GROUND_M = [(-30, 50), (30, 50), (12, 0), (-12, 0)]
CAMERAS = [("HZ-CAM-01", "海连路与通灌路口", 0), ("HZ-CAM-02", "解放路步行街口", 7)]


def _lonlat(lon0: float, lat0: float, east: float, north: float) -> list[float]:
    per_deg = math.pi / 180 * 6_371_008.8
    return [lon0 + east / (per_deg * math.cos(math.radians(lat0))), lat0 + north / per_deg]


@transaction.atomic
def load_vision_demo(log=print) -> int:
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
