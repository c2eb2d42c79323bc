"""A track as the phone sends it: parsing, what makes a fix plausible, and its length.

Pure functions over plain values (the services call them inside their transaction), so the
rules can be tested and benchmarked without the database: a fix is refused for a reason the
inspector can read; the length is measured in metres in settings.METRIC_SRID, leaving out
the steps that imply an impossible speed (a GPS jump), never smoothing or adding points.
"""

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from urbanmgmt.grids.geo import metric_transformer
from urbanmgmt.grids.services import grid_index
from urbanmgmt.patrols.models import GapReason

METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One fix as the phone sent it, parsed."""

    seq: int
    recorded_at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None


@dataclass(frozen=True, slots=True)
class TrackGap:
    """A stretch without fixes as the phone reported it."""

    started_at: dt.datetime
    ended_at: dt.datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one point (its seq and place in the batch) or gap (its place) was not stored."""

    index: int
    seq: int | None
    code: str
    message: str


def _moment(value) -> dt.datetime | None:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but no such time (2026-02-30)
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # a JSON integer of hundreds of digits
        return None
    return value if math.isfinite(value) else None


def parse_points(raw: Iterable) -> tuple[list[TrackPoint], list[Refusal], list[int]]:
    """The points of a batch as sent in JSON ({seq, t, lon, lat, accuracy_m}); an item that is
    not one is refused with code "invalid", the others go on. Third: each point's place in
    the batch, to name it in later refusals."""
    points, refused, places = [], [], []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        seq = item.get("seq")
        seq = seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**31 else None
        moment, lon, lat = _moment(item.get("t")), _number(item.get("lon")), _number(item.get("lat"))
        accuracy = item.get("accuracy_m")
        if seq is None or moment is None or lon is None or lat is None:
            refused.append(Refusal(index, seq, "invalid", _(
                "A point needs a whole number seq of at least 1, a time t (ISO 8601) and the numbers lon and lat.")))
            continue
        points.append(TrackPoint(seq, moment, lon, lat, _number(accuracy) if accuracy is not None else None))
        places.append(index)
    return points, refused, places


def parse_gaps(raw: Iterable) -> tuple[list[TrackGap], list[Refusal], list[int]]:
    """The gaps of a batch as sent in JSON ({from, to, reason}); third, as for the points:
    each gap's place in the batch."""
    gaps, refused, places = [], [], []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        start_at, end_at, reason = _moment(item.get("from")), _moment(item.get("to")), item.get("reason")
        if start_at is None or end_at is None or reason not in GapReason.values:
            refused.append(Refusal(index, None, "invalid", _(
                "A gap needs the times from and to (ISO 8601) and a reason: %(reasons)s.")
                % {"reasons": ", ".join(GapReason.values)}))
            continue
        gaps.append(TrackGap(start_at, end_at, reason))
        places.append(index)
    return gaps, refused, places


_extent_cache: dict = {}


def city_extent() -> tuple[float, float, float, float]:
    """west, south, east, north (degrees) of the grid layer widened by PATROL_EXTENT_MARGIN_M:
    an inspector may cross a street out of their city, never be 50 km away. Follows the grid
    index's version; the world when no grid is loaded."""
    index = grid_index()
    key = (index.version, settings.PATROL_EXTENT_MARGIN_M)
    if _extent_cache.get("key") != key:
        if not index.geoms:
            extent = (-180.0, -90.0, 180.0, 90.0)
        else:
            west, south, east, north = (float(v) for v in shapely.total_bounds(index.geoms))
            dlat = settings.PATROL_EXTENT_MARGIN_M / METRES_PER_DEGREE
            dlon = dlat / max(math.cos(math.radians((south + north) / 2)), 0.01)
            extent = (west - dlon, south - dlat, east + dlon, north + dlat)
        _extent_cache.update(key=key, extent=extent)
    return _extent_cache["extent"]


@dataclass(frozen=True, slots=True)
class Window:
    """When and where a patrol's fixes may lie: from its start to its end (or now, with the
    clock skew), inside the city's extent, at least this accurate."""

    start: dt.datetime
    end: dt.datetime
    latest: dt.datetime
    extent: tuple[float, float, float, float]
    accuracy_max_m: float


def refusal(point: TrackPoint, window: Window) -> tuple[str, str] | None:
    """(code, message) saying why `point` cannot be a fix of the patrol, None when it can."""
    if point.recorded_at > window.latest:
        return "future", _("Recorded in the future: check the phone's clock.")
    if point.recorded_at < window.start:
        return "before_start", _("Recorded before the patrol started.")
    if point.recorded_at > window.end:
        return "after_end", _("Recorded after the patrol ended.")
    west, south, east, north = window.extent
    if not (west <= point.lon <= east and south <= point.lat <= north):
        return "outside_city", _("Outside the city's area.")
    if point.accuracy_m is None or point.accuracy_m < 0:
        return "inaccurate", _("The fix carries no accuracy.")
    if point.accuracy_m > window.accuracy_max_m:
        return "inaccurate", _("Less accurate than %(max)s m.") % {"max": f"{window.accuracy_max_m:g}"}
    return None


def gap_refusal(gap: TrackGap, window: Window) -> str | None:
    """Why a gap cannot belong to the patrol, None when it can."""
    if gap.ended_at < gap.started_at:
        return _("A gap cannot end before it starts.")
    if gap.started_at < window.start or gap.ended_at > window.end or gap.ended_at > window.latest:
        return _("The gap lies outside the patrol's time.")
    return None


def length_m(track: Sequence[tuple[float, float, dt.datetime]]) -> float:
    """Metres along `track` ((lon, lat, time) in the order recorded), in settings.METRIC_SRID,
    leaving out each step faster than settings.PATROL_MAX_SPEED_MPS: a jump of the fix is
    not a walk. Both steps next to a lone bad fix are left out, so it costs the track a
    little length rather than adding a detour that never happened."""
    if len(track) < 2:
        return 0.0
    xs, ys = metric_transformer(settings.METRIC_SRID).transform([p[0] for p in track], [p[1] for p in track])
    top = settings.PATROL_MAX_SPEED_MPS
    total = 0.0
    for i in range(1, len(track)):
        step = math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1])
        seconds = (track[i][2] - track[i - 1][2]).total_seconds()
        if step <= top * max(seconds, 0.0):
            total += step
    return total
