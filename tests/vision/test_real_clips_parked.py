"""More real footage for the worker (#16, point 3): a second committed clip of the car park
(fixtures/video/parking_lot_people_bicycles.json: cars turning through, cyclists riding
across, a man walking; nothing stops), run with the real YOLO11n against its labels."""

import os

import pytest

from tests.vision.conftest import WEIGHTS
from tests.vision.test_real_clips import COMMITTED, run
from vision.worker import labels

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.isdir(WEIGHTS), reason="the shared YOLO11n weights are not here")]


@pytest.fixture(scope="module")
def people_bicycles():
    clip = labels.load(os.path.join(COMMITTED, "parking_lot_people_bicycles.json"))
    stats, score = run(clip)
    return clip, stats, score


def test_cars_turning_and_cyclists_crossing_a_car_park_raise_nothing_in_either_zone(people_bicycles):
    clip, stats, score = people_bicycles
    assert {z.rule for z in clip.zones} == {"illegal_parking", "bicycles"} and clip.parked == []
    assert stats.events == [], [(e["zone"], e["class"], e["box"], e["last_seen_at"]) for e in stats.events]
    assert score.false == 0
    # The detector did look where what passed (two cars, two cyclists, a man) stopped moving in
    # view or left it: nothing was raised because nothing stayed, not because nothing was looked at.
    assert stats.detected >= 4, (stats.detected, stats.frames)


def test_the_detector_idles_while_the_car_park_is_empty(people_bicycles):
    _, stats, _ = people_bicycles
    idle = [(4.5, 8.5), (15.0, 24.0), (36.0, 38.0)]  # the car park empty (labels): nothing moves
    empty_frames = sum(int((b - a) * 2) for a, b in idle)
    assert stats.detected <= stats.frames - empty_frames + 2, (stats.detected, stats.frames)


def test_a_car_driving_out_of_view_is_not_a_blurred_camera(people_bicycles):
    _, stats, _ = people_bicycles
    assert stats.alerts == [], stats.alerts
