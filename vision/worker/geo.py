"""Ground positions: each camera's homography from image pixels to WGS84 (lon, lat).

The homography is fitted with cv2.findHomography on ≥ 4 image ↔ ground point pairs, in a
local metric plane around the points (so the fit is well conditioned and its error is in
metres), then composed with the (locally affine) metres → degrees map, so that projecting an
anchor is one 3×3 product. Plain numpy and OpenCV: the worker and the Django half share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Calibration:
    matrix: list[list[float]]  # image (x, y, 1) → (lon, lat, 1) up to scale
    error_m: float  # root-mean-square reprojection error of the pairs, in metres
    max_error_m: float
    inliers: int


def _local(lon0: float, lat0: float):
    k = math.cos(math.radians(lat0))
    per_deg = math.pi / 180 * EARTH_RADIUS_M

    def to_m(lon, lat):
        return (np.asarray(lon) - lon0) * per_deg * k, (np.asarray(lat) - lat0) * per_deg

    to_deg = np.array([[1 / (per_deg * k), 0, lon0], [0, 1 / per_deg, lat0], [0, 0, 1]])
    return to_m, to_deg


def fit(image_points, ground_points) -> Calibration:
    """The homography from ≥ 4 pairs: image (x, y) pixels ↔ ground (lon, lat) degrees.

    ValueError when there are fewer than 4 pairs, they are degenerate (three in a line, all
    in one spot) or the fit fails.
    """
    import cv2

    image = np.asarray(image_points, dtype=np.float64).reshape(-1, 2)
    ground = np.asarray(ground_points, dtype=np.float64).reshape(-1, 2)
    if len(image) < 4 or len(image) != len(ground):
        raise ValueError("at least 4 image ↔ ground point pairs are needed")
    if not (np.isfinite(image).all() and np.isfinite(ground).all()):
        raise ValueError("the points must be finite numbers")
    lon0, lat0 = ground.mean(axis=0)
    to_m, to_deg = _local(lon0, lat0)
    metres = np.column_stack(to_m(ground[:, 0], ground[:, 1]))
    for pts in (image, metres):  # all on one line (or in one spot): no plane to fit
        extent = float(np.ptp(pts, axis=0).max())
        if extent <= 0 or cv2.contourArea(cv2.convexHull(pts.astype(np.float32))) < 1e-3 * extent ** 2:
            raise ValueError("the points lie on one line")
    h_m, _mask = cv2.findHomography(image, metres, 0)
    if h_m is None or not np.isfinite(h_m).all() or abs(np.linalg.det(h_m)) < 1e-12:
        raise ValueError("the points do not define a homography (are three of them in a line?)")
    errors = np.hypot(*(project_many(h_m, image) - metres).T)
    matrix = to_deg @ h_m
    matrix = matrix / abs(matrix[2, 2] or 1.0)
    if (matrix @ np.append(image.mean(axis=0), 1.0))[2] < 0:
        matrix = -matrix  # the ground in view has w > 0; above the horizon w < 0
    return Calibration(matrix=matrix.tolist(), error_m=float(np.sqrt((errors ** 2).mean())),
                       max_error_m=float(errors.max()), inliers=int(len(image)))


def project_many(matrix, points) -> np.ndarray:
    """Image points (N × 2) through a homography; N × 2 results."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    h = np.asarray(matrix, dtype=np.float64)
    out = np.column_stack([pts, np.ones(len(pts))]) @ h.T
    return out[:, :2] / out[:, 2:3]


def project(matrix, x: float, y: float) -> tuple[float, float] | None:
    """One image point to (lon, lat); None behind the horizon (w ≤ 0) or when not finite."""
    h = np.asarray(matrix, dtype=np.float64)
    u, v, w = h @ np.array([x, y, 1.0])
    if w <= 0 or not math.isfinite(u / w) or not math.isfinite(v / w):
        return None
    return float(u / w), float(v / w)


def inverse(matrix) -> list[list[float]]:
    """The homography from ground (lon, lat) back to image pixels."""
    inv = np.linalg.inv(np.asarray(matrix, dtype=np.float64))
    return (inv / abs(inv[2, 2] or 1.0)).tolist()
