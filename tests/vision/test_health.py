"""Scene-wide changes and camera health (vision/worker/health.py, issue #16 point 2): a light
change or a shake skips the detector for that frame instead of starting a detection storm;
a camera covered, blurred or turned away raises one alert per episode and no candidates; the
server records the alert once."""

import json

import cv2
import numpy as np
import pytest

from vision.worker import synth
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
