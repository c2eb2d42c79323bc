"""The motion gate: cheap frame differencing on a small grey frame (Frigate's idea), so the
detector runs only when something moved inside a zone.

The frame is shrunk to `width` pixels wide, blurred, and its brightness matched to the
previous frame's (a cloud or the camera's auto-exposure changes every pixel a little; that is
not motion). Pixels that differ from the previous sampled frame by more than `threshold` are
motion (frame differencing: a running-average background would keep a ghost of each passing
car for several samples at 2 fps; an object that stopped is not motion any more, the zone
rules watch it while it settles; a view that sways as a whole is steadied first). They are
joined into blobs, and the gate opens when a
blob's foot (its lowest rows, where a moving thing touches the ground: the zone rules'
anchor) moved inside a zone (grown by `margin`; the blur spreads a blob a few pixels
already). Traffic in the lanes in front of a zone and people on the pavement behind it cross
the zone's image area at a steep angle without standing in it: no detection.
"""

from __future__ import annotations

import cv2
import numpy as np


def steadied(previous: np.ndarray, grey: np.ndarray, most: float = 0.05) -> np.ndarray:
    """The previous frame moved onto this one where the whole view shifted between them (a
    camera on a pole or a bridge sways by a few pixels: every edge would be motion)."""
    (dx, dy), response = cv2.phaseCorrelate(previous, grey)
    if response < 0.2 or max(abs(dx), abs(dy)) < 0.25 or abs(dx) > most * grey.shape[1] or abs(dy) > most * grey.shape[0]:
        return previous
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(previous, shift, previous.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)


class MotionGate:
    """Is there motion in the watched region (the zones) of this frame?"""

    def __init__(self, frame_size: tuple[int, int], polygons=(), *, width: int = 160, threshold: int = 20,
                 min_area: float = 0.002, margin: float = 0.0):
        w, h = frame_size
        self.scale = width / float(w)
        self.size = (width, max(1, round(h * self.scale)))
        # OpenCV averages areas fast only at a whole factor: a frame whose width is no multiple
        # of `width` is first shrunk by the whole factor below, then the rest of the way.
        factor = int(w // width)
        self.first = (w // factor, h // factor) if factor > 1 and w != factor * width else None
        self.threshold = threshold
        self.min_pixels = max(4, int(min_area * self.size[0] * self.size[1]))
        self.mask = self._mask(polygons, margin)
        self.watched = self.mask > 0
        self.previous: np.ndarray | None = None
        self.last_fraction = 0.0
        self.whole_fraction = 0.0  # share of the whole frame that changed: a scene-wide change
        self.blobs: list[tuple[float, float, float, float]] = []  # the moving blobs that stand in a zone
        self.moving = np.zeros((self.size[1], self.size[0]), np.uint8)  # this frame's motion in the zones, small

    def _mask(self, polygons, margin: float) -> np.ndarray:
        """The zones, grown by `margin` of the frame width (an object's foot is caught as it steps in)."""
        mask = np.zeros((self.size[1], self.size[0]), np.uint8)
        if not polygons:
            mask[:] = 255
            return mask
        for polygon in polygons:
            points = np.array([[x * self.scale, y * self.scale] for x, y in polygon], np.int32)
            cv2.fillPoly(mask, [points], 255)
        grow = max(1, int(margin * self.size[0]))
        return cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))

    def small(self, frame: np.ndarray) -> np.ndarray:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if self.first is not None:
            grey = cv2.resize(grey, self.first, interpolation=cv2.INTER_AREA)
        grey = cv2.resize(grey, self.size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)

    def moved(self, frame: np.ndarray) -> bool:
        """Feed one frame; True when a moving blob stands in a zone (the first frame: True).
        `blobs` holds those blobs' boxes in the frame's pixels (empty on the first frame)."""
        grey = self.small(frame)
        self.blobs = []
        previous, self.previous = self.previous, grey
        if previous is None:
            self.last_fraction = self.whole_fraction = 1.0
            self.moving = np.ones_like(self.moving)
            return True
        previous = steadied(previous, grey)
        mean_now = float(grey[self.watched].mean())
        if mean_now > 1:
            grey = grey * (float(previous[self.watched].mean()) / mean_now)  # exposure changes are not motion
        moving = self.moving = (cv2.absdiff(grey, previous) > self.threshold).astype(np.uint8)
        self.last_fraction = float(moving[self.watched].sum()) / max(1, int(self.watched.sum()))
        self.whole_fraction = float(moving.mean())
        if not moving.any():
            self.moving = moving
            return False
        joined = cv2.dilate(moving, np.ones((3, 3), np.uint8))  # one blob per object, not its speckles
        count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        kept = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < self.min_pixels:
                continue
            foot = slice(y + h - max(1, h // 4), y + h), slice(x, x + w)
            if ((labels[foot] == i) & (moving[foot] > 0) & self.watched[foot]).any():
                kept.append(i)
                self.blobs.append((x / self.scale, y / self.scale, (x + w) / self.scale, (y + h) / self.scale))
        # What moves in the zones only: traffic in the lane in front and people on the pavement
        # behind cross a zone's image area without standing in it.
        self.moving = (np.isin(labels, kept) & (moving > 0)).astype(np.uint8)
        return bool(self.blobs)

    def still(self, box, most: float = 0.02) -> bool:
        """Whether nothing that stands in a zone moves now inside `box` (frame pixels): at most
        `most` of it. A blob of an earlier frame that is still now is where something stopped
        (or that it left)."""
        x1, y1 = max(0, int(box[0] * self.scale)), max(0, int(box[1] * self.scale))
        x2, y2 = int(np.ceil(box[2] * self.scale)), int(np.ceil(box[3] * self.scale))
        part = self.moving[y1:y2, x1:x2]
        return part.size == 0 or float(part.mean()) <= most
