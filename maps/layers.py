"""The dispatch map's layers: unit grids coloured by their cases, and the cases themselves.

Both are asked for by bounding box and zoom. Far out, a city of 20,000 grids and 100,000
open cases cannot travel as single features, so the level of detail follows the zoom:

| zoom      | grid layer              | case layer                                   |
|-----------|-------------------------|----------------------------------------------|
| ≥ 15      | unit grids in view      | single cases (≥ 16, or when few), else counts per grid |
| 13 – 14   | communities             | counts per community                         |
| ≤ 12      | streets                 | counts per street                            |

The counting is one GROUP BY grid in the database (indexed by grid and state); the counts
are rolled up to communities and streets in memory through the grid → area table. The
geometries are cut once per process and layer version into GeoJSON text, simplified for
their zoom band, so an answer is string assembly, not serialisation of 20,000 objects.
"""

import datetime as dt
import json
import threading
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from urbanmgmt.cases.api import CaseFilter
from urbanmgmt.cases.models import Case, Channel, State, is_overdue
from urbanmgmt.catalog.models import in_language
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.models import Area
from urbanmgmt.grids.services import grid_index

GRID_ZOOM = 15  # from here on, unit grids
COMMUNITY_ZOOM = 13  # from here on (below GRID_ZOOM), communities; below, streets
POINT_ZOOM = 16  # from here on, single cases however many (up to MAP_MAX_POINTS)
# Simplification tolerance in degrees by zoom band (about a pixel at the band's first zoom).
TOLERANCE = {"grid": 0.000005, "community": 0.00005, "street": 0.0002, "district": 0.0003}


def level_for(zoom: int) -> str:
    if zoom >= GRID_ZOOM:
        return "grid"
    return "community" if zoom >= COMMUNITY_ZOOM else "street"


@dataclass(frozen=True)
class Place:
    """One feature of the grid layer as prepared text: its geometry in GeoJSON, its centre."""

    id: int
    code: str
    name: str
    geometry: str
    lon: float
    lat: float


class LayerCache:
    """The grid layer's geometry as GeoJSON text, for one version of the layer."""

    def __init__(self):
        index = grid_index()
        self.version = index.version
        self.tree = index.tree
        places = index.places
        self.grid_ids = np.array([p.grid_id for p in places], dtype=np.int64)
        self.community_of = {p.grid_id: p.community_id for p in places}
        self.street_of = {p.grid_id: p.street_id for p in places}
        self.grids = self._cut([(p.grid_id, p.code, p.code) for p in places], index.geoms, TOLERANCE["grid"])
        self.grid_by_id = {place.id: place for place in self.grids}
        self.areas: dict[str, dict[int, Place]] = {}
        self.area_trees: dict[str, tuple] = {}
        for level in ("community", "street", "district"):
            rows = list(Area.objects.filter(level=level).order_by("code").values_list("id", "code", "name", "geom"))
            geoms = [shapely.from_wkb(bytes(r[3].wkb)) if r[3] is not None else self._union(level, r[0], index)
                     for r in rows]
            cut = self._cut([(r[0], r[1], r[2]) for r in rows], geoms, TOLERANCE[level])
            self.areas[level] = {place.id: place for place in cut}
            self.area_trees[level] = (shapely.STRtree(geoms) if geoms else None, [place.id for place in cut])

    @staticmethod
    def _cut(keys, geoms, tolerance) -> list[Place]:
        if not geoms:
            return []
        array = shapely.simplify(np.asarray(geoms, dtype=object), tolerance, preserve_topology=True)
        array = shapely.set_precision(array, 0.000001)
        texts = shapely.to_geojson(array)
        centres = shapely.point_on_surface(np.asarray(geoms, dtype=object))
        xs, ys = shapely.get_x(centres), shapely.get_y(centres)
        return [Place(k[0], k[1], k[2], t, round(float(x), 6), round(float(y), 6))
                for k, t, x, y in zip(keys, texts, xs, ys, strict=True)]

    @staticmethod
    def _union(level, area_id, index):
        attribute = f"{level}_id"
        members = [g for p, g in zip(index.places, index.geoms, strict=True) if getattr(p, attribute) == area_id]
        return shapely.union_all(members) if members else shapely.Polygon()

    def grids_in(self, bbox) -> list[int]:
        """Ids of the unit grids whose shape meets the box (w, s, e, n)."""
        if self.tree is None:
            return []
        hits = self.tree.query(shapely.box(*bbox), predicate="intersects")
        return self.grid_ids[np.sort(hits)].tolist()

    def areas_in(self, level: str, bbox) -> list[int]:
        tree, ids = self.area_trees[level]
        if tree is None:
            return []
        return [ids[i] for i in np.sort(tree.query(shapely.box(*bbox), predicate="intersects"))]

    def place(self, level: str, place_id: int) -> Place | None:
        return self.grid_by_id.get(place_id) if level == "grid" else self.areas[level].get(place_id)

    def roll_up(self, level: str, counts: dict[int, int]) -> dict[int, int]:
        """Counts per grid → counts per grid, community or street."""
        if level == "grid":
            return counts
        parent = self.community_of if level == "community" else self.street_of
        out: dict[int, int] = {}
        for grid_id, n in counts.items():
            key = parent.get(grid_id)
            if key is not None:
                out[key] = out.get(key, 0) + n
        return out


_lock = threading.Lock()
_cache: dict = {"layer": None}


def layer_cache() -> LayerCache:
    """This process's prepared layer; rebuilt when the grid layer's version moves on."""
    version = grid_index().version
    cache = _cache["layer"]
    if cache is not None and cache.version == version:
        return cache
    with _lock:
        cache = _cache["layer"]
        if cache is None or cache.version != version:
            cache = LayerCache()
            _cache["layer"] = cache
        return cache


def invalidate_layer_cache() -> None:
    with _lock:
        _cache["layer"] = None


# --- filters -----------------------------------------------------------------------------

def filtered_cases(user, params, default_open: bool = True):
    """The cases `user` may see that match the map's filters (those of the case API).

    With no `state` and no `open` given the map shows open cases (unless `default_open` is
    false); `open=all` shows every case. `metric=overdue` keeps only the overdue ones
    (`CaseQuerySet.overdue`: open, not suspended, past their deadline).
    """
    params = params.copy()
    for name, allowed in (("state", State.values), ("channel", Channel.values)):
        unknown = [v for v in (params.get(name) or "").split(",") if v and v not in allowed]
        if unknown:
            raise InvalidInput(_("Unknown %(name)s: %(values)s. Known: %(known)s.")
                               % {"name": name, "values": ", ".join(unknown), "known": ", ".join(allowed)})
    if params.get("open") == "all":
        params.pop("open")
    elif default_open and not params.get("state") and params.get("open") in (None, ""):
        params["open"] = "true"
    if params.get("metric") == "overdue":
        params["overdue"] = "true"
    case_filter = CaseFilter(params, queryset=Case.objects.visible_to(user))
    if not case_filter.is_valid():
        raise ValidationError(case_filter.errors)
    return case_filter.qs


def counts_by_grid(cases, grid_ids: list[int] | None = None) -> dict[int, int]:
    """One GROUP BY: matching cases per grid (only the grids given, when given)."""
    if grid_ids is not None:
        cases = cases.in_grids(grid_ids)
    return dict(cases.order_by().values_list("grid_id").annotate(n=Count("id")).values_list("grid_id", "n"))


# When a box holds fewer grids than this, the count query names them; above, it counts all.
NAME_GRIDS_BELOW = 3000


# --- the grid layer ----------------------------------------------------------------------

def grid_layer(user, params, bbox, zoom: int) -> str:
    """GeoJSON text: the grids (or communities, or streets) in the box with their count."""
    cache = layer_cache()
    level = level_for(zoom)
    grid_ids = cache.grids_in(bbox)
    counts = counts_by_grid(filtered_cases(user, params), grid_ids if len(grid_ids) < NAME_GRIDS_BELOW else None)
    if level == "grid":
        ids = grid_ids
    else:
        ids = cache.areas_in(level, bbox)
        counts = cache.roll_up(level, counts)
    features = []
    for place_id in ids:
        place = cache.place(level, place_id)
        if place is None:
            continue
        properties = json.dumps({"level": level, "code": place.code, "name": place.name, "n": counts.get(place_id, 0)},
                                ensure_ascii=False)
        features.append(f'{{"type":"Feature","id":{place.id},"geometry":{place.geometry},"properties":{properties}}}')
    return _collection(features, {"level": level, "zoom": zoom, "max": max(counts.values(), default=0)})


def _collection(features: list[str], meta: dict) -> str:
    head = json.dumps(meta, ensure_ascii=False)[1:-1]
    return f'{{"type":"FeatureCollection",{head},"features":[{",".join(features)}]}}'


# --- the case layer ----------------------------------------------------------------------

# What a marker and its popup need; the panel asks for the rest.
POINT_FIELDS = ("id", "code", "state", "channel", "urgency", "category__name_zh", "category__name_en", "description",
                "address",
                "reported_at", "due_at", "version", "ticket_count", "point")


def case_layer(user, params, bbox, zoom: int, fit: bool = False) -> str:
    """GeoJSON text: single cases when few or close, else counts per grid, community or street.
    With `fit`, also the `extent` [west, south, east, north] of every matching case, in the
    box or not (null when none): a link that names its cases opens the map on them."""
    cache = layer_cache()
    cursor = timezone.now()
    cases = filtered_cases(user, params)
    extent = {}
    if fit:
        found = cases.aggregate(extent=Extent("point"))["extent"]
        extent = {"extent": [round(v, 7) for v in found] if found else None}
    grid_ids = cache.grids_in(bbox)
    named = grid_ids if len(grid_ids) < NAME_GRIDS_BELOW else None
    limit = settings.MAP_MAX_POINTS
    counts = counts_by_grid(cases, named)
    level = level_for(zoom)
    if level == "grid":
        total = sum(counts.get(g, 0) for g in grid_ids) if named is None else sum(counts.values())
        if zoom >= POINT_ZOOM or total <= limit:
            rows = list(cases.in_grids(grid_ids).order_by("-reported_at").values_list(*POINT_FIELDS)[:limit])
            features = [json.dumps(point_feature(row, cursor), ensure_ascii=False) for row in rows]
            return _collection(features, {"mode": "points", "cursor": cursor.isoformat(), "truncated": total > limit,
                                          "total": total, **extent})
    rolled = cache.roll_up(level, counts)
    ids = grid_ids if level == "grid" else cache.areas_in(level, bbox)
    features = []
    for place_id in ids:
        n = rolled.get(place_id, 0)
        place = cache.place(level, place_id)
        if not n or place is None:
            continue
        properties = json.dumps({"cluster": True, "level": level, "code": place.code, "name": place.name, "n": n},
                                ensure_ascii=False)
        features.append(f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{place.lon},{place.lat}]}},'
                        f'"properties":{properties}}}')
    return _collection(features, {"mode": "clusters", "level": level, "cursor": cursor.isoformat(),
                                  "total": sum(rolled.get(i, 0) for i in ids), **extent})


def point_feature(row, now: dt.datetime) -> dict:
    """One case of POINT_FIELDS as a GeoJSON feature (`now` decides whether it is overdue)."""
    (pk, code, state, channel, urgency, category, category_en, description, address, reported_at, due_at, version,
     tickets, point) = row
    properties = {
        "id": pk, "code": code, "state": state, "channel": channel, "urgency": urgency,
        "category": in_language(category or "", category_en or ""),
        "description": (description or "")[:120], "address": address, "reported_at": _iso(reported_at),
        "due_at": _iso(due_at), "overdue": is_overdue(state, due_at, now),
        "version": version, "tickets": tickets,
    }
    lon, lat = point.coords[:2]
    return {"type": "Feature", "id": pk, "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


# --- changes since a cursor (live map) -----------------------------------------------------

# A transaction may commit a moment after the time it wrote into updated_at: ask again for
# this much of the past each time, and let the client skip versions it already has.
OVERLAP = dt.timedelta(seconds=10)
MAX_CHANGES = 1000


def changes(user, params, cursor: dt.datetime) -> dict:
    """Cases changed since `cursor`: those that match the filters as features, the rest as
    ids to take off the map; and the next cursor."""
    now = timezone.now()
    changed = Case.objects.filter(updated_at__gt=cursor - OVERLAP).visible_to(user)
    ids = list(changed.order_by("updated_at").values_list("id", flat=True)[:MAX_CHANGES])
    if not ids:
        return {"cursor": now.isoformat(), "features": [], "removed": [], "more": False}
    if len(ids) == MAX_CHANGES:  # a bulk change (an import): the client reloads its layers
        return {"cursor": now.isoformat(), "features": [], "removed": [], "more": True}
    rows = list(filtered_cases(user, params).filter(id__in=ids).values_list(*POINT_FIELDS))
    matching = {row[0] for row in rows}
    return {
        "cursor": now.isoformat(),
        "features": [point_feature(row, now) for row in rows],
        "removed": [pk for pk in ids if pk not in matching],
        "more": False,
    }


__all__ = ["grid_layer", "case_layer", "changes", "filtered_cases", "layer_cache"]
