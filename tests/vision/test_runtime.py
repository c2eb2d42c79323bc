"""The worker runs the OpenVINO export itself (vision/worker/runtime.py) and tracks with its own
ByteTrack (vision/worker/bytetrack.py), without torch or ultralytics in the process (#16, the
worker's memory): the same detections as ultralytics' predictor and the same tracks as its
BYTETracker, on real street frames with the real YOLO11n."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.vision.conftest import WEIGHTS
from vision.worker.bytetrack import ByteTrack
from vision.worker.capture import Source
from vision.worker.runtime import OpenVinoYolo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# (clip, stretches of frames at 2 a second): the committed clip's stretches where cars, cyclists and
# people cross, and the Omotesando street where it is present (it is not committed: its licence)
CLIPS = [(os.path.join(ROOT, "fixtures", "video", "parking_lot_people_bicycles.mp4"), [(4, 8), (19, 28), (50, 68)]),
         (os.path.normpath(os.path.join(ROOT, "..", "data-local", "video", "omotesando_street.mp4")), [(0, 12)])]
VEHICLES_AND_PEOPLE = [0, 1, 2, 3, 5, 7, 8]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.isdir(WEIGHTS), reason="the shared YOLO11n weights are not here")]


def frames(path: str, stretches: list[tuple[int, int]]) -> list[np.ndarray]:
    out = []
    for i, frame in enumerate(Source("T", path, 2.0, start_at=0.0).frames()):
        if any(start <= i < end for start, end in stretches):
            out.append(frame.image)
        if i >= max(end for _, end in stretches):
            break
    return out


def ordered(rows: np.ndarray) -> np.ndarray:
    return rows[np.lexsort((rows[:, 1], rows[:, 0], -rows[:, 4]))]


@pytest.fixture(scope="module")
def real_frames():
    return [image for path, stretches in CLIPS if os.path.exists(path) for image in frames(path, stretches)]


def test_the_runtime_finds_what_ultralytics_finds_on_real_frames_whole_cropped_and_batched(real_frames):
    from ultralytics import YOLO

    ours, theirs = OpenVinoYolo(WEIGHTS), YOLO(WEIGHTS, task="detect")
    crops = [image[100:324, 200:424] for image in real_frames[:8]]
    seen = 0
    for batch, size in ([[f] for f in real_frames[::2]], 640), ([[f] for f in real_frames[1::3]], 320),\
                       ([crops[:4], crops[4:]], 224):
        for images in batch:
            expected = [r.boxes.data.numpy() for r in theirs.predict(images, imgsz=size, conf=0.1,
                                                                     classes=VEHICLES_AND_PEOPLE, verbose=False)]
            got = ours.predict(images, size, 0.1, VEHICLES_AND_PEOPLE)
            for a, b in zip(got, expected, strict=True):
                assert a.shape == b.shape
                np.testing.assert_allclose(ordered(a), ordered(b), atol=0.01)
                seen += len(a)
    assert seen > 30  # real cars and people, not empty frames


def test_bytetrack_gives_the_ids_and_boxes_of_ultralytics_bytetracker_on_real_detections(real_frames):
    from ultralytics.engine.results import Boxes

    from vision.worker.detect import import_ultralytics

    import_ultralytics()
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    model = OpenVinoYolo(WEIGHTS)
    theirs, ours = BYTETracker(IterableSimpleNamespace(**YAML.load(check_yaml("bytetrack.yaml")))), ByteTrack()
    ids = set()
    for i, image in enumerate(real_frames + real_frames[::-1]):  # back again: tracks lost, found, new
        detections = model.predict([image], 640, 0.1, VEHICLES_AND_PEOPLE)[0]
        if i % 5 == 4:
            detections = detections[::2]  # a detector that drops boxes
        expected = theirs.update(Boxes(detections, image.shape[:2]), image)
        got = ours.update(detections)
        assert got.shape == expected.shape
        if len(got):
            np.testing.assert_allclose(got[:, :7], expected[:, :7], atol=1e-3)
            ids |= set(got[:, 4].astype(int))
    assert len(ids) > 6  # tracks born, lost and found again: 9 on the committed clip alone


def test_the_worker_process_runs_without_torch_or_ultralytics():
    script = ("import sys, numpy as np\n"
              "from vision.worker.pipeline import Worker\n"
              "from vision.worker.detect import Detector\n"
              f"d = Detector({WEIGHTS!r}, classes={{'car'}})\n"
              "d.detect([np.zeros((360, 640, 3), np.uint8)])\n"
              "print(sorted(m for m in ('torch', 'ultralytics', 'django') if m in sys.modules))\n")
    answer = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": ""})
    assert answer.stdout.strip().splitlines()[-1] == "[]"


def test_the_detector_falls_back_to_ultralytics_on_request_with_the_same_rows(real_frames, monkeypatch):
    from vision.worker.detect import Detector

    direct = Detector(WEIGHTS, classes={"car", "person"})
    monkeypatch.setenv("VISION_RUNTIME", "ultralytics")
    fallback = Detector(WEIGHTS, classes={"car", "person"})
    assert direct.runtime is not None and fallback.runtime is None and direct.names == fallback.names
    images = real_frames[:4]
    for a, b in zip(direct.detect(images), fallback.detect(images), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(ordered(a), ordered(b), atol=0.01)
