"""Scene-wide changes and the camera's own health, from the motion gate's small grey frames.

- A change of most of the frame at once (a light switched on, the camera's IR mode, a gust of
  rain, a shake) is not something moving in a zone: the detector skips that frame (Frigate's
  `skip_motion_threshold`), so a scene-wide change does not start a detection storm.
- A camera that is turned away, covered or out of focus no longer shows its zones: the
  worker raises one camera-health alert per such episode (for the analyst) and no candidates
  while it lasts. The frame is compared with a reference view built while the camera is
  healthy: its structure (normalised correlation, which light and IR do not change; tile by
  tile, so that a bus passing or a car leaving is not a turned camera), its
  contrast (covered: almost uniform) and its sharpness (blurred: the Laplacian's variance
  falls in most of the view, tile by tile, so a sharp car that leaves the reference's view
  is not a blur). A problem must last `alert_after_s` (a bus filling the view is not a moved
  camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

OK = "ok"
SCENE_CHANGE = "scene_change"
MOVED = "moved"
COVERED = "covered"
BLURRED = "blurred"
PROBLEMS = (MOVED, COVERED, BLURRED)


def _tiles(grey: np.ndarray, tiles: int = 4) -> np.ndarray:
    """The view cut into tiles × tiles parts: an array (part, rows, columns)."""
    h, w = (grey.shape[0] // tiles) * tiles, (grey.shape[1] // tiles) * tiles
    parts = grey[:h, :w].reshape(tiles, h // tiles, tiles, w // tiles).swapaxes(1, 2)
    return parts.reshape(tiles * tiles, h // tiles, w // tiles)


STRUCTURE = 4.0  # grey-level deviation of a tile with something to see (not sky, not bare road)


def structured_tiles(reference: np.ndarray, structure: float = STRUCTURE) -> np.ndarray:
    """The tiles of the reference view that show structure: only they can tell a turned or
    blurred camera (a flat tile is as flat turned and blurred)."""
    return np.flatnonzero(_tiles(reference).std(axis=(1, 2)) > structure)


def tile_correlation(grey: np.ndarray, reference: np.ndarray, structure: float = STRUCTURE) -> float:
    """The structure's correlation with the reference's, tile by tile: the median over the
    tiles where the reference has structure; the whole view's correlation where too few do.
    A turned camera changes every tile; a bus passing or a car leaving, only those it covers."""
    parts, refs = _tiles(grey), _tiles(reference)
    structured = structured_tiles(reference, structure)
    if len(structured) < len(refs) // 2:
        return correlation(grey, reference)
    return float(np.median(correlations(parts[structured], refs[structured])))


def correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised correlation of each pair of grey images along the first axis (1: the same
    structure, whatever the light; 0 where one is flat)."""
    axes = tuple(range(1, a.ndim))
    a = a - a.mean(axis=axes, keepdims=True)
    b = b - b.mean(axis=axes, keepdims=True)
    den = np.sqrt((a * a).sum(axis=axes) * (b * b).sum(axis=axes))
    return np.where(den > 1e-6, (a * b).sum(axis=axes) / np.maximum(den, 1e-6), 0.0)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two grey frames (1: same structure, whatever the light)."""
    return float(correlations(a[None], b[None])[0])


def sway(reference: np.ndarray, grey: np.ndarray, most: float = 0.08) -> tuple[float, float]:
    """The view's shift against the reference (phase correlation): a camera on a pole or a
    bridge sways by a few pixels, which moves every box with it."""
    (dx, dy), response = cv2.phaseCorrelate(reference, grey)
    if response < 0.2 or abs(dx) > most * grey.shape[1] or abs(dy) > most * grey.shape[0]:
        return 0.0, 0.0
    return float(dx), float(dy)


def sharpness(grey: np.ndarray) -> float:
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def tile_sharpness(grey: np.ndarray) -> np.ndarray:
    """The Laplacian's variance in each tile of the view."""
    return _tiles(cv2.Laplacian(grey, cv2.CV_32F)).var(axis=(1, 2))


def sharpness_ratio(grey: np.ndarray, reference: np.ndarray, least: int = 3) -> float:
    """How sharp the view is against the reference: the median of the tiles' ratios over the
    tiles where the reference has structure (at least `least` of them; else over all). A blur
    lowers every structured tile; a sharp object leaving (or entering) changes only the tiles
    it covered, which the median leaves out. Flat tiles (sky, bare road) keep their ratio near
    1 blurred or not: counted, they would hide a blur of a view that is mostly sky."""
    eps = 1e-3
    ratios = (tile_sharpness(grey) + eps) / (tile_sharpness(reference) + eps)
    structured = structured_tiles(reference)
    return float(np.median(ratios[structured] if len(structured) >= least else ratios))


@dataclass
class CameraHealth:
    """Feed `observe` every sampled frame's small grey image and changed share; `alert` holds
    a new alert (once per episode) until the caller takes it."""

    skip_fraction: float = 0.5  # share of the frame that changed at once: a scene-wide change
    alert_after_s: float = 10.0
    moved_below: float = 0.5  # correlation with the reference view
    covered_below: float = 0.25  # contrast against the reference's
    blurred_below: float = 0.2  # sharpness against the reference's
    learn: float = 0.02  # how fast the reference follows a healthy view (light over the day)
    reference: np.ndarray | None = None
    problem: str | None = None
    since: float = 0.0
    alerted: bool = False
    alert: dict | None = None
    offset: tuple[float, float] = (0.0, 0.0)  # how far the view sways from the reference, small-frame pixels

    @property
    def healthy(self) -> bool:
        return not self.alerted

    def diagnose(self, grey: np.ndarray) -> str | None:
        """What is wrong with this view against the reference (None: nothing)."""
        ref = self.reference
        if grey.std() < max(3.0, self.covered_below * ref.std()):
            return COVERED
        if sharpness_ratio(grey, ref) < self.blurred_below:
            return BLURRED
        if tile_correlation(grey, ref) < self.moved_below:
            return MOVED
        return None

    def observe(self, grey: np.ndarray, changed: float, t: float) -> str:
        """OK, SCENE_CHANGE (skip the detector this frame) or the camera's problem."""
        grey = grey.astype(np.float32)
        if self.reference is None:
            self.reference = grey.copy()
            return OK
        problem = self.diagnose(grey)
        if problem is None:
            self.offset = sway(self.reference, grey)
        if problem != self.problem:
            self.problem, self.since = problem, t
        if problem is None:
            if self.alerted:
                self.alerted = False  # the view is back: a later problem is a new episode
            self.reference += self.learn * (grey - self.reference)
        elif t - self.since >= self.alert_after_s and not self.alerted:
            self.alerted = True
            self.alert = {"state": problem, "since": self.since, "at": t,
                          "correlation": round(tile_correlation(grey, self.reference), 3),
                          "contrast": round(float(grey.std() / max(1e-6, self.reference.std())), 3),
                          "sharpness": round(sharpness_ratio(grey, self.reference), 3)}
        if self.alerted:
            return problem
        return SCENE_CHANGE if changed >= self.skip_fraction else OK  # (a problem not yet lasting: as usual)

    def take_alert(self) -> dict | None:
        alert, self.alert = self.alert, None
        return alert
