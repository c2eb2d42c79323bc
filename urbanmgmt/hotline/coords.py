"""Coordinates of tickets at the edge: GCJ-02 and BD-09 (Chinese web maps) to WGS84.

Converted once on input with prcoords (the iterative "bored" inverses, sub-metre); the
original coordinates and their datum stay on the ticket. GCJ-02, most of a 12345 import's
coordinates, goes through `gcj_wgs_bored`: prcoords' own arithmetic, operation for
operation, without its named tuples (a third of the time; the same floats, tested).
"""

import math

import prcoords
from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.geo import check_lon_lat

DATUM_NAMES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs": "wgs84", "gps": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "cgcs2000": "wgs84", "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "火星坐标": "gcj02", "高德": "gcj02",
    "腾讯": "gcj02", "amap": "gcj02", "gaode": "gcj02", "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09",
    "baidu": "bd09", "百度": "bd09",
}


def datum_of(value: str | None, default: str = "wgs84") -> str:
    """The datum code for a source's spelling of it; InvalidInput for one we do not know."""
    text = (value or "").strip().lower().replace(" ", "")
    if not text:
        return default
    if text not in DATUM_NAMES:
        raise InvalidInput(_("Unknown coordinate system “%(datum)s”: use WGS84, GCJ-02 or BD-09."), datum=value)
    return DATUM_NAMES[text]


def to_wgs84(lon, lat, datum: str) -> tuple[float, float]:
    """(lon, lat) in WGS84 from coordinates in `datum` (wgs84, gcj02 or bd09)."""
    x, y = check_lon_lat(lon, lat)
    if datum == "wgs84":
        return x, y
    if not prcoords.sanity_in_china_p(prcoords.Coords(y, x)):
        raise InvalidInput(_("GCJ-02 and BD-09 coordinates exist only in China; (%(lon)s, %(lat)s) is not."),
                           lon=x, lat=y)
    if datum == "gcj02":
        return gcj_wgs_bored(x, y)
    result = prcoords.bd_wgs_bored(prcoords.Coords(y, x))
    return result.lon, result.lat


def gcj_wgs_bored(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) in WGS84 of GCJ-02 coordinates inside China: prcoords.gcj_wgs_bored, the
    same floats (its first guess gcj_wgs, then up to ten fixed-point steps of wgs_gcj)."""
    g_lat, g_lon = _wgs_gcj(lat, lon)
    w_lat, w_lon = lat - (g_lat - lat), lon - (g_lon - lon)
    d_lat = d_lon = 99
    i = 0
    while i < 10 and math.hypot(d_lat, d_lon) > prcoords.PRC_EPS:
        g_lat, g_lon = _wgs_gcj(w_lat, w_lon)
        d_lat, d_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - d_lat, w_lon - d_lon
        i += 1
    return w_lon, w_lat


_A, _EE, _PI, _sin, _sqrt, _pow, _radians = prcoords.GCJ_A, prcoords.GCJ_EE, math.pi, math.sin, math.sqrt, math.pow, math.radians


def _wgs_gcj(lat: float, lon: float) -> tuple[float, float]:
    """prcoords.wgs_gcj(Coords(lat, lon), False), written out."""
    x, y = lon - 105, lat - 35
    d_lat_m = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * _sqrt(abs(x)) + (
        2 * _sin(x * 6 * _PI) + 2 * _sin(x * 2 * _PI) + 2 * _sin(y * _PI) + 4 * _sin(y / 3 * _PI)
        + 16 * _sin(y / 12 * _PI) + 32 * _sin(y / 30 * _PI)) * 20 / 3)
    d_lon_m = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * _sqrt(abs(x)) + (
        2 * _sin(x * 6 * _PI) + 2 * _sin(x * 2 * _PI) + 2 * _sin(x * _PI) + 4 * _sin(x / 3 * _PI)
        + 15 * _sin(x / 12 * _PI) + 30 * _sin(x / 30 * _PI)) * 20 / 3)
    rad_lat = _radians(lat)
    magic = 1 - _EE * _pow(_sin(rad_lat), 2)
    lat_deg_arclen = _radians((_A * (1 - _EE)) / _pow(magic, 1.5))
    lon_deg_arclen = _radians(_A * math.cos(rad_lat) / _sqrt(magic))
    return lat + (d_lat_m / lat_deg_arclen), lon + (d_lon_m / lon_deg_arclen)
