"""Stationary objects keep their identity by place, not by tracker id or class.

A real camera's detector flickers: a parked car seen from above is "car" in one frame, "truck"
or "boat" in the next, its box shifts a few pixels, a frame drops it, a passing bus hides it,
and ByteTrack hands it a new id after each gap — so a dwell clock kept per track id restarts
and one car raises two candidates, or none. Frigate handles this by remembering stationary
objects and checking them by appearance rather than by detection; this module does the same:

- a tracked object of a watched family (vehicle, bicycle, stall) that keeps its box for
  `stop_s` becomes a `Place`: its steady box, its family, the classes it was seen as, and an
  appearance signature of its crop (a small grey patch, compared by normalised correlation);
- later detections of the same family that overlap the place (IoU ≥ `iou`, tolerant of jitter
  and of a camera that sways; a new tracker id only where it stood, IoU ≥ `still_iou`, and
  looking alike) are that object, whatever their tracker id and class; they are reported
  under the place's id and majority class, with the time it stopped (the zone rules' dwell
  clock runs from it);
- a frame where the detector looked at the place and did not find it: if the crop still looks
  like the object, it is still there (a detector miss, or a class outside the watched ones);
  if something passing covers it (a bus), it is held for up to `hold_s`; if another object
  has stood there for a second, or the crop no longer looks like it and nothing covers it in
  two looks running (Frigate's stationary classifier also wants two changed frames), the
  visit ends;
- a track the place was known under that is seen away from it: the object moved; the visit
  ends.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from vision.worker.zones import Track, overlap
from vision.worker.zones import box_iou as iou

FAMILIES = {
    "car": "vehicle", "truck": "vehicle", "bus": "vehicle", "boat": "vehicle", "train": "vehicle",
    "motorcycle": "vehicle", "bicycle": "bicycle",
    "umbrella": "stall", "dining table": "stall", "chair": "stall", "bench": "stall",
    "person": "person",
}
PLACED = ("vehicle", "bicycle", "stall")  # people walk about: they get no place
CANONICAL = {"vehicle": "car"}
ALIASES = {"boat", "train"}  # what a detector calls a car seen from above, never a zone's class
SIGNATURE = 16  # side of the grey patch, pixels


def family(cls: str) -> str:
    """The class family of a detector class (a class of no family is its own family)."""
    return FAMILIES.get(cls, cls)


def relatives(classes) -> set[str]:
    """The classes of the families of `classes`: what the detector must keep so that a parked
    car called "boat" for a frame is still seen."""
    wanted = {family(c) for c in classes}
    return set(classes) | {c for c, f in FAMILIES.items() if f in wanted and f in PLACED}


def still(a, b, least_iou: float, tolerance: float = 0.2) -> bool:
    """Whether box `b` is box `a` where it stood: most of it overlaps, or (a small, far box,
    where a few pixels of sway are much of it) its centre moved less than `tolerance` of its
    height and its size by less than a fifth."""
    if iou(a, b) >= least_iou:
        return True
    ha, hb = a[3] - a[1], b[3] - b[1]
    wa, wb = a[2] - a[0], b[2] - b[0]
    moved = math.dist(((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2))
    return moved <= tolerance * max(ha, hb) and 0.8 <= hb / max(1e-6, ha) <= 1.25 and 0.8 <= wb / max(1e-6, wa) <= 1.25


def signature(image: np.ndarray, box) -> np.ndarray | None:
    """The appearance of `box` in `image`: a SIGNATURE² grey patch, zero mean and unit norm
    (light that brightens or dims the whole patch does not change it)."""
    h, w = image.shape[:2]
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(w, int(round(box[2]))), min(h, int(round(box[3])))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    crop = image[y1:y2, x1:x2]
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    patch = cv2.resize(grey, (SIGNATURE, SIGNATURE), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    patch -= patch.mean()
    norm = float(np.linalg.norm(patch))
    return patch / norm if norm > 1e-6 else patch


def alike(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Normalised correlation of two signatures (1: the same patch; 0: unrelated)."""
    if a is None or b is None:
        return 0.0
    return float(np.dot(a, b))


@dataclass
class Place:
    """A stationary object: where it stands and what it looks like."""

    id: int  # the id of the track that founded it
    family: str
    origin: tuple[float, float, float, float]  # where it stopped: detections are matched against it
    since: float  # when it stopped there
    last_seen: float
    score: float
    signature: np.ndarray | None
    classes: Counter = field(default_factory=Counter)
    known_as: set[int] = field(default_factory=set)
    box: tuple[float, float, float, float] | None = None  # where it was last seen (the camera may sway)
    empty: int = 0  # looked-at frames in a row where the place showed no sign of it

    def __post_init__(self):
        self.box = self.box or self.origin

    @property
    def cls(self) -> str:
        """The class it was seen as most often, of those a zone may name."""
        for cls, _ in self.classes.most_common():
            if cls not in ALIASES:
                return cls
        return CANONICAL.get(self.family, self.classes.most_common(1)[0][0])

    def track(self) -> Track:
        return Track(self.id, self.cls, self.score, self.box, still_since=self.since)


@dataclass
class Stop:
    """A track that may be stopping: the box it stands at and since when."""

    box: tuple[float, float, float, float]
    since: float


@dataclass
class Places:
    """The stationary objects of one camera. Feed `update` each detected frame's tracks."""

    stop_s: float = 2.0
    iou: float = 0.4
    still_iou: float = 0.8  # a box that keeps this much of itself stands still (a jitter of a few pixels)
    same: float = 0.6  # signature correlation: the object is still there
    hold_s: float = 30.0
    places: list[Place] = field(default_factory=list)
    stops: dict[int, Stop] = field(default_factory=dict)
    offset: tuple[float, float] = (0.0, 0.0)

    def steady(self, box) -> tuple[float, float, float, float]:
        """A box of this frame in the unswayed view."""
        dx, dy = self.offset
        return box[0] - dx, box[1] - dy, box[2] - dx, box[3] - dy

    def here(self, place: Place) -> tuple[float, float, float, float]:
        """Where the place lies in this frame."""
        dx, dy = self.offset
        o = place.origin
        return o[0] + dx, o[1] + dy, o[2] + dx, o[3] + dy

    def update(self, tracks: list[Track], image: np.ndarray, t: float, looked=None,
               offset: tuple[float, float] = (0.0, 0.0)) -> list[Track]:
        """The tracks as the zone rules should see them: a stationary object under its
        place's id, class and box (also in frames where the detector missed it); `looked`
        is the part of the frame the detector looked at (None: all of it), `offset` how far
        the camera's view has swayed (places are kept in the unswayed view)."""
        self.offset = offset
        taken: dict[int, Track] = {}
        for place in self.places:
            match = self._match(place, tracks, taken, image)
            if match is not None:
                taken[id(match)] = match
                place.last_seen, place.score, place.box, place.empty = t, match.score, match.box, 0
                place.classes[match.cls] += 1
                place.known_as.add(match.id)
        seen = [place for place in self.places if place.last_seen == t]
        # A second box on a placed object (seen as bus and truck at once) is that object.
        free = [track for track in tracks if id(track) not in taken
                and not any(family(track.cls) == p.family and iou(self.steady(track.box), p.origin) >= self.iou for p in seen)]
        out = [place.track() for place in seen]
        kept = []
        for place in self.places:
            if place.last_seen == t:
                kept.append(place)
            elif self._stays(place, free, image, t, looked):
                kept.append(place)
                out.append(place.track())
        self.places = kept
        self._stopping(free, image, t)
        listed = {track.id for track in out}
        return out + [track for track in free if track.id not in listed]

    def _match(self, place: Place, tracks: list[Track], taken: dict, image: np.ndarray) -> Track | None:
        best, best_iou, known = None, self.iou, None
        for track in tracks:
            if id(track) in taken or family(track.cls) != place.family:
                continue
            score = iou(self.steady(track.box), place.origin)
            if score >= best_iou:
                best, best_iou = track, score
            if score >= self.iou and track.id in place.known_as and (known is None or score > known[1]):
                known = track, score
        # A track it was known under, on it: the object, even beside a second box that fits a
        # little better (a van seen as a truck and a car at once).
        if known is not None:
            return known[0]
        if best is None:
            return None
        # Another id: the same object only if it stands just where it stood and looks like it
        # (not a vehicle passing over the spot, nor the next car parking there).
        if best_iou < self.still_iou:
            return None
        return best if alike(signature(image, best.box), place.signature) >= self.same else None

    def _stays(self, place: Place, free: list[Track], image: np.ndarray, t: float, looked) -> bool:
        """An unmatched place this frame: does its visit go on?"""
        if any(track.id in place.known_as for track in free):
            return False  # the object moved: its track is seen away from the place
        box = self.here(place)
        if looked is not None and not _within(box, looked, image.shape):
            return True  # not looked at this frame: nothing moved there
        if alike(signature(image, box), place.signature) >= self.same:
            place.last_seen, place.box, place.empty = t, box, 0  # still there: missed, or called something else
            return True
        over = [track for track in free if overlap(track.box, box)]
        if any(self._taken(track, place, t) for track in over):
            return False  # another object stands at the place now
        if over:
            return t - place.last_seen <= self.hold_s  # covered by something passing (or gone behind it)
        place.empty += 1  # seen empty: twice in a row, as one odd frame (a glare, a blur) is not a departure
        return place.empty < 2

    def _taken(self, track: Track, place: Place, t: float) -> bool:
        """Whether `track` is another object that has stood at the place for a second."""
        stop = self.stops.get(track.id)
        return (stop is not None and t - stop.since >= 1.0 and family(track.cls) == place.family
                and iou(stop.box, place.origin) >= self.iou)

    def _stopping(self, free: list[Track], image: np.ndarray, t: float) -> None:
        seen = set()
        for track in free:
            if family(track.cls) not in PLACED or any(p.id == track.id for p in self.places):
                continue
            seen.add(track.id)
            stop = self.stops.get(track.id)
            box = self.steady(track.box)
            if stop is None or not still(stop.box, box, self.still_iou):
                self.stops[track.id] = Stop(box, t)
            elif t - stop.since >= self.stop_s:
                twin = self._twin(track, box, t)
                if twin is not None:
                    twin.known_as.add(track.id)
                    twin.classes[track.cls] += 1
                    del self.stops[track.id]
                    continue
                self.places.append(Place(track.id, family(track.cls), box, stop.since, t, track.score,
                                         signature(image, track.box), Counter({track.cls: 1}), {track.id},
                                         track.box))
                del self.stops[track.id]
        for track_id in [i for i in self.stops if i not in seen]:
            del self.stops[track_id]

    def _twin(self, track: Track, box, t: float) -> Place | None:
        """A place of the same family seen this frame (founded, found or still looking itself)
        on nearly the same box: `track` is that object's second box (a car and a truck at once
        from the start, both stopping together)."""
        return next((p for p in self.places if p.last_seen == t and p.family == family(track.cls)
                     and iou(p.origin, box) >= self.still_iou), None)


def _within(box, region, shape) -> bool:
    """Whether the part of `box` inside the frame lies in `region`."""
    h, w = shape[:2]
    x1, y1, x2, y2 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    return x1 >= region[0] and y1 >= region[1] and x2 <= region[2] and y2 <= region[3]
