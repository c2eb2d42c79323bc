"""Coordinates at the edge: validate WGS84 input and measure in metres.

Geometry is stored in WGS84 (EPSG:4326); distances and areas are measured in the city's
metric CRS (settings.METRIC_SRID), never in degrees.
"""

import math
from functools import lru_cache

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.utils.translation import gettext_lazy as _
from pyproj import Transformer

from urbanmgmt.errors import InvalidInput

WORLD = (-180.0, -90.0, 180.0, 90.0)


def check_lon_lat(lon, lat) -> tuple[float, float]:
    """(lon, lat) as floats, refusing NaN, infinities and out-of-range values."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput(_("Longitude and latitude must be numbers.")) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInput(_("Longitude and latitude must be finite numbers."))
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(_("Longitude must lie within ±180 and latitude within ±90 degrees."))
    return x, y


def parse_bbox(text: str | None, clip: bool = False) -> tuple[float, float, float, float]:
    """west, south, east, north in WGS84 degrees from `west,south,east,north` (the world when
    empty); 400 on anything else. With `clip`, a box reaching past the world (a web map zoomed
    far out) is cut to it instead. GEOS's WKT writer overruns its buffer on coordinates such as
    1e213 and aborts the whole server process, so nothing unchecked reaches a geometry."""
    if not text:
        return WORLD
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput(_("bbox must be four numbers: west,south,east,north.")) from None
    if clip and all(map(math.isfinite, (west, south, east, north))):
        west, east = max(west, -180.0), min(east, 180.0)
        south, north = max(south, -90.0), min(north, 90.0)
    if not all(map(math.isfinite, (west, south, east, north))) or not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput(_("bbox must lie within -180..180, -90..90 with west < east and south < north."))
    return west, south, east, north


def parse_lon_lat(lon, lat) -> Point:
    """A WGS84 point from user input (see check_lon_lat)."""
    return Point(*check_lon_lat(lon, lat), srid=4326)


def parse_point(value) -> Point:
    """A WGS84 point from GeoJSON (dict or text), WKT or a GEOS point; 400 on anything else."""
    if isinstance(value, Point):
        point = value
    else:
        try:
            import json

            text = json.dumps(value) if isinstance(value, dict) else str(value)
            point = GEOSGeometry(text)
        except (GEOSException, GDALException, ValueError, TypeError, RecursionError):  # JSON text nested 5,000 deep
            raise InvalidInput(_("The location is not a valid GeoJSON or WKT point.")) from None
    if point.geom_type != "Point":
        raise InvalidInput(_("The location must be a single point."))
    if point.empty:  # GEOS reads NaN coordinates as an empty point
        raise InvalidInput(_("Longitude and latitude must be finite numbers."))
    if point.srid not in (None, 4326):
        try:
            point = point.transform(4326, clone=True)
        except (GEOSException, GDALException):
            raise InvalidInput(_("The location's spatial reference (SRID %(srid)s) is unknown: give WGS84 "
                                 "(EPSG:4326)."), srid=point.srid) from None
    return parse_lon_lat(point.x, point.y)


@lru_cache(maxsize=8)
def metric_transformer(srid: int) -> Transformer:
    """WGS84 longitude, latitude → x, y in metres of `srid` (one transformer per CRS, kept)."""
    return Transformer.from_crs(4326, srid, always_xy=True)


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    """(x, y) in metres in settings.METRIC_SRID."""
    return metric_transformer(settings.METRIC_SRID).transform(lon, lat)


def distance_m(a: Point, b: Point) -> float:
    """Distance in metres between two WGS84 points, measured in the metric CRS."""
    ax, ay = to_metric(a.x, a.y)
    bx, by = to_metric(b.x, b.y)
    return math.hypot(ax - bx, ay - by)
