"""The worker's loop: capture → motion gate → (batched) detection and tracking → zone rules →
candidates (snapshot, strip, ground point) → a sink (the spool and its sender).

Detection runs for a camera's frame only when something moved inside (or next to) one of its
zones, or when objects stand in a zone that have not yet settled; objects that stand still
are looked at again every `recheck_s` (Frigate's stationary objects). The frames that need
the detector, from every camera of the worker, go through the model in one batch.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vision.worker import geo
from vision.worker.capture import Frame, Reader, Source
from vision.worker.config import CameraConfig, WorkerConfig
from vision.worker.detect import Detector, new_tracker, track
from vision.worker.motion import MotionGate
from vision.worker.output import FrameRing, candidate_key, iso, snapshot, strip
from vision.worker.zones import PERSON, Due, Track, ZoneRules, anchor

log = logging.getLogger("vision.worker")

Sink = Callable[[dict, dict, float], None]


class CameraPipeline:
    """One camera's state: its motion gate, tracker, zone rules and recent frames."""

    def __init__(self, camera: CameraConfig, names: dict[int, str], *, recheck_s: float = 5.0, settle_s: float = 3.0):
        self.camera = camera
        self.names = names
        self.recheck_s = recheck_s
        self.settle_s = settle_s
        self.rules = ZoneRules(list(camera.zones))
        self.tracker = new_tracker()
        self.gate: MotionGate | None = None
        self.tracks: list[Track] = []
        self.last_detection = float("-inf")
        self.ring = FrameRing()
        self.frame_size: tuple[int, int] | None = None

    def wants_detection(self, frame: Frame) -> bool:
        if self.gate is None:
            h, w = frame.image.shape[:2]
            self.frame_size = (w, h)
            self.gate = MotionGate((w, h), [z.polygon for z in self.camera.zones])
        moved = self.gate.moved(frame.image)
        if moved or not self.rules.alive():
            return moved
        return not self.rules.settled(frame.t, self.settle_s) or frame.t - self.last_detection >= self.recheck_s

    def detected(self, frame: Frame, result) -> list[tuple[dict, dict]]:
        """After the detector: update the tracker, then the rules."""
        self.tracks = track(self.tracker, result, self.names)
        self.last_detection = frame.t
        return self._rules(frame)

    def skipped(self, frame: Frame) -> list[tuple[dict, dict]]:
        """No detection this frame: the objects are where they were (nothing moved). The
        tracker still counts the frame, so a lost track expires after as many frames as it
        would under model.track() on every frame (not one that left long ago taking the id of
        the next car)."""
        self.tracker.frame_id += 1
        return self._rules(frame)

    def _rules(self, frame: Frame) -> list[tuple[dict, dict]]:
        self.ring.add(frame.t, frame.image)
        due = self.rules.update(self.tracks, frame.t)
        if due:
            self.ring.add(frame.t, frame.image, force=True)
        return [self.candidate(d, frame) for d in due]

    def candidate(self, due: Due, frame: Frame) -> tuple[dict, dict]:
        """The candidate's data and files (snapshot with the box drawn, strip of frames)."""
        point = anchor(due.box)
        ground = geo.project(self.camera.homography, *point) if self.camera.homography else None
        data = {
            "key": candidate_key(self.camera.code, due.zone.id, due.track.id, due.started_at),
            "camera": self.camera.code, "zone": due.zone.id, "rule": due.zone.rule, "class": due.track.cls,
            "track_id": due.track.id, "started_at": iso(due.started_at), "last_seen_at": iso(frame.t),
            "score": round(due.score, 4), "box": [round(v, 1) for v in due.box],
            "frame_size": list(self.frame_size or frame.image.shape[1::-1]),
            "anchor": [round(point[0], 1), round(point[1], 1)],
            "ground": [round(ground[0], 7), round(ground[1], 7)] if ground else None,
            "people": [[round(v, 1) for v in t.box] for t in self.tracks if t.cls == PERSON],
            "members": list(due.members),
        }
        label = f"{due.track.cls} #{due.track.id} {due.score:.2f}"
        files = {"snapshot.jpg": snapshot(frame.image, due.box, due.zone.polygon, label)}
        frames = self.ring.pick(due.started_at, frame.t)
        if frames:
            files["strip.jpg"] = strip(frames)
        return data, files


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    frames: int = 0
    detected: int = 0
    batches: int = 0
    candidates: int = 0
    events: list[dict] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    def line(self, extra: str = "") -> str:
        share = 100.0 * self.detected / self.frames if self.frames else 0.0
        return (f"[vision] {self.elapsed:7.1f} s  frames {self.frames} ({self.frames / self.elapsed:.1f}/s)  "
                f"detected {self.detected} ({share:.0f}%)  candidates {self.candidates}{extra}")


class Worker:
    """Several cameras through one model; candidates go to `sink(data, files, t)`."""

    def __init__(self, config: WorkerConfig, sink: Sink, *, detector: Detector | None = None,
                 stop: threading.Event | None = None, progress=None, status: Callable[[], str] = lambda: ""):
        if not config.cameras:
            raise ValueError("no cameras to watch")
        self.config = config
        self.sink = sink
        self.stop = stop or threading.Event()
        classes = set()
        for camera in config.cameras:
            classes |= ZoneRules(list(camera.zones)).classes()
        self.detector = detector or Detector(config.weights, device=config.device, imgsz=config.imgsz,
                                             conf=config.conf, classes=classes)
        self.pipes = [CameraPipeline(c, self.detector.names, recheck_s=config.recheck_s, settle_s=config.settle_s)
                      for c in config.cameras]
        self.progress = progress
        self.status = status
        self.stats = Stats()

    def sources(self) -> list[Source]:
        return [Source(c.code, c.source, c.sample_fps, loop=c.loop, start_at=c.start_at, realtime=c.realtime,
                       stop=self.stop) for c in self.config.cameras]

    def run(self, max_seconds: float | None = None) -> Stats:
        """Until every file has ended, `stop` is set, or `max_seconds` have passed."""
        readers = [Reader(s) for s in self.sources()]
        for reader in readers:
            reader.start()
        shown = 0.0
        try:
            while not self.stop.is_set():
                if max_seconds is not None and self.stats.elapsed > max_seconds:
                    break
                if all(r.done() for r in readers):
                    break
                self.step([(p, r.next(0.05 if r.source.stream else 0.5)) for p, r in zip(self.pipes, readers, strict=False)
                           if not r.done()])
                if self.progress and self.stats.elapsed - shown >= 1.0:
                    shown = self.stats.elapsed
                    self.progress(self.stats.line(self.status()))
        finally:
            self.stop.set()
            for reader in readers:
                reader.join(timeout=5)
        errors = [r.error for r in readers if r.error]
        if errors and len(errors) == len(readers):
            raise errors[0]
        return self.stats

    def step(self, frames: list[tuple[CameraPipeline, Frame | None]]) -> None:
        """One frame per camera (those that have one): gate, one batch through the model, rules."""
        batch = []
        for pipe, frame in frames:
            if frame is None:
                continue
            self.stats.frames += 1
            if pipe.wants_detection(frame):
                batch.append((pipe, frame))
            else:
                self._emit(pipe.skipped(frame))
        if batch:
            results = self.detector.detect([frame.image for _, frame in batch])
            self.stats.detected += len(batch)
            self.stats.batches += 1
            for (pipe, frame), result in zip(batch, results, strict=False):
                self._emit(pipe.detected(frame, result))

    def _emit(self, candidates) -> None:
        for data, files in candidates:
            self.stats.candidates += 1
            self.stats.events.append(data)
            self.sink(data, files, time.time())


def stderr_progress(line: str) -> None:
    """A progress line that rewrites itself on a terminal and is logged every so often elsewhere."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line)
        sys.stderr.flush()
    else:
        now = time.monotonic()
        if now - getattr(stderr_progress, "last", 0.0) >= 10:
            stderr_progress.last = now
            print(line, file=sys.stderr, flush=True)


def frame_of(image: np.ndarray, t: float, camera: str = "cam", index: int = 0) -> Frame:
    return Frame(camera, index, t, image)
