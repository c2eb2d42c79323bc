"""Photos as evidence: verified, hashed, read for EXIF, copied for display, thumbnailed.

The original bytes are kept untouched for staff (their SHA-256 is the evidence's identity);
what is shown is a re-encoded copy, turned upright and stripped of EXIF (which carries the
phone's location and make), and a thumbnail. Files are stored under their hash, so storing
the same photo twice writes nothing new and two reports sharing one photo can be found.
"""

import datetime as dt
import hashlib
import io
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from urbanmgmt import storage
from urbanmgmt.errors import InvalidInput
from urbanmgmt.uploads import UploadIncomplete

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769


@dataclass
class Photo:
    """A verified photo, its files not yet stored."""

    original: bytes
    sha256: str
    format: str
    width: int
    height: int
    exif: dict = field(default_factory=dict)
    display: bytes = b""
    thumbnail: bytes = b""
    name: str = ""

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[self.format]

    def paths(self) -> dict[str, str]:
        h = self.sha256
        return {"file": f"evidence/original/{h[:2]}/{h}.{self.extension}",
                "display": f"evidence/display/{h[:2]}/{h}.jpg",
                "thumbnail": f"evidence/thumb/{h[:2]}/{h}.jpg"}

    def store(self) -> dict[str, str]:
        """Write the three files (once: an existing path already holds the same bytes): the
        original to the private store, the copies to the display store; each is durable when
        this returns. MediaUnavailable when the store cannot take them: the caller then
        commits nothing, and what was written before the failure is left to the orphan sweep
        (`manage.py sweep_media`), as another report may be about to name the same hash."""
        paths = self.paths()
        storage.write_all([(paths["file"], self.original, storage.PRIVATE, self.sha256),
                           (paths["display"], self.display, storage.DISPLAY),
                           (paths["thumbnail"], self.thumbnail, storage.DISPLAY)])
        return paths

    def metadata(self) -> dict:
        return {"format": self.format, "width": self.width, "height": self.height, "bytes": len(self.original),
                "name": self.name[:200], "exif": self.exif}


def signed_media_url(path: str) -> str:
    """A URL for one stored file that works without a session for MEDIA_URL_MAX_AGE_S seconds
    (images in the token-authenticated apps cannot send an Authorization header)."""
    if not path:
        return ""
    signed = TimestampSigner(salt="media").sign(path)
    return f"/{settings.MEDIA_URL.strip('/')}/{path}?sig={signed[len(path) + 1:]}"


def media_signature_ok(path: str, signature: str) -> bool:
    try:
        TimestampSigner(salt="media").unsign(f"{path}:{signature}", max_age=settings.MEDIA_URL_MAX_AGE_S)
    except BadSignature:
        return False
    return True


def read_photo(data: bytes, name: str = "") -> Photo:
    """Verify an uploaded photo and prepare its copies; InvalidInput with a reason otherwise."""
    label = name or _("the photo")
    if len(data) > settings.PHOTO_MAX_BYTES:
        raise InvalidInput(_("%(name)s is larger than %(mb)s MB."), name=label, mb=settings.PHOTO_MAX_BYTES // 2**20)
    if not data:
        raise InvalidInput(_("%(name)s is empty."), name=label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise InvalidInput(_("%(name)s is a %(format)s file; send a JPEG, PNG or WebP photo."),
                                   name=label, format=image.format)
            width, height = image.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise InvalidInput(_("%(name)s has too many pixels (%(mp)s megapixels)."),
                                   name=label, mp=round(width * height / 1e6))
            exif = _read_exif(image)
            display, thumbnail = _copies(image, len(data))
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(_("%(name)s is not a photo that can be read (or is a decompression bomb)."),
                           name=label) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt data
        raise InvalidInput(_("%(name)s is damaged or incomplete; take or send it again."), name=label) from None
    return Photo(original=data, sha256=hashlib.sha256(data).hexdigest(), format=image.format, width=width,
                 height=height, exif=exif, display=display, thumbnail=thumbnail, name=name)


def _copies(image: Image.Image, size: int) -> tuple[bytes, bytes]:
    """Display copy and thumbnail: decoded at a reduced scale where JPEG allows (the whole
    stream is still read, so truncation is still caught), upright, without EXIF."""
    edge = settings.PHOTO_DISPLAY_EDGE
    if image.format == "JPEG":
        # The box the display copy will fill, so libjpeg can decode at 1/2, 1/4 or 1/8 scale.
        scale = min(1.0, edge / max(image.size))
        image.draft("RGB", (max(1, int(image.size[0] * scale)), max(1, int(image.size[1] * scale))))
    # The whole file to the decoder at once (the data is in memory anyway): libjpeg's fast
    # Huffman path then runs to the end instead of falling back near every 64 KiB block's end
    # (about 2 ms of 35 for a 3 MB photo). A truncated file still ends in "image file is truncated".
    image.decodermaxblock = max(image.decodermaxblock, size)
    image.load()
    ImageOps.exif_transpose(image, in_place=True)  # turned if it must be; otherwise not copied (0.4 ms)
    upright = image
    if upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.thumbnail((edge, edge))
    display = io.BytesIO()
    upright.save(display, "JPEG", quality=82, optimize=False)
    factor = max(1, max(upright.size) // settings.PHOTO_THUMB_EDGE)  # a box reduction: cheap
    small = upright.reduce(factor) if factor > 1 else upright
    # Less than 2× left to shrink: a box filter averages what each pixel covers, as bilinear
    # would, in 0.6 ms instead of 0.8 (333 → 320 px).
    small.thumbnail((settings.PHOTO_THUMB_EDGE, settings.PHOTO_THUMB_EDGE), Image.Resampling.BOX)
    thumb = io.BytesIO()
    small.save(thumb, "JPEG", quality=75)
    return display.getvalue(), thumb.getvalue()


def _read_exif(image: Image.Image) -> dict:
    exif = image.getexif()
    if not exif:
        return {}
    out = {}
    for tag, key in ((0x010F, "make"), (0x0110, "model"), (0x0112, "orientation")):
        if tag in exif:
            out[key] = _plain(exif[tag])
    sub = exif.get_ifd(_EXIF_IFD)
    taken = sub.get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
    if taken:
        out["taken_at"] = _exif_time(str(taken), sub.get(0x9011))  # OffsetTimeOriginal
    gps = exif.get_ifd(_GPS_IFD)
    point = _gps_point(gps) if gps else None
    if point:
        out["gps"] = point
    return out


def _plain(value):
    return value.decode(errors="replace").strip("\x00 ") if isinstance(value, bytes) else (
        value.strip("\x00 ") if isinstance(value, str) else int(value))


def _exif_time(text: str, offset) -> str | None:
    """ISO 8601 of an EXIF time; without an offset in the file it is taken as local time."""
    try:
        moment = dt.datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if offset:
        try:
            sign = -1 if str(offset).startswith("-") else 1
            hours, minutes = str(offset).lstrip("+-").split(":")[:2]
            return moment.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))).isoformat()
        except ValueError:
            pass
    from zoneinfo import ZoneInfo

    return moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE)).isoformat()


def _gps_point(gps) -> list[float] | None:
    names = {ExifTags.GPSTAGS.get(k, k): v for k, v in gps.items()}
    try:
        lat = _degrees(names["GPSLatitude"]) * (-1 if names.get("GPSLatitudeRef") in ("S", b"S") else 1)
        lon = _degrees(names["GPSLongitude"]) * (-1 if names.get("GPSLongitudeRef") in ("W", b"W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return [round(lon, 7), round(lat, 7)]


def _degrees(value) -> float:
    d, m, s = (float(x) for x in value)
    return d + m / 60 + s / 3600


def read_uploads(request, *, required: int = 1) -> list[Photo]:
    """Verified photos of one submission (the files `photos` of a request); limits on count,
    size per photo and in total. A client may say how many photos it sent (`photo_count`):
    fewer arrived, or a photo came as a text part (no file name, which Django does not count
    as a file), and the submission is refused whole rather than kept without them."""
    files = request.FILES.getlist("photos")
    declared = request.POST.get("photo_count")
    if request.POST.getlist("photos"):
        raise UploadIncomplete(_("A photo arrived without a file name, as text: send it as a file."))
    if declared not in (None, "") and declared != str(len(files)):
        raise UploadIncomplete(_("%(got)s of the %(sent)s photos arrived. Nothing was kept: send it again."),
                               got=len(files), sent=declared[:6])
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
        photos.append(read_photo(_content(upload), upload.name or ""))
    return photos


def _content(upload) -> bytes:
    """An upload's bytes. One kept in memory hands over its buffer, where reading it would
    copy the whole photo into fresh memory."""
    if isinstance(upload.file, io.BytesIO):
        return upload.file.getvalue()
    upload.seek(0)
    return upload.read()
