"""An inspector's photos as evidence: verified, and flagged when something looks off."""

import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point

from urbanmgmt.cases.models import PHOTO_USED_BEFORE, CaseMedia
from urbanmgmt.cases.services import Evidence
from urbanmgmt.grids.geo import distance_m

FAR_FROM_POINT = "exif_gps_far"
TIME_OFF = "exif_time_off"
USED_BEFORE = PHOTO_USED_BEFORE


def flag(photos: list, point: Point, captured_at: dt.datetime, kind: str = CaseMedia.Kind.BEFORE) -> list[Evidence]:
    """Evidence with its flags: EXIF place far from the reported point, EXIF time far from the
    capture time, or the same photo already in another case."""
    used = set(CaseMedia.objects.filter(sha256__in=[p.sha256 for p in photos]).order_by().values_list("sha256", flat=True))
    out = []
    for photo in photos:
        flags = []
        gps = photo.exif.get("gps")
        if gps and distance_m(Point(*gps, srid=4326), point) > settings.PHOTO_FLAG_DISTANCE_M:
            flags.append(FAR_FROM_POINT)
        taken = photo.exif.get("taken_at")
        if taken and abs((dt.datetime.fromisoformat(taken) - captured_at).total_seconds()) > settings.PHOTO_FLAG_HOURS * 3600:
            flags.append(TIME_OFF)
        if photo.sha256 in used:
            flags.append(USED_BEFORE)
        out.append(Evidence(photo=photo, kind=kind, flags=flags))
    return out
