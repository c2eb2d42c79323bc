"""Coordinates of tickets at the edge: GCJ-02 and BD-09 (Chinese web maps) to WGS84.

Converted once on input with prcoords (the iterative "bored" inverses, sub-metre); the
original coordinates and their datum stay on the ticket.
"""

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
    convert = prcoords.gcj_wgs_bored if datum == "gcj02" else prcoords.bd_wgs_bored
    result = convert(prcoords.Coords(y, x))
    return result.lon, result.lat
