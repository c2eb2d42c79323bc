"""The worker's stages on small numpy frames: motion gate, homography, capture, spool."""

import json
import threading

import cv2
import numpy as np
import pytest

from vision.worker import geo
from vision.worker.capture import Source
from vision.worker.motion import MotionGate
from vision.worker.output import FrameRing, Spool, snapshot, strip

ZONE = ((80, 60), (160, 60), (160, 120), (80, 120))


def frames(n, seed=1, size=(160, 120)):
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 200, (size[1], size[0], 3), dtype=np.uint8)
    base = cv2.GaussianBlur(base, (9, 9), 0)
    for _ in range(n):
        yield np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)


def test_a_static_noisy_scene_is_not_motion():
    gate = MotionGate((160, 120), [ZONE], width=160)
    results = [gate.moved(f) for f in frames(20)]
    assert results[0] and not any(results[1:])


def test_an_object_moving_in_the_zone_is_motion_and_outside_it_is_not():
    gate = MotionGate((160, 120), [ZONE], width=160, margin=0.0)
    scene = list(frames(12))
    for f in scene[:4]:
        gate.moved(f)
    inside, outside = scene[4].copy(), scene[5].copy()
    cv2.rectangle(inside, (100, 80), (130, 110), (255, 255, 255), -1)
    cv2.rectangle(outside, (5, 5), (40, 40), (255, 255, 255), -1)
    assert gate.moved(inside)
    gate2 = MotionGate((160, 120), [ZONE], width=160, margin=0.0)
    for f in scene[:4]:
        gate2.moved(f)
    assert not gate2.moved(outside)


def test_a_change_of_exposure_is_not_motion():
    gate = MotionGate((160, 120), [ZONE], width=160)
    scene = list(frames(8))
    for f in scene[:4]:
        gate.moved(f)
    darker = (scene[4].astype(np.float32) * 0.8).astype(np.uint8)
    assert not gate.moved(darker)


def test_the_homography_round_trip_is_exact_and_reports_its_error():
    corners = [(0, 170), (640, 170), (640, 360), (0, 360)]
    trapezoid = [(119.2000, 34.6010), (119.2012, 34.6010), (119.2008, 34.6000), (119.2004, 34.6000)]
    truth = geo.fit(corners, trapezoid).matrix  # four pairs: an exact perspective
    image = corners + [(320, 250), (100, 300)]
    ground = geo.project_many(truth, image)
    fitted = geo.fit(image, ground)
    assert fitted.error_m < 0.01 and fitted.inliers == 6
    for (x, y), (lon, lat) in zip(image, ground, strict=False):
        assert geo.project(fitted.matrix, x, y) == pytest.approx((lon, lat), abs=1e-7)  # ~1 cm
    back = geo.project_many(geo.inverse(fitted.matrix), ground)
    assert np.allclose(back, image, atol=0.1)  # a tenth of a pixel


def test_the_homography_error_is_in_metres_when_the_points_disagree():
    image = [(0, 0), (100, 0), (100, 100), (0, 100), (50, 50)]
    ground = [(119.2, 34.6), (119.201, 34.6), (119.201, 34.599), (119.2, 34.599), (119.20053, 34.5995)]
    fitted = geo.fit(image, ground)  # the centre point is ~2.7 m off the plane of the others
    assert 0.3 < fitted.error_m < 3 and fitted.max_error_m > fitted.error_m


def test_the_homography_refuses_fewer_than_four_or_collinear_points():
    with pytest.raises(ValueError):
        geo.fit([(0, 0), (1, 0), (0, 1)], [(119.2, 34.6)] * 3)
    with pytest.raises(ValueError):
        geo.fit([(0, 0), (1, 1), (2, 2), (3, 3)], [(119.2, 34.6), (119.3, 34.7), (119.4, 34.8), (119.5, 34.9)])


def write_video(path, n=40, fps=10.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (160, 120))
    for i, f in enumerate(frames(n)):
        cv2.putText(f, str(i), (10, 100), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        writer.write(f)
    writer.release()
    return str(path)


def test_a_file_is_sampled_at_the_configured_rate_and_timed_from_its_start(tmp_path):
    source = Source("c", write_video(tmp_path / "v.mp4"), sample_fps=2, start_at=1000.0)
    got = [(f.index, f.t) for f in source.frames()]
    assert got == [(i + 1, 1000.0 + i * 0.5) for i in range(8)]
    assert source.decoded == 40


def test_a_looping_file_goes_on_with_later_times(tmp_path):
    stop = threading.Event()
    source = Source("c", write_video(tmp_path / "v.mp4"), sample_fps=2, start_at=0.0, loop=True, stop=stop)
    times = []
    for frame in source.frames():
        times.append(frame.t)
        if len(times) == 20:
            stop.set()
    assert times == [i * 0.5 for i in range(20)]


def test_a_stream_that_drops_is_reopened_with_backoff(tmp_path):
    video = write_video(tmp_path / "v.mp4", n=10)
    opened = []

    def opener(url):
        opened.append(url)
        # the first two connections fail, then the stream plays, drops (file ends), plays again
        return cv2.VideoCapture("/nonexistent" if len(opened) <= 2 else video)

    stop = threading.Event()
    source = Source("c", "rtsp://camera.invalid/stream", sample_fps=100, backoff=(0.01, 0.04), opener=opener, stop=stop)
    got = []
    for frame in source.frames():
        got.append(frame)
        if len(got) == 15:
            stop.set()
    assert len(opened) >= 4 and source.reconnects >= 3
    assert all(b.t >= a.t for a, b in zip(got, got[1:], strict=False))


def test_the_snapshot_and_strip_are_jpegs_with_the_box_drawn():
    image = np.full((120, 160, 3), 100, np.uint8)
    data = snapshot(image, (20, 20, 60, 80), ZONE, "car #1")
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (120, 160, 3)
    assert decoded[50, 20, 2] > 200 and decoded[50, 20, 0] < 80  # the red box edge
    ring = FrameRing(every_s=1, width=80)
    for t in range(10):
        ring.add(float(t), image)
    tiles = ring.pick(0.0, 9.0, 4)
    assert [t for t, _ in tiles] == [0.0, 3.0, 6.0, 9.0]
    assert cv2.imdecode(np.frombuffer(strip(tiles, height=60), np.uint8), cv2.IMREAD_COLOR).shape[0] == 60


def test_a_camera_keeps_strip_frames_for_its_longest_dwell_and_a_margin_not_longer():
    """A worker runs for months: its frames for the strips must not grow with a quarter of an
    hour of every camera (2 MB a camera), only what a strip can need."""
    from vision.worker.config import CameraConfig
    from vision.worker.pipeline import RING_MARGIN_S, CameraPipeline
    from vision.worker.zones import Zone

    pipe = CameraPipeline(CameraConfig("C", "street.mp4", [Zone(1, ZONE, dwell_s=30.0), Zone(2, ZONE, dwell_s=90.0)]),
                          {0: "car"})
    image = np.full((120, 160, 3), 100, np.uint8)
    for t in range(0, 3600, 5):
        pipe.ring.add(float(t), image)
    kept = [t for t, _ in pipe.ring.items]
    assert kept[-1] == 3595 and 3595 - kept[0] == 90 + RING_MARGIN_S
    assert pipe.ring.pick(3595 - 90 - 60, 3595)[0][0] == 3595 - 90 - 60  # a strip from 90 s + a minute before


def test_the_spool_writes_whole_items_and_keeps_them_until_done(tmp_path):
    spool = Spool(tmp_path / "spool")
    item = spool.put({"key": "c:1:2:t"}, {"snapshot.jpg": b"x"}, 1.0)
    again = spool.put({"key": "c:1:2:t"}, {"snapshot.jpg": b"x"}, 1.0)
    assert item == again and spool.pending() == [item]
    assert json.loads((item / "candidate.json").read_text())["key"] == "c:1:2:t"
    assert list((tmp_path / "spool" / "tmp").iterdir()) == []
    spool.done(item)
    assert spool.pending() == []


def test_loading_the_detector_or_the_demo_scenes_leaves_pillows_refusal_of_a_non_image_alone():
    import io

    from PIL import Image, UnidentifiedImageError

    from demo import synth
    from vision.worker import detect

    for load in (synth.background, detect.import_ultralytics):  # the fallback path and the demo load ultralytics
        load()
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(b"this is no photo"))
