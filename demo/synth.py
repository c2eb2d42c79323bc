"""Fixed-camera street video composed from real photos, for the tests, the benchmark and the
demo (no street footage ships with the project).

The scene is made of Ultralytics' own sample photos (shipped inside its wheel): buildings and
road surface from `bus.jpg` as the background, the bus and the people of `bus.jpg` and
`zidane.jpg` as the actors. A script of events — a vehicle drives in and parks, people walk
past, traffic passes through without stopping, a cloud's shadow crosses, the exposure
drifts — is rendered with sensor noise and written as an MP4 that OpenCV reads back.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

import cv2
import numpy as np

SIZE = (640, 360)


def assets() -> str:
    """ultralytics' sample photos, found without importing ultralytics (whose import replaces
    Pillow's Image.open process-wide)."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("ultralytics is not installed: its sample photos are needed")
    return os.path.join(spec.submodule_search_locations[0], "assets")


def _read(name: str) -> np.ndarray:
    image = cv2.imread(os.path.join(assets(), name))
    if image is None:
        raise FileNotFoundError(name)
    return image


def background(size=SIZE) -> np.ndarray:
    """Buildings above, the road below (both real photo texture), a kerb and lane marks."""
    w, h = size
    bus = _read("bus.jpg")
    top = cv2.resize(bus[0:220, :], (w, int(h * 0.35)), interpolation=cv2.INTER_AREA)
    road = cv2.resize(bus[900:1080, :], (w, h - top.shape[0]), interpolation=cv2.INTER_AREA)
    image = np.vstack([top, road])
    y0 = top.shape[0]
    cv2.line(image, (0, y0 + 4), (w, y0 + 4), (200, 200, 200), 3)  # the kerb
    for x in range(0, w, 80):
        cv2.line(image, (x, int(h * 0.82)), (x + 40, int(h * 0.82)), (230, 230, 230), 3)
    return image


def sprites() -> dict[str, np.ndarray]:
    """Crops of real objects: the bus, three people (bus.jpg) and a man (zidane.jpg)."""
    bus = _read("bus.jpg")
    zidane = _read("zidane.jpg")
    return {
        "bus": bus[229:730, 1:796],
        "person1": bus[394:878, 670:810],
        "person2": bus[399:903, 47:236],
        "person3": bus[408:861, 222:344],
        "man": zidane[42:712, 748:1149],
    }


@dataclass
class Actor:
    """A sprite that moves along a path: (t, x, y) keys, linearly between them; x, y is the
    bottom-centre of the sprite; `width` in pixels; visible from the first key to the last."""

    sprite: str
    width: int
    keys: list[tuple[float, float, float]]
    flip: bool = False

    def where(self, t: float) -> tuple[float, float] | None:
        if t < self.keys[0][0] or t > self.keys[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(self.keys, self.keys[1:], strict=False):
            if t0 <= t <= t1:
                f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
                return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
        return self.keys[-1][1], self.keys[-1][2]


@dataclass
class Shadow:
    """A soft dark ellipse crossing the scene (a cloud's or a passing lorry's shadow)."""

    t0: float
    t1: float
    y: float
    radius: int = 90
    depth: float = 0.45


def paste(frame: np.ndarray, image: np.ndarray, x: float, y: float) -> None:
    """Paste `image` with its bottom-centre at (x, y), clipped to the frame."""
    h, w = image.shape[:2]
    left, top = int(round(x - w / 2)), int(round(y - h))
    fx0, fy0 = max(0, left), max(0, top)
    fx1, fy1 = min(frame.shape[1], left + w), min(frame.shape[0], top + h)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    frame[fy0:fy1, fx0:fx1] = image[fy0 - top:fy1 - top, fx0 - left:fx1 - left]


def render(path: str, duration_s: float, actors: list[Actor], shadows=(), fps: float = 10.0, size=SIZE,
           exposure=(), noise: float = 3.0, seed: int = 7) -> str:
    """Write the scene to `path` (MP4); `exposure` is [(t0, t1, gain)] ramps of brightness."""
    rng = np.random.default_rng(seed)
    base = background(size).astype(np.float32)
    cache: dict[tuple[str, int, bool], np.ndarray] = {}
    art = sprites()
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    h, w = size[1], size[0]
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(int(duration_s * fps)):
        t = i / fps
        frame = base.copy()
        for shadow in shadows:
            if shadow.t0 <= t <= shadow.t1:
                cx = -shadow.radius + (w + 2 * shadow.radius) * (t - shadow.t0) / (shadow.t1 - shadow.t0)
                d = ((xx - cx) / (shadow.radius * 1.6)) ** 2 + ((yy - shadow.y) / shadow.radius * 2.2) ** 2
                frame *= (1 - shadow.depth * np.clip(1.2 - d, 0, 1))[..., None]
        canvas = np.clip(frame, 0, 255).astype(np.uint8)
        for actor in sorted(actors, key=lambda a: (a.where(t) or (0, 0))[1]):  # nearer (lower) drawn last
            place = actor.where(t)
            if place is None:
                continue
            key = (actor.sprite, actor.width, actor.flip)
            if key not in cache:
                src = art[actor.sprite][:, ::-1] if actor.flip else art[actor.sprite]
                scale = actor.width / src.shape[1]
                cache[key] = cv2.resize(src, (actor.width, max(1, int(src.shape[0] * scale))),
                                        interpolation=cv2.INTER_AREA)
            paste(canvas, cache[key], *place)
        gain = 1.0
        for t0, t1, g in exposure:
            if t0 <= t <= t1:
                gain = 1 + (g - 1) * (t - t0) / max(1e-9, t1 - t0)
            elif t > t1:
                gain = g
        out = canvas.astype(np.float32) * gain + rng.normal(0, noise, canvas.shape)
        writer.write(np.clip(out, 0, 255).astype(np.uint8))
    writer.release()
    return path


# The no-parking zone of the scripted street: the kerb lane, image pixels of a 640 × 360 frame.
NO_PARKING = ((300, 170), (640, 170), (640, 300), (300, 300))
PAVEMENT = ((0, 130), (640, 130), (640, 175), (0, 175))


def parking_scene(path: str, *, park_at: float = 10.0, leave_at: float = 40.0, duration_s: float = 48.0,
                  extra_parks: list[tuple[float, float]] = (), fps: float = 10.0) -> str:
    """The test street: a bus drives in and parks in the no-parking zone from `park_at` to
    `leave_at`; a person walks past in front of it; traffic passes through without stopping; a
    shadow crosses; the exposure drifts. `extra_parks` adds more park-and-leave visits."""
    actors = [_parker(park_at, leave_at)]
    actors += [_parker(a, b) for a, b in extra_parks]
    actors += [
        Actor("man", 70, [(park_at + 4, -40, 300), (park_at + 12, 700, 300)]),
        Actor("bus", 200, [(park_at + 16, -120, 298), (park_at + 21, 780, 298)], flip=True),  # passing traffic
        Actor("person3", 40, [(2, 680, 172), (20, -30, 172)]),  # on the pavement, outside the zone
    ]
    shadows = [Shadow(park_at + 22, park_at + 27, 250)]
    exposure = [(park_at + 24, park_at + 28, 0.85)]
    return render(path, duration_s, actors, shadows, fps=fps, exposure=exposure)


def _parker(park_at: float, leave_at: float) -> Actor:
    return Actor("bus", 260, [(park_at - 6, 820, 285), (park_at, 470, 285), (leave_at, 470, 285),
                              (leave_at + 6, 900, 285)])


def street_scene(path: str, *, duration_s: float = 180.0, fps: float = 10.0) -> str:
    """The benchmark's street, three minutes of a fixed camera over a kerb lane with a no-parking
    zone: three vehicles park in the zone and leave (two of them, one after the other, at the
    same spot), one drives through the zone without stopping, traffic passes every 10–20 s in
    the travel lane in front of it (its boxes overlap the zone's image area, its wheels stay
    outside), people walk along the pavement behind it, one walks through the zone, two cloud
    shadows cross and the light dims by a fifth over two minutes. Quiet stretches between."""
    actors = [
        _visit(20, 55, 470, 260), _visit(85, 120, 470, 260), _visit(140, 168, 420, 220),
        Actor("bus", 210, [(64, 840, 292), (70, -200, 292)]),  # through the zone without stopping
        Actor("person2", 34, [(128, 680, 260), (140, 280, 275)]),  # walks through the zone
    ]
    for i, t in enumerate((5, 17, 31, 46, 62, 75, 93, 108, 127, 138, 155, 168)):  # the travel lane
        width = (180, 240, 200, 220)[i % 4]
        left = i % 2 == 0
        actors.append(Actor("bus", width, [(t, 760 if left else -130, 350), (t + 4.5, -130 if left else 760, 350)],
                            flip=not left))
    walkers = ("person1", "person3", "man", "person2")
    for i, t in enumerate((2, 24, 50, 70, 98, 118, 150)):  # the pavement
        sprite = walkers[i % len(walkers)]
        width = 60 if sprite == "man" else 28
        ltr = i % 2 == 0
        actors.append(Actor(sprite, width, [(t, -40 if ltr else 680, 150), (t + 15, 680 if ltr else -40, 150)],
                            flip=not ltr))
    shadows = [Shadow(40, 47, 250), Shadow(110, 118, 200, radius=120, depth=0.35)]
    return render(path, duration_s, actors, shadows, fps=fps, exposure=[(30, 150, 0.8)])


def _visit(park_at: float, leave_at: float, x: float, width: int) -> Actor:
    """A vehicle that comes from the right along the kerb lane, parks at `x`, and drives on to the left."""
    return Actor("bus", width, [(park_at - 6, 820, 286), (park_at, x, 286), (leave_at, x, 286),
                                (leave_at + 7, -300, 286)])


@dataclass
class Seen:
    """One sampled frame as a real camera's detector and tracker report it: the image and the
    tracks (with the flicker, jitter, id switches and misses of real footage)."""

    t: float
    image: np.ndarray
    tracks: list


def flickering_visits(visits=((4.0, 60.0, "bus"), (80.0, 130.0, "~bus")), *, duration_s: float = 150.0,
                      fps: float = 2.0, spot=(470.0, 285.0), width: int = 200, occluded=(30.0, 34.0),
                      seed: int = 3) -> list[Seen]:
    """A kerb spot seen at `fps` where vehicles park one after the other (`visits`: arrive,
    leave, sprite; "~" mirrors it: the next vehicle looks different), reported the way a real camera's
    detector reports a parked car: its class flickers (car / truck / boat), its box jitters by a
    few pixels, the tracker switches its id after a drop, the detector misses it in some
    frames, and a passing bus hides it during `occluded` (its own track in front)."""
    from vision.worker.zones import Track

    rng = np.random.default_rng(seed)
    base = background()
    art = sprites()
    out, next_id = [], 100
    for i in range(int(duration_s * fps)):
        t = i / fps
        image = base.copy()
        tracks = []
        for arrive, leave, name in visits:
            if not arrive <= t < leave:
                continue
            src = art[name.lstrip("~")][:, ::-1] if name.startswith("~") else art[name]
            sprite = cv2.resize(src, (width, int(src.shape[0] * width / src.shape[1])))
            paste(image, sprite, *spot)
            h = sprite.shape[0]
            if i % 9 == 4:
                continue  # the detector missed it
            if i % 7 == 0:
                next_id += 1  # a drop the tracker did not bridge: a new id
            dx, dy = rng.integers(-4, 5, 2)
            cls = ("car", "car", "truck", "car", "boat")[i % 5]
            box = (spot[0] - width / 2 + dx, spot[1] - h + dy, spot[0] + width / 2 + dx, spot[1] + dy)
            tracks.append(Track(next_id, cls, float(rng.uniform(0.3, 0.65)), tuple(float(v) for v in box)))
        if occluded[0] <= t < occluded[1]:
            other = art["bus"][:, ::-1]  # another vehicle than the parked one
            bus = cv2.resize(other, (260, int(other.shape[0] * 260 / other.shape[1])))
            x = spot[0] + 200 - 400 * (t - occluded[0]) / (occluded[1] - occluded[0])
            paste(image, bus, x, spot[1] + 20)
            tracks = [tr for tr in tracks if abs(tr.box[0] + tr.box[2] - 2 * x) > 260]  # hidden behind it
            tracks.append(Track(9000, "bus", 0.9, (x - 130, spot[1] + 20 - bus.shape[0], x + 130, spot[1] + 20)))
        out.append(Seen(t, np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8), tracks))
    return out
