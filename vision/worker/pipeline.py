"""The worker's loop: capture → motion gate → (batched) detection and tracking → zone rules →
candidates (snapshot, strip, ground point) → a sink (the spool and its sender).

The detector is the cost (a whole frame costs what the naive loop pays per frame), so it runs
only where the motion gate says something may have changed in a zone:

- where motion ended (a moving blob of the last frame with no blob near it now): whatever
  stopped there is what may park; looked at twice when something is found, so that a new
  ByteTrack track is confirmed (it wants two hits in a row);
- where a watched object (in or over a zone) moves, or something moves over it, at most every
  `moving_s` (and half the least dwell): its box and the rules' stationary clock follow it;
  a thing that only passes, touching nothing watched, is not looked at while it moves;
- on the objects in the zones every `recheck_s` (Frigate's stationary objects);
- the whole first frame.

It looks only at the region that needs it (Frigate's regions), cropped at the scale the whole
frame would have; the tracks outside the region are carried to the tracker as they were
(nothing moved there). A region larger than `max_region` of the frame, or the first frame, is
detected whole. The frames that need the detector, from every camera of the worker, go
through the model in batches: whole frames together, crops of one size together.
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
from vision.worker.capture import READ_AHEAD, Frame, Reader, Source
from vision.worker.config import CameraConfig, WorkerConfig
from vision.worker.decode import RecordStream
from vision.worker.detect import Detector, new_tracker, track
from vision.worker.health import OK, CameraHealth
from vision.worker.motion import MotionGate
from vision.worker.output import FrameRing, candidate_key, encode, iso, snapshot, strip
from vision.worker.stationary import Places, relatives
from vision.worker.zones import PERSON, Due, Track, ZoneRules, anchor, overlap, union_box

log = logging.getLogger("vision.worker")

Sink = Callable[[dict, dict, float], None]
CROP_SIZES = (160, 256, 352, 448, 544)  # few input shapes: the runtime holds memory for each
WHOLE_SIZES = (320, 480)
RING_MARGIN_S = 120.0


class CameraPipeline:
    """One camera's state: its motion gate, tracker, zone rules and recent frames."""

    def __init__(self, camera: CameraConfig, names: dict[int, str], *, recheck_s: float = 5.0,
                 imgsz: int = 640, max_region: float = 0.55, min_px: float = 96.0, moving_s: float = 2.0):
        self.camera = camera
        self.names = names
        self.ids = {name: i for i, name in names.items()}
        self.imgsz = imgsz
        self.max_region = max_region
        self.min_px = min_px
        self.region: tuple[int, int, int] | None = None
        self.size = imgsz
        self.last_blobs: list[tuple[tuple[float, float, float, float], float]] = []  # (box, since)
        self.hold_s = 10.0
        self.confirm: list[tuple[float, float, float, float]] = []  # where motion ended and something was found
        self.ending: list[tuple[float, float, float, float]] = []
        self.fresh = True
        self.moving_s = min([moving_s] + [z.dwell_s / 2 for z in camera.zones])
        self.recheck_s = recheck_s
        self.rules = ZoneRules(list(camera.zones))
        self.tracker = new_tracker()
        self.gate: MotionGate | None = None
        self.tracks: list[Track] = []  # as the rules see them: stationary objects by place
        self.raw: list[Track] = []  # as the tracker gave them
        self.places = Places()
        self.health = CameraHealth()
        self.last_detection = float("-inf")
        # The strip runs from the visit's start to its candidate: the longest dwell and a margin.
        self.ring = FrameRing(keep_s=RING_MARGIN_S + max([z.dwell_s for z in camera.zones], default=0.0))
        self.frame_size: tuple[int, int] | None = None
        self.record = RecordStream(camera.record_source, camera.start_at) if camera.record_source else None
        self.shared: tuple[Frame | None, dict] = (None, {})  # what the candidates of one frame share

    def wants_detection(self, frame: Frame) -> bool:
        if self.gate is None:
            self.frame_size = frame.size
            self.gate = MotionGate(frame.size, [z.polygon for z in self.camera.zones])
        self.gate.moved(frame.grey)
        if self.health.observe(self.gate.previous, self.gate.whole_fraction, frame.t) != OK:
            self.region = None  # a scene-wide change, or a camera that no longer shows its zones
            return False
        blobs = list(self.gate.blobs)
        ended = self._ended(blobs, frame.t)
        watched = self.rules.watched(self.tracks)
        since = frame.t - self.last_detection
        if self.fresh:
            self.fresh, boxes = False, []
        elif ended or self.confirm:  # motion stopped there: what stays there (twice: a new track is confirmed)
            boxes, self.ending = ended + self.confirm, ended
        elif since >= self.moving_s and any(overlap(b, t.box) for b in blobs for t in watched):
            boxes = blobs  # a watched object moves (or something moves over it): looked at now and then
        elif watched and since >= self.recheck_s:  # objects standing in the zones: a recheck
            boxes = [t.box for t in watched]
        else:
            return False
        self.region = self._region(boxes)
        return True

    def _ended(self, blobs: list, t: float) -> list[tuple[float, float, float, float]]:
        """Where motion in a zone ended: blobs of earlier frames whose box is still now, with no
        blob near (not a thing moving on). One that something in a zone still moves over (a
        person walking past) waits, up to `hold_s`, until it is still."""
        ended, waiting = [], []
        for box, since in self.last_blobs:
            if self.gate.still(box):
                if not any(overlap(grow(box, 1.0), n) for n in blobs):
                    ended.append(box)
            elif t - since < self.hold_s:
                waiting.append((box, since))
        self.last_blobs = waiting + [(b, t) for b in blobs]
        return ended

    def _region(self, boxes: list) -> tuple[int, int, int] | None:
        """The square of the frame to detect in, (left, top, side) in frame pixels, of a side
        that the model sees at one of a few fixed sizes (None: the whole frame)."""
        w, h = self.frame_size
        watched = self.rules.watched(self.tracks)
        self.size = self.imgsz
        if not boxes:  # the first frame
            return None
        region = grow(union_box(boxes))
        for _ in range(3):  # every tracked object the region touches, whole
            touched = [t.box for t in self.tracks if overlap(t.box, region) and not within(t.box, region)]
            if not touched:
                break
            region = grow(union_box([region, *touched]))
        # The scale the whole frame gets, lowered while the smallest thing to look at (moving, or
        # watched in a zone: a whole frame may be detected) keeps min_px.
        scale = min(1.0, self.imgsz / max(w, h))
        smallest = min([b[3] - b[1] for b in boxes] + [t.height for t in watched])
        scale *= min(1.0, max(0.5, self.min_px / (scale * smallest)))
        need = max(min(region[2], w) - max(region[0], 0), min(region[3], h) - max(region[1], 0)) * scale
        size = next((s for s in CROP_SIZES if s >= need and s <= self.imgsz), None)
        whole = next(s for s in (*WHOLE_SIZES, self.imgsz) if s >= min(self.imgsz, max(w, h) * scale))
        if size is None or size * size > self.max_region * whole * whole * min(w, h) / max(w, h):
            self.size = whole
            return None
        side = round(size / scale)
        cx, cy = (region[0] + region[2]) / 2, (region[1] + region[3]) / 2
        left = int(min(max(0, cx - side / 2), max(0, w - side)))
        top = int(min(max(0, cy - side / 2), max(0, h - side)))
        self.size = size
        return left, top, side

    def crop_size(self) -> int:
        """The model's input size for this frame's region or whole frame."""
        return self.size

    def crop(self, frame: Frame) -> np.ndarray:
        """The region, padded grey to its square where the frame is smaller."""
        if self.region is None:
            return frame.image
        left, top, side = self.region
        part = frame.image[top:top + side, left:left + side]
        if part.shape[:2] == (side, side):
            return part
        square = np.full((side, side, 3), 114, np.uint8)
        square[:part.shape[0], :part.shape[1]] = part
        return square

    def detected(self, frame: Frame, detections: np.ndarray) -> list[tuple[dict, dict]]:
        """After the detector (on the region, or the whole frame): update the tracker with the
        region's detections and the tracks outside it, then the rules."""
        square = None
        if self.region is not None:
            left, top, side = self.region
            detections = detections + np.array([left, top, left, top, 0, 0], np.float32)
            square = (left, top, left + side, top + side)
            # Objects not wholly inside the square are carried as they were; the square's view of
            # one it cuts through is a part of it, not another object.
            h, w = frame.image.shape[:2]
            carried = [[*t.box, t.score, self.ids[t.cls]] for t in self.raw
                       if not within((max(0, t.box[0]), max(0, t.box[1]), min(w, t.box[2]), min(h, t.box[3])), square)]
            if carried:
                detections = np.array([d for d in detections if not cut(d, square, carried)], np.float32).reshape(-1, 6)
                detections = np.vstack([detections, np.array(carried, np.float32)])
        self.confirm, self.ending = (self.ending if len(detections) else []), []
        self.raw = track(self.tracker, detections, self.names)
        dx, dy = self.health.offset
        self.tracks = self.places.update(self.raw, frame.image, frame.t, looked=square,
                                         offset=(dx / self.gate.scale, dy / self.gate.scale))
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
        if self.ring.due(frame.t):
            self.ring.add(frame.t, frame.image)
        if self.record is not None:
            self.record.advance(frame.t)  # a file's main stream keeps pace, as a live one does
        if not self.health.healthy:
            return []  # the zones are not in view: the rules wait (their clocks resume after)
        due = self.rules.update(self.tracks, frame.t)
        if due:
            self.ring.add(frame.t, frame.image, force=True)
        return [self.candidate(d, frame) for d in due]

    def health_alert(self) -> tuple[dict, dict] | None:
        """A new camera-health alert (moved, covered, blurred) with the frame that shows it."""
        alert = self.health.take_alert()
        if alert is None:
            return None
        data = {"kind": "camera_health", "key": f"{self.camera.code}:health:{iso(alert['since'])}",
                "camera": self.camera.code, "state": alert["state"], "since": iso(alert["since"]),
                "at": iso(alert["at"]), "measures": {k: alert[k] for k in ("correlation", "contrast", "sharpness")}}
        return data, {"snapshot.jpg": self.ring.items[-1][1]} if self.ring.items else {}

    def candidate(self, due: Due, frame: Frame) -> tuple[dict, dict]:
        """The candidate's data and files (snapshot with the box drawn, strip of frames, the clean frame)."""
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
        # The frame as the camera saw it, nothing drawn: the server keeps one as the camera's
        # still, for the analyst to draw zones on. From the main stream when there is one.
        image, scale = self._once(frame, "picture", lambda: self.sharpest(frame))
        files = {"snapshot.jpg": snapshot(image, [v * scale for v in due.box], [(x * scale, y * scale) for x, y in
                                                                              due.zone.polygon], label),
                 "frame.jpg": self._once(frame, "frame.jpg", lambda: encode(image))}
        made = self._once(frame, ("strip", due.started_at), lambda: self._strip(due.started_at, frame.t))
        if made is not None:
            files["strip.jpg"] = made
        return data, files

    def _once(self, frame: Frame, key, make: Callable):
        """`make()` once for all the candidates raised on one frame: its picture, its JPEG, the
        strip from one start (ten cars found standing at once are one frame encoded, not ten)."""
        if self.shared[0] is not frame:
            self.shared = (frame, {})
        made = self.shared[1]
        if key not in made:
            made[key] = make()
        return made[key]

    def _strip(self, start: float, end: float) -> bytes | None:
        frames = self.ring.pick(start, end)
        return strip(frames) if frames else None

    def sharpest(self, frame: Frame) -> tuple[np.ndarray, float]:
        """The picture of this moment for the snapshot: the main stream's nearest keyframe (and
        its scale to the detect stream's pixels) when the camera has one, else the frame."""
        found = self.record.at(frame.t) if self.record is not None else None
        if found is None or abs(found[0] - frame.t) > 5.0:
            return frame.image, 1.0
        return found[1], found[1].shape[1] / float(frame.image.shape[1])


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    frames: int = 0
    detected: int = 0
    cropped: int = 0
    batches: int = 0
    candidates: int = 0
    events: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    def line(self, extra: str = "") -> str:
        share = 100.0 * self.detected / self.frames if self.frames else 0.0
        return (f"[vision] {self.elapsed:7.1f} s  frames {self.frames} ({self.frames / self.elapsed:.1f}/s)  "
                f"detected {self.detected} ({share:.0f}%, {self.cropped} cropped)  candidates {self.candidates}{extra}")


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
            classes |= relatives(ZoneRules(list(camera.zones)).classes())
        self.detector = detector or Detector(config.weights, device=config.device, imgsz=config.imgsz,
                                             conf=config.conf, classes=classes, max_batch=config.max_batch)
        self.pipes = [CameraPipeline(c, self.detector.names, recheck_s=config.recheck_s,
                                     imgsz=config.imgsz, max_region=config.max_region, min_px=config.min_px,
                                     moving_s=config.moving_s)
                      for c in config.cameras]
        self.progress = progress
        self.status = status
        self.stats = Stats()

    def sources(self) -> list[Source]:
        return [Source(c.code, c.source, c.sample_fps, loop=c.loop, start_at=c.start_at, realtime=c.realtime,
                       decode=c.decode, stop=self.stop) for c in self.config.cameras]

    def run(self, max_seconds: float | None = None) -> Stats:
        """Until every file has ended, `stop` is set, or `max_seconds` have passed."""
        sources = self.sources()
        ahead = max(1, READ_AHEAD // len(sources))
        readers = [Reader(s, ahead) for s in sources]
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
            for pipe in self.pipes:
                if pipe.record is not None:
                    pipe.record.close()
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
        groups: dict[tuple[bool, int], list[tuple[CameraPipeline, Frame]]] = {}
        for pipe, frame in batch:
            groups.setdefault((pipe.region is None, pipe.crop_size()), []).append((pipe, frame))
        for (whole, size), group in groups.items():  # whole frames of one size together, crops of one size together
            results = self.detector.detect([pipe.crop(frame) for pipe, frame in group], imgsz=size)
            self.stats.detected += len(group)
            self.stats.cropped += 0 if whole else len(group)
            self.stats.batches += 1
            for (pipe, frame), detections in zip(group, results, strict=True):
                self._emit(pipe.detected(frame, detections))
        for pipe, frame in frames:
            alert = pipe.health_alert() if frame is not None else None
            if alert is not None:
                log.warning("camera %s: %s since %s", pipe.camera.code, alert[0]["state"], alert[0]["since"])
                self.stats.alerts.append(alert[0])
                self.sink(*alert, time.time())

    def _emit(self, candidates) -> None:
        for data, files in candidates:
            self.stats.candidates += 1
            self.stats.events.append(data)
            self.sink(data, files, time.time())


def grow(box, margin: float = 0.1, least: float = 16.0) -> tuple[float, float, float, float]:
    pad = max(least, margin * max(box[2] - box[0], box[3] - box[1]))
    return box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad


def within(a, b) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


def cut(detection, square, carried, edge: float = 3.0) -> bool:
    """Whether a detection in the square touches its edge where a carried object crosses it."""
    touches = (detection[0] - square[0] < edge or square[2] - detection[2] < edge
               or detection[1] - square[1] < edge or square[3] - detection[3] < edge)
    return touches and any(overlap(detection[:4], c[:4]) for c in carried)


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
