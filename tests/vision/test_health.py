"""Scene-wide changes and camera health (vision/worker/health.py, issue #16 point 2): a light
change or a shake skips the detector for that frame instead of starting a detection storm;
a camera covered, blurred or turned away raises one alert per episode and no candidates; the
server records the alert once."""

import json

import cv2
import numpy as np
import pytest

from demo import synth
from vision.worker.health import BLURRED, COVERED, MOVED, OK, SCENE_CHANGE, CameraHealth
from vision.worker.motion import MotionGate


def run(frames, start=0.0):
    """Feed (image) frames at 2 fps through a motion gate and the health check: their states."""
    gate, health, states, alerts = None, CameraHealth(), [], []
    for i, image in enumerate(frames):
        if gate is None:
            gate = MotionGate(image.shape[1::-1], [synth.NO_PARKING])
        gate.moved(image)
        states.append(health.observe(gate.previous, gate.whole_fraction, start + i / 2))
        alert = health.take_alert()
        if alert:
            alerts.append(alert)
    return states, alerts


def street(n, change=lambda image: image, seed=1):
    rng = np.random.default_rng(seed)
    base = synth.background().astype(np.float32)
    return [np.clip(change(base) + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


def test_a_quiet_street_is_healthy_and_a_light_switched_on_is_no_alert_nor_a_storm():
    states, alerts = run(street(10) + street(20, lambda b: b * 1.6 + 20))  # floodlights at 5 s
    assert alerts == [] and states[:10] == [OK] * 10
    assert set(states[10:]) <= {OK, SCENE_CHANGE} and states[11:] == [OK] * 19  # at most the one frame skipped


def test_an_infrared_switch_is_no_alert_and_skips_at_most_the_frame_of_the_switch():
    def night(b):  # no colour, another tone curve, brighter foliage: the street's structure stays
        grey = cv2.cvtColor(b.astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float32)
        return np.repeat((255 * (grey / 255) ** 0.5)[..., None], 3, axis=2)

    states, alerts = run(street(10) + street(30, night))
    assert alerts == [] and set(states) <= {OK, SCENE_CHANGE} and states[11:].count(SCENE_CHANGE) == 0


@pytest.mark.parametrize(("change", "state"), [
    (lambda b: np.full_like(b, 40), COVERED),  # a bag over the lens
    (lambda b: cv2.GaussianBlur(b, (0, 0), 6), BLURRED),  # knocked out of focus
    (lambda b: np.roll(b, (60, 120), axis=(0, 1)), MOVED),  # turned away
])
def test_a_camera_covered_blurred_or_moved_raises_one_alert_after_it_lasts(change, state):
    states, alerts = run(street(10) + street(40, change) + street(20))  # 20 s of trouble, then back
    assert [a["state"] for a in alerts] == [state]
    assert alerts[0]["since"] == 5.0 and alerts[0]["at"] == 15.0  # after alert_after_s of it
    assert states[30:50] == [state] * 20  # no detection (nor candidates) while it lasts
    assert states[-5:] == [OK] * 5  # the view is back


def quarter(pattern):
    """The street with its top-left quarter replaced by `pattern(height, width)`."""
    def change(base):
        changed = base.copy()
        h, w = base.shape[0] // 2, base.shape[1] // 2
        changed[:h, :w] = pattern(h, w)[..., None]
        return changed
    return change


def test_a_sharp_car_leaving_the_first_view_is_not_a_blurred_camera():
    # The reference starts from the first frame, where a car's sharp edges (a black and
    # white check) fill a quarter of the view; it drives out and leaves smooth asphalt there:
    # the whole view's sharpness falls to 0.06 of the reference's, no tile but those changes.
    car = quarter(lambda h, w: (np.indices((h, w)) // 12).sum(axis=0) % 2 * 255)
    asphalt = quarter(lambda h, w: np.full((h, w), 90))
    states, alerts = run(street(4, car) + street(40, asphalt))
    assert alerts == [] and BLURRED not in states


def test_a_blur_is_seen_in_a_view_that_is_mostly_flat_sky():
    """The street fills the bottom quarter of the view; the rest is an overcast sky with
    nothing to see. Its flat tiles are as flat blurred as sharp: they must not outvote the
    street's tiles, which lose all their detail."""
    def sky(b):
        b = b.copy()
        b[:270] = 170.0
        return b

    states, alerts = run(street(10, sky) + street(30, lambda b: cv2.GaussianBlur(sky(b), (0, 0), 6)))
    assert [a["state"] for a in alerts] == [BLURRED], alerts
    assert states[:10] == [OK] * 10


def test_a_short_trouble_raises_nothing():
    states, alerts = run(street(10) + street(8, lambda b: np.full_like(b, 40)) + street(10))  # 4 s covered
    assert alerts == [] and COVERED not in states


@pytest.mark.django_db
def test_the_server_records_a_camera_alert_once(client, camera, worker_key):
    from vision.models import CameraAlert

    alert = {"kind": "camera_health", "camera": camera.code, "state": "covered", "since": "2026-12-03T10:00:00+00:00",
             "at": "2026-12-03T10:00:10+00:00", "measures": {"contrast": 0.05}}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {worker_key.plain_key}"}
    first = client.post("/api/v1/vision/health/", json.dumps(alert), content_type="application/json", **headers)
    again = client.post("/api/v1/vision/health/", json.dumps(alert), content_type="application/json", **headers)
    assert (first.status_code, again.status_code) == (201, 200)
    stored = CameraAlert.objects.get()
    assert (stored.camera, stored.state, stored.measures) == (camera, "covered", {"contrast": 0.05})
    bad = client.post("/api/v1/vision/health/", json.dumps({**alert, "state": "stolen"}),
                      content_type="application/json", **headers)
    assert bad.status_code == 400
    assert client.post("/api/v1/vision/health/", json.dumps(alert), content_type="application/json").status_code in (401, 403)


def covered_video(path, fps=5.0):
    """30 s of the empty test street; a bag over the lens from 8 to 22 s."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, synth.SIZE)
    for i, image in enumerate(street(int(30 * fps))):
        writer.write(np.full_like(image, 35) if 8 <= i / fps < 22 else image)
    writer.release()
    return str(path)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_covered_camera_reaches_the_server_as_one_alert_and_no_candidate(live_server, camera, worker_key, tmp_path):
    from tests.vision.conftest import WEIGHTS
    from vision.models import CameraAlert, CandidateEvent
    from vision.worker.config import WorkerConfig, fetch_cameras
    from vision.worker.output import Sender, Spool
    from vision.worker.pipeline import Worker

    if not __import__("os").path.isdir(WEIGHTS):
        pytest.skip("the shared YOLO11n weights are not here")
    cameras = fetch_cameras(live_server.url, worker_key.plain_key)
    cameras[0].update(source=covered_video(tmp_path / "covered.mp4"), start_at=1_700_000_000.0)
    config = WorkerConfig.from_dict({"cameras": cameras, "weights": WEIGHTS, "server": live_server.url,
                                     "token": worker_key.plain_key, "spool": str(tmp_path / "spool")})
    spool = Spool(config.spool)
    stats = Worker(config, lambda data, files, t: spool.put(data, files, t)).run()
    sender = Sender(spool, config.ingest_url, config.token, timeout=5, backoff=(0.1, 0.5), health_url=config.health_url)
    assert sender.flush(10) and sender.sent == 1
    alert = CameraAlert.objects.get()
    assert (alert.camera, alert.state, alert.since.timestamp()) == (camera, "covered", 1_700_000_008.0)
    assert stats.events == [] and not CandidateEvent.objects.exists()


@pytest.mark.django_db
def test_an_alert_that_is_no_json_object_is_refused_in_the_users_language(client, camera, worker_key):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {worker_key.plain_key}", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    answer = client.post("/api/v1/vision/health/", json.dumps([1, 2]), content_type="application/json", **headers)
    assert answer.status_code == 400 and "告警内容不是有效的 JSON" in answer.content.decode()
