"""Placing points in unit grids.

`grid_for_point` answers from an in-process spatial index (a Shapely STRtree over the grid
layer, built by one query) because every report, ticket and detection asks it, thousands of
times a second in bulk imports. Each process checks the layer's version (GridLayerVersion)
at most every settings.GRID_INDEX_TTL_S seconds and rebuilds the index when it changed; the
importer bumps that version. `grids_containing` is the same question asked of the database
through its spatial index, for querysets.
"""

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Point

from urbanmgmt.errors import OutsideServiceArea
from urbanmgmt.grids.geo import check_lon_lat
from urbanmgmt.grids.models import GridLayerVersion, UnitGrid


@dataclass(frozen=True, slots=True)
class GridPlace:
    """Where a point lies: its grid and the areas above it (ids and the grid code)."""

    grid_id: int
    code: str
    community_id: int
    street_id: int
    district_id: int


class GridIndex:
    """An immutable STRtree over the grid layer as of one layer version."""

    def __init__(self, version: int):
        self.version = version
        rows = list(
            UnitGrid.objects.order_by("code").values_list(
                "id", "code", "community_id", "street_id", "district_id", "geom"
            )
        )
        self.places = [GridPlace(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        geoms = [shapely.from_wkb(bytes(r[5].wkb)) for r in rows]
        self.tree = shapely.STRtree(geoms) if geoms else None
        self.geoms = geoms
        for geom in geoms:
            shapely.prepare(geom)
        # Single lookups go through buckets of BUCKET_DEG degrees: a dict probe and one or
        # two point-in-polygon tests, instead of building a geometry for an STRtree query.
        self.buckets: dict[tuple[int, int], list[int]] = {}
        for i, geom in enumerate(geoms):  # in code order, so lists stay sorted by code
            x0, y0, x1, y1 = geom.bounds
            for bx in range(_bucket(x0), _bucket(x1) + 1):
                for by in range(_bucket(y0), _bucket(y1) + 1):
                    self.buckets.setdefault((bx, by), []).append(i)

    def lookup(self, lon: float, lat: float) -> GridPlace | None:
        # On a shared edge the lowest code wins, so every point has exactly one grid.
        for i in self.buckets.get((_bucket(lon), _bucket(lat)), ()):
            if shapely.intersects_xy(self.geoms[i], lon, lat):
                return self.places[i]
        return None

    def lookup_many(self, lons, lats) -> list[GridPlace | None]:
        """Vectorised lookup for bulk paths (imports, benchmarks)."""
        result: list[GridPlace | None] = [None] * len(lons)
        if self.tree is None or not len(lons):
            return result
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, grid_idx = self.tree.query(points, predicate="intersects")
        # Sorted descending by grid index so the smallest (lowest code) is written last.
        order = np.lexsort((-grid_idx, point_idx))
        for p, g in zip(point_idx[order], grid_idx[order], strict=True):
            result[int(p)] = self.places[int(g)]
        return result


BUCKET_DEG = 0.002  # about 200 m: a unit grid overlaps a handful of buckets


def _bucket(value: float) -> int:
    return math.floor(value / BUCKET_DEG)


_lock = threading.Lock()
_state: dict = {"index": None, "checked": 0.0}


def grid_index() -> GridIndex:
    """The current process's index, rebuilt when the layer's version has moved on."""
    now = time.monotonic()
    index = _state["index"]
    if index is not None and now - _state["checked"] < settings.GRID_INDEX_TTL_S:
        return index
    with _lock:
        version = GridLayerVersion.current()
        index = _state["index"]
        if index is None or index.version != version:
            index = GridIndex(version)
            _state["index"] = index
        _state["checked"] = now
        return index


def invalidate_grid_index() -> None:
    """Forget this process's index (other processes notice the version within the TTL)."""
    with _lock:
        _state["index"] = None


def grid_for_point(point: Point) -> GridPlace:
    """The one unit grid that contains a WGS84 point, or OutsideServiceArea."""
    lon, lat = check_lon_lat(*point.coords[:2])
    place = grid_index().lookup(lon, lat)
    if place is None:
        raise OutsideServiceArea()
    return place


def grids_containing(point: Point):
    """The same question asked of the database (spatial index); a queryset."""
    return UnitGrid.objects.filter(geom__intersects=point).order_by("code")
