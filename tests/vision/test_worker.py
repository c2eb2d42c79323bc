"""The whole worker with the real YOLO11n model on a street video composed from real photos,
in-process against the live test server over real HTTP: it raises each parked bus once (not
the traffic passing through the zone, nor the people, the shadow or the exposure drift; a
second bus parking where the first stood raises its own),
survives the server being down and a restart without losing or doubling anything, and the
CLI stops cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from demo import synth
from tests.vision.conftest import WEIGHTS
from vision.worker.config import WorkerConfig, fetch_cameras
from vision.worker.output import Sender, Spool
from vision.worker.pipeline import Worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not os.path.isdir(WEIGHTS), reason="the shared YOLO11n weights are not here")]


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("video") / "street.mp4")
    return synth.parking_scene(path)


@pytest.fixture(scope="module")
def two_visits(tmp_path_factory):
    """The street, then a second bus that parks where the first one stood, after it left."""
    path = str(tmp_path_factory.mktemp("video") / "two.mp4")
    return synth.parking_scene(path, duration_s=84, extra_parks=[(56, 76)])


def config(live_server, worker_key, street, spool, server=None):
    cameras = fetch_cameras(live_server.url, worker_key.plain_key)
    for camera in cameras:
        camera["source"] = street
        camera["start_at"] = time.time() - 600  # the file was recorded ten minutes ago
    return WorkerConfig.from_dict({"cameras": cameras, "weights": WEIGHTS, "server": server or live_server.url,
                                   "token": worker_key.plain_key, "spool": str(spool)})


def run_worker(cfg):
    spool = Spool(cfg.spool)
    sender = Sender(spool, cfg.ingest_url, cfg.token, timeout=5, backoff=(0.1, 0.5))
    worker = Worker(cfg, lambda data, files, t: spool.put(data, files, t))
    stats = worker.run()
    sender.flush(10)
    return stats, spool, sender


def test_the_worker_raises_each_parked_bus_once_and_nothing_else(live_server, camera, worker_key, tmp_path,
                                                                   two_visits, empty_history_after):
    from vision.models import CandidateEvent

    stats, spool, sender = run_worker(config(live_server, worker_key, two_visits, tmp_path / "spool"))
    candidates = list(CandidateEvent.objects.order_by("started_at"))
    assert len(candidates) == 2, [c.details for c in candidates]
    for c in candidates:
        assert (c.rule, c.object_class, c.status) == ("illegal_parking", "bus", "pending")
        assert c.point is not None and not c.outside_area and c.strip
        assert (c.last_seen_at - c.started_at).total_seconds() >= 15  # the zone's dwell time
        assert 440 < c.anchor[0] < 520 and 270 < c.anchor[1] < 300  # the parked bus's bottom centre
    first, second = candidates
    # the second bus parks where the first stood, after it left: its own candidate, no cooldown
    assert second.started_at > first.last_seen_at
    assert spool.pending() == [] and sender.sent == 2
    assert stats.detected < stats.frames * 0.6  # the motion gate skipped the static stretches
    assert stats.cropped > 0  # and the detector looked at the moving regions only, where they were small
    camera.refresh_from_db()  # the worker's frame with nothing drawn became the still zones are drawn on
    assert camera.snapshot.name.startswith("vision/cameras/") and camera.snapshot.size > 10_000


def test_a_worker_whose_server_is_down_spools_and_a_restart_sends_everything_once(live_server, camera, worker_key,
                                                                                  tmp_path, street,
                                                                                  empty_history_after):
    from vision.models import CandidateEvent

    down = config(live_server, worker_key, street, tmp_path / "spool", server="http://127.0.0.1:9")
    stats, spool, sender = run_worker(down)  # "killed" before anything was sent
    assert stats.candidates == 1 and len(spool.pending()) == 1 and sender.sent == 0
    assert not CandidateEvent.objects.exists()
    up = config(live_server, worker_key, street, tmp_path / "spool")
    up.cameras[0].start_at = down.cameras[0].start_at  # the same recording, replayed from its start
    stats, spool, sender = run_worker(up)  # the restart: the spooled one and the replayed one
    assert CandidateEvent.objects.count() == 1
    assert sender.sent + sender.duplicates == 2 and spool.pending() == []


def test_the_cli_shows_progress_and_stops_cleanly_on_sigterm(live_server, camera, worker_key, tmp_path, street):
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "YOLO_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vision.worker", "--server", live_server.url, "--token", worker_key.plain_key,
         "--weights", WEIGHTS, "--spool", str(tmp_path / "spool"), "--source", f"CAM-T1={street}", "--loop",
         "--realtime"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    lines: list[str] = []
    try:
        # Stopped once it shows its first progress (it has read frames for a second): running.
        reader, progressed = _read_until_progress(process, lines, 120)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(30)  # the rest of stderr: the final figures
    finally:
        process.kill()
        process.wait()
    err = "".join(lines)
    assert progressed, err[-2000:]
    assert process.returncode == 0, err[-2000:]
    assert "[vision]" in err and "frames" in err


def _read_until_progress(process: subprocess.Popen, lines: list[str], seconds: float) -> tuple[threading.Thread, bool]:
    """The thread reading the worker's stderr into `lines` until it ends, and whether a
    progress line came within `seconds`."""
    seen = threading.Event()

    def read():
        for line in process.stderr:
            lines.append(line)
            if line.startswith("[vision]") and "frames" in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, seen.wait(seconds)


def test_the_demo_records_the_candidates_of_a_real_worker_run_once(city, settings, empty_history_after):
    from demo.cameras import load_vision_demo
    from vision.models import CandidateEvent

    settings.VISION_WEIGHTS = WEIGHTS
    assert load_vision_demo(log=lambda *_: None) == 2
    recorded = list(CandidateEvent.objects.filter(worker__name="demo-recording").select_related("camera"))
    assert sorted(c.camera.code for c in recorded) == ["HZ-CAM-01", "HZ-CAM-02"]  # the parked bus, on each camera
    assert all((c.rule, c.object_class, c.status, c.outside_area) == ("illegal_parking", "bus", "pending", False)
               for c in recorded)  # and they can become cases
    assert all((c.last_seen_at - c.started_at).total_seconds() >= 60 for c in recorded)  # the demo zones' dwell
    assert load_vision_demo(log=lambda *_: None) == 2
    assert CandidateEvent.objects.count() == 2
