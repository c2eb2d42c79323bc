"""An inspector's photos as evidence: verified, and flagged when something looks off."""

import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases.models import CaseMedia
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.cases.services import Evidence
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.geo import distance_m

FAR_FROM_POINT = "exif_gps_far"
TIME_OFF = "exif_time_off"
USED_BEFORE = "photo_used_before"


def read_uploads(files: list[UploadedFile], *, required: int = 1) -> list:
    """Verified photos of one submission; limits on count, size per photo and in total."""
    if len(files) < required:
        raise InvalidInput(_("Take at least one photo."))
    if len(files) > settings.REPORT_MAX_PHOTOS:
        raise InvalidInput(_("At most %(n)s photos per report."), n=settings.REPORT_MAX_PHOTOS)
    if sum(f.size for f in files) > settings.REPORT_MAX_BYTES:
        raise InvalidInput(_("The photos together exceed %(mb)s MB."), mb=settings.REPORT_MAX_BYTES // 2**20)
    photos = []
    for upload in files:
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise InvalidInput(_("%(name)s is larger than %(mb)s MB."), name=upload.name,
                               mb=settings.PHOTO_MAX_BYTES // 2**20)
        photos.append(read_photo(upload.read(), upload.name or ""))
    return photos


def flag(photos: list, point: Point, captured_at: dt.datetime, kind: str = CaseMedia.Kind.BEFORE) -> list[Evidence]:
    """Evidence with its flags: EXIF place far from the reported point, EXIF time far from the
    capture time, or the same photo already in another case."""
    used = set(CaseMedia.objects.filter(sha256__in=[p.sha256 for p in photos]).values_list("sha256", flat=True))
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
