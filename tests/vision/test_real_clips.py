"""The worker with the real YOLO11n on real street footage, against an analyst's labels
(fixtures/video/; a clip whose licence keeps it out of the repository lies in
../data-local/video/ beside the checkout, or /work/data-local/video/): every labelled parked
object raised once, within 5 s of stopped + dwell, nothing else (#16)."""

import os

import pytest

from tests.vision.conftest import WEIGHTS
from vision.worker import labels
from vision.worker.config import CameraConfig, WorkerConfig
from vision.worker.pipeline import Worker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMITTED = os.path.join(ROOT, "fixtures", "video")
LOCAL = tuple(dict.fromkeys((os.path.normpath(os.path.join(ROOT, "..", "data-local", "video")), "/work/data-local/video")))

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.isdir(WEIGHTS), reason="the shared YOLO11n weights are not here")]


def run(clip: labels.Clip):
    config = WorkerConfig(cameras=[CameraConfig("REAL", clip.path, clip.zones, 2.0, start_at=0.0)], weights=WEIGHTS)
    worker = Worker(config, lambda data, files, t: None)
    stats = worker.run()
    return stats, labels.score(clip, stats.events, 0.0)


def committed(name: str):
    """The committed labels `name` with their committed clip, and the worker's run over it."""
    clip = labels.load(os.path.join(COMMITTED, name))
    return (clip, *run(clip))


def local(name: str) -> labels.Clip:
    """The committed labels `name` with their clip, which is kept outside the repository."""
    clip = labels.load(os.path.join(COMMITTED, name))
    video = os.path.basename(clip.path)
    for folder in LOCAL:
        if os.path.exists(os.path.join(folder, video)):
            clip.path = os.path.join(folder, video)
            return clip
    pytest.skip(f"{video} may not be committed (its licence) and is in none of {', '.join(LOCAL)}: "
                f"see fixtures/video/README.md for where to get it")


def test_a_street_with_parked_cars_and_a_swaying_camera_raises_each_parked_car_once_on_time():
    clip = local("omotesando_street.json")
    stats, score = run(clip)
    assert score.perfect, (score, [(e["zone"], e["box"], e["last_seen_at"]) for e in stats.events])
    assert score.found == 5 and score.late_s <= 5.0
    assert stats.alerts == []  # a bridge that sways is not a camera turned away


def test_cars_driving_through_a_car_park_raise_nothing_and_the_detector_idles_when_it_is_empty():
    clip = labels.load(os.path.join(COMMITTED, "parking_lot_passing.json"))
    stats, score = run(clip)
    assert stats.events == [] and stats.alerts == []
    idle = [(0.5, 4.5), (9.5, 14.5), (20.0, 24.0)]  # the aisle empty (labels): nothing moves
    empty_frames = sum(int((b - a) * 2) for a, b in idle)
    assert stats.detected <= stats.frames - empty_frames + 2, (stats.detected, stats.frames)
    # A car that only drives through cannot be parked: it is looked at where its motion ends
    # (it leaves the view), not on each of the ~26 frames it moves in the zone (32 detections before).
    passing = len(clip.data["passing"])
    assert stats.detected <= 1 + 2 * passing, (stats.detected, stats.frames)
