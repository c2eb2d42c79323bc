"""Zone rules as pure functions of plain values (Frigate's zones, inertia and loitering time).

An object's anchor is the bottom-centre of its box (where it touches the ground). It is in a
zone after `inertia` consecutive frames with the anchor inside, and leaves after `inertia`
frames outside. It is stationary while its anchor stays within `tolerance` × box height of
the point where it settled, or while its top-centre does: a parked car that passing traffic
hides from the wheels up has a shorter box (its anchor jumps up) but its roof stays put.
Each rule says when a candidate is due:

- illegal_parking: a vehicle (car, truck, bus, motorcycle) stationary in the zone ≥ dwell_s;
- vending: a stall object (umbrella, dining table, chair) stationary in the zone ≥ dwell_s
  while a person is in the zone (road-occupying vending);
- bicycles: at least `min_count` bicycles/motorcycles stationary in the zone ≥ dwell_s;
- present: any of the zone's classes in the zone ≥ dwell_s (for custom-trained models, e.g.
  refuse piles), moving or not.

One candidate per track per zone and visit: a visit ends when the object leaves the zone, or
when the detector has not seen it for `lost_grace_s` (a tracker may hand a vanished object's
id to the next car that stops at the same spot). The cooldown belongs to the object that
raised it, not to the spot: a track that appears where a raised object stands (or stood until
moments before it appeared: the same parked car hidden for a while and found again, under its
id or a new one, or seen twice as bus and truck) is that object and raises nothing until
`cooldown_s` after its candidate. The record of a raised object ends when it leaves the zone
or moves off the spot where it stood, or when it vanished and nothing took its place within
`reacquire_s`, so another car parking at the same spot later raises its own candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

ILLEGAL_PARKING = "illegal_parking"
VENDING = "vending"
BICYCLES = "bicycles"
PRESENT = "present"
RULES = (ILLEGAL_PARKING, VENDING, BICYCLES, PRESENT)

DEFAULT_CLASSES = {
    ILLEGAL_PARKING: ("car", "truck", "bus", "motorcycle"),
    VENDING: ("umbrella", "dining table", "chair"),
    BICYCLES: ("bicycle", "motorcycle"),
    PRESENT: (),
}
PERSON = "person"


@dataclass(frozen=True)
class Zone:
    """A zone of one camera: an image polygon (pixels of the camera's frame) and its rule."""

    id: int
    polygon: tuple[tuple[float, float], ...]
    rule: str = ILLEGAL_PARKING
    classes: tuple[str, ...] = ()
    name: str = ""
    dwell_s: float = 60.0
    inertia: int = 3
    tolerance: float = 0.15
    min_count: int = 3
    cooldown_s: float = 600.0

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; one of {', '.join(RULES)}")
        if len(self.polygon) < 3:
            raise ValueError(f"zone {self.id}: a polygon needs at least 3 points")
        if not self.classes:
            if not DEFAULT_CLASSES[self.rule]:
                raise ValueError(f"zone {self.id}: the rule {self.rule} needs its classes")
            object.__setattr__(self, "classes", DEFAULT_CLASSES[self.rule])
        object.__setattr__(self, "polygon", tuple((float(x), float(y)) for x, y in self.polygon))
        object.__setattr__(self, "classes", tuple(self.classes))

    @classmethod
    def from_dict(cls, data: dict) -> Zone:
        keys = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in keys and v is not None}
        values["polygon"] = tuple(tuple(p) for p in data["polygon"])
        values["classes"] = tuple(data.get("classes") or ())
        return cls(**values)


@dataclass(frozen=True)
class Track:
    """One tracked object in one frame."""

    id: int
    cls: str
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels
    still_since: float | None = None  # a stationary object's stop time, when its place is known (stationary.py)

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])


@dataclass(frozen=True)
class Presence:
    """What a zone knows of one track: when it came in, where and since when it stands still."""

    first_inside: float  # time of the first frame of the current inside run
    frames_inside: int = 1
    frames_outside: int = 0
    settled_at: float = 0.0
    settle_point: tuple[float, float] = (0.0, 0.0)
    settle_top: tuple[float, float] = (0.0, 0.0)
    last_seen: float = 0.0
    max_score: float = 0.0
    raised: bool = False

    def in_zone(self, zone: Zone) -> bool:
        return self.frames_inside >= zone.inertia

    def stationary_s(self, t: float) -> float:
        return t - self.settled_at


@dataclass(frozen=True)
class Due:
    """A candidate the rules raise: which zone, which track (the group's first for bicycles)."""

    zone: Zone
    track: Track
    started_at: float
    box: tuple[float, float, float, float]
    score: float
    members: tuple[int, ...] = ()


def anchor(box) -> tuple[float, float]:
    """The bottom-centre of a box: where the object stands on the ground."""
    return ((box[0] + box[2]) / 2.0, float(box[3]))


def top(box) -> tuple[float, float]:
    """The top-centre of a box (what stays put when something passes in front of the object)."""
    return ((box[0] + box[2]) / 2.0, float(box[1]))


def inside(point: tuple[float, float], polygon) -> bool:
    """Point in polygon (even-odd ray casting; a point on an edge may fall either way)."""
    x, y = point
    result = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            result = not result
    return result


def step(presence: Presence | None, zone: Zone, track: Track, t: float) -> Presence | None:
    """The presence after one more frame in which `track` was seen (None: not in the zone)."""
    point = anchor(track.box)
    is_inside = inside(point, zone.polygon)
    if presence is None:
        if not is_inside:
            return None
        return Presence(first_inside=t, settled_at=t, settle_point=point, settle_top=top(track.box), last_seen=t,
                        max_score=track.score)
    if not is_inside:
        if presence.frames_outside + 1 >= zone.inertia:
            return None
        return replace(presence, frames_outside=presence.frames_outside + 1, last_seen=t)
    tolerance = zone.tolerance * track.height
    moved = math.dist(point, presence.settle_point) > tolerance and math.dist(top(track.box), presence.settle_top) > tolerance
    if track.still_since is not None:  # its place knows when it stopped, whatever its box's jitter
        presence = replace(presence, settled_at=max(presence.first_inside, track.still_since), settle_point=point,
                           settle_top=top(track.box))
    elif moved:
        presence = replace(presence, settled_at=t, settle_point=point, settle_top=top(track.box))
    return replace(presence, frames_inside=presence.frames_inside + 1, frames_outside=0, last_seen=t,
                   max_score=max(presence.max_score, track.score))


def dwell_reached(presence: Presence, zone: Zone, t: float) -> bool:
    """In the zone (after inertia) and, for every rule but `present`, stationary ≥ dwell_s."""
    if not presence.in_zone(zone):
        return False
    if zone.rule == PRESENT:
        return t - presence.first_inside >= zone.dwell_s
    return presence.stationary_s(t) >= zone.dwell_s


@dataclass(frozen=True)
class Raised:
    """A raised object of a zone, kept while it stays: the track it now goes by, when its
    candidate was raised, where it stood then and when it was last seen there."""

    track_id: int
    at: float
    point: tuple[float, float]
    height: float
    last_seen: float
    box: tuple[float, float, float, float] | None = None


def stands_at(record: Raised, track: Track) -> bool:
    """Whether `track` stands where the raised object was raised: within half a box height."""
    return math.dist(anchor(track.box), record.point) <= 0.5 * max(record.height, track.height)


def near(record: Raised, track: Track) -> bool:
    """Whether `track` stands where the raised object was raised and (its box known) covers
    most of its box — in perspective the next car up the kerb stands a few pixels above the
    near one."""
    return stands_at(record, track) and (record.box is None or box_iou(record.box, track.box) >= 0.5)


def same_object(record: Raised, track: Track, presence: Presence, reacquire_s: float) -> bool:
    """Whether `track` is the raised object `record` under another id: its anchor lies where
    the raised one stands (within half a box height) and it appeared while the raised one was
    still seen or at most `reacquire_s` after it was last seen."""
    return near(record, track) and presence.first_inside <= record.last_seen + reacquire_s


def suppressed(records, track: Track, presence: Presence, zone: Zone, t: float, reacquire_s: float = 30.0) -> Raised | None:
    """The record of the raised object that `track` is, within that object's cooldown (None:
    `track` may raise its own candidate)."""
    for record in records:
        if t - record.at < zone.cooldown_s and same_object(record, track, presence, reacquire_s):
            return record
    return None


def box_iou(a, b) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def overlap(a, b) -> bool:
    """Whether two boxes (x1, y1, x2, y2) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def bounds(polygon) -> tuple[float, float, float, float]:
    """The bounding box of a polygon."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def union_box(boxes) -> tuple[float, float, float, float]:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@dataclass
class ZoneRules:
    """The rules of one camera's zones over time: feed it each frame's tracks, get what is due.

    The state (presences, the raised objects kept for the cooldown) is plain data; the
    decisions are the pure functions above. Tracks missing from a frame's list count as
    unseen: a caller that skips the detector on a frame passes the last tracks again.
    """

    zones: list[Zone]
    lost_grace_s: float = 4.0
    reacquire_s: float = 30.0
    presences: dict[tuple[int, int], Presence] = field(default_factory=dict)
    records: dict[int, list[Raised]] = field(default_factory=dict)

    def classes(self) -> set[str]:
        out = {PERSON}
        for zone in self.zones:
            out.update(zone.classes)
        return out

    def update(self, tracks: list[Track], t: float) -> list[Due]:
        """Advance every zone by one frame with the tracks seen in it; the candidates now due."""
        due: list[Due] = []
        by_id = {track.id: track for track in tracks}
        for zone in self.zones:
            left = set()
            for track in tracks:
                if track.cls in zone.classes:
                    key = (zone.id, track.id)
                    presence = step(self.presences.get(key), zone, track, t)
                    if presence is None:
                        if self.presences.pop(key, None) is not None:
                            left.add(track.id)
                    else:
                        self.presences[key] = presence
            self._forget_lost(zone, by_id, t)
            self._follow(zone, by_id, left, t)
            due.extend(self._due(zone, tracks, by_id, t))
        return due

    def _forget_lost(self, zone: Zone, by_id: dict[int, Track], t: float) -> None:
        for key in [k for k, p in self.presences.items()
                    if k[0] == zone.id and k[1] not in by_id and t - p.last_seen > self.lost_grace_s]:
            del self.presences[key]

    def _follow(self, zone: Zone, by_id: dict[int, Track], left: set[int], t: float) -> None:
        """Keep the records of the raised objects that still stand where they were raised: end
        those that left the zone or moved off their spot, vanished with no successor within
        `reacquire_s`, or whose cooldown is over."""
        kept = []
        for record in self.records.get(zone.id, []):
            if record.track_id in left or t - record.at >= zone.cooldown_s:
                continue
            track = by_id.get(record.track_id)
            presence = self.presences.get((zone.id, record.track_id))
            if track is not None and presence is not None:
                if not stands_at(record, track) or presence.settled_at > record.last_seen:
                    continue  # driving off
                record = replace(record, last_seen=t)
            elif t - record.last_seen > self.reacquire_s:
                continue
            kept.append(record)
        self.records[zone.id] = kept

    def _same(self, zone: Zone, track: Track, presence: Presence, by_id: dict[int, Track], t: float) -> bool:
        """Whether `track` is an object raised here within its cooldown; the record follows the
        new id when the raised track is not seen any more."""
        records = self.records.get(zone.id, [])
        record = suppressed(records, track, presence, zone, t, self.reacquire_s)
        if record is None:
            return False
        if record.track_id not in by_id:
            records[records.index(record)] = replace(record, track_id=track.id, last_seen=t)
        return True

    def _due(self, zone: Zone, tracks: list[Track], by_id: dict[int, Track], t: float) -> list[Due]:
        ready = [(track_id, p) for (zone_id, track_id), p in self.presences.items()
                 if zone_id == zone.id and track_id in by_id and dwell_reached(p, zone, t)]
        if zone.rule == BICYCLES:
            return self._group_due(zone, ready, by_id, t)
        if zone.rule == VENDING and not any(
                track.cls == PERSON and inside(anchor(track.box), zone.polygon) for track in tracks):
            return []
        out = []
        for track_id, presence in ready:
            track = by_id[track_id]
            if presence.raised or self._same(zone, track, presence, by_id, t):
                continue
            out.append(self._raise(zone, track, presence, t, track.box, [track]))
        return out

    def _group_due(self, zone: Zone, ready, by_id, t: float) -> list[Due]:
        """One candidate per pile: raised when at least min_count of the objects standing in
        the zone belong to no pile raised before (within its cooldown)."""
        fresh = [(i, p) for i, p in ready
                 if not p.raised and not self._same(zone, by_id[i], p, by_id, t)]
        if len(fresh) < zone.min_count:
            return []
        fresh.sort(key=lambda item: (item[1].first_inside, item[0]))
        first_id, first = fresh[0]
        box = union_box(by_id[i].box for i, _ in fresh)
        return [self._raise(zone, by_id[first_id], first, t, box, [by_id[i] for i, _ in fresh])]

    def _raise(self, zone: Zone, track: Track, presence: Presence, t: float, box, members: list[Track]) -> Due:
        records = self.records.setdefault(zone.id, [])
        for member in members:
            key = (zone.id, member.id)
            self.presences[key] = replace(self.presences[key], raised=True)
            records.append(Raised(member.id, t, anchor(member.box), member.height, t, member.box))
        return Due(zone=zone, track=track, started_at=presence.first_inside, box=tuple(float(v) for v in box),
                   score=max(presence.max_score, track.score), members=tuple(m.id for m in members))

    def watched(self, tracks: list[Track]) -> list[Track]:
        """The tracks the zones keep an eye on: those in a zone, and the objects of a zone's
        classes over its image area (standing just outside, or pushed out by a box that
        passing traffic distorted) that may step in without moving much."""
        out = []
        for track in tracks:
            if any((zone.id, track.id) in self.presences
                   or (track.cls in zone.classes and overlap(track.box, bounds(zone.polygon)))
                   for zone in self.zones):
                out.append(track)
        return out

    def alive(self) -> bool:
        """Whether any tracked object is in a zone now (the motion gate keeps watching it)."""
        return bool(self.presences)
