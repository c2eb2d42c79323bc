"""The motion gate: cheap frame differencing on a small grey frame (Frigate's idea), so the
detector runs only where something moved inside a zone.

The frame is shrunk to `width` pixels wide, blurred, and its brightness matched to the
background's (a cloud or the camera's auto-exposure changes every pixel a little; that is
not motion). Pixels that differ from the running-average background by more than
`threshold` are motion; the gate opens when more than `min_area` of the watched area moved.
The background slowly absorbs what stays (a parked car stops being motion after a while).
"""

from __future__ import annotations

import cv2
import numpy as np


class MotionGate:
    """Is there motion in the watched region (the zones) of this frame?"""

    def __init__(self, frame_size: tuple[int, int], polygons=(), *, width: int = 160, threshold: int = 20,
                 min_area: float = 0.002, alpha: float = 0.2, margin: float = 0.04):
        w, h = frame_size
        self.scale = width / float(w)
        self.size = (width, max(1, round(h * self.scale)))
        self.threshold = threshold
        self.min_area = min_area
        self.alpha = alpha
        self.mask = self._mask(polygons, margin)
        self.background: np.ndarray | None = None
        self.last_fraction = 0.0

    def _mask(self, polygons, margin: float) -> np.ndarray:
        """The zones, grown by `margin` of the frame width (objects enter from outside)."""
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
        grey = cv2.resize(grey, self.size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)

    def moved(self, frame: np.ndarray) -> bool:
        """Feed one frame; True when enough of the watched region moved (the first frame: True)."""
        grey = self.small(frame)
        if self.background is None:
            self.background = grey
            self.last_fraction = 1.0
            return True
        mean_bg = float(self.background[self.mask > 0].mean()) if self.mask.any() else float(self.background.mean())
        mean_now = float(grey[self.mask > 0].mean()) if self.mask.any() else float(grey.mean())
        if mean_now > 1:
            grey = grey * (mean_bg / mean_now)  # brightness matched: exposure changes are not motion
        diff = cv2.absdiff(grey, self.background)
        moving = (diff > self.threshold) & (self.mask > 0)
        watched = max(1, int((self.mask > 0).sum()))
        self.last_fraction = float(moving.sum()) / watched
        cv2.accumulateWeighted(grey, self.background, self.alpha)
        return self.last_fraction > self.min_area
