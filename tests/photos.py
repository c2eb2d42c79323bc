"""Test photos made on the spot: real JPEGs with real EXIF, and broken ones."""

import datetime as dt
import io

from PIL import Image


def _rational(value: float) -> tuple:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), float(s))


def jpeg(width=640, height=480, *, gps=None, taken=None, orientation=None, make="Huawei", quality=85,
         noise=False) -> bytes:
    """A JPEG; gps=(lon, lat) and taken=datetime (local time, with offset) go into its EXIF."""
    if noise:
        import numpy as np

        pixels = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)
        image = Image.fromarray(pixels, "RGB")
    else:
        image = Image.new("RGB", (width, height), (90, 140, 200))
        for x in range(0, width, 40):  # some structure, so orientation is visible
            image.paste((250, 200, 40), (x, 0, x + 10, height // 3))
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = "Test Phone"
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif[0x8769] = {0x9003: taken.strftime("%Y:%m:%d %H:%M:%S"), 0x9011: taken.strftime("%z")[:3] + ":" +
                        taken.strftime("%z")[3:]}
    if gps:
        lon, lat = gps
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _rational(abs(lat)), 3: "E" if lon >= 0 else "W",
                        4: _rational(abs(lon))}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def now_local() -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(microsecond=0)
