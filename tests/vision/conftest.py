"""Fixtures of the video channel: a calibrated camera over the test city, its zone, a worker key."""

import io
import os

import pytest
from PIL import Image

from demo import synth
from tests.builders import point_in

MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared",
                      "data", "models")
WEIGHTS = os.path.normpath(os.path.join(MODELS, "yolo11n_int8_openvino_model"))
# The image road (y 170…360 of a 640 × 360 frame) seen in perspective over grids of the test city.
IMAGE_CORNERS = [(0, 170), (640, 170), (640, 360), (0, 360)]
LATTICE_CORNERS = [(1.0, 1.8), (1.8, 1.8), (1.55, 1.2), (1.25, 1.2)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def calibration(lattice=LATTICE_CORNERS) -> list:
    out = []
    for (x, y), (col, row) in zip(IMAGE_CORNERS, lattice, strict=False):
        p = point_in(col, row)
        out.append([[x, y], [p.x, p.y]])
    return out


@pytest.fixture
def camera(city):
    from vision.models import Camera, Zone
    from vision.services import calibrate

    cam = Camera.objects.create(code="CAM-T1", name="测试路口", stream_url="", position=point_in(1.4, 1.0),
                                calibration=calibration())
    calibrate(cam)
    Zone.objects.create(camera=cam, name="禁停区", rule="illegal_parking",
                        polygon=[list(p) for p in synth.NO_PARKING], dwell_s=15)
    return cam


@pytest.fixture
def zone(camera):
    return camera.zones.get()


@pytest.fixture
def worker_key(city):
    from vision.models import WorkerKey

    worker = WorkerKey(name="worker-1")
    key = worker.new_key()
    worker.save()
    worker.plain_key = key
    return worker


def jpeg(width=640, height=360, color=(90, 90, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()
