"""A 12-megapixel, ~3 MB JPEG like a phone's, for the benchmarks (made, not shipped)."""

import io

import numpy as np
from PIL import Image


def phone_jpeg(width: int = 4000, height: int = 3000, target_bytes: int = 3_000_000) -> bytes:
    """Smooth scenery with texture (so it compresses like a photo), at the quality that
    lands nearest `target_bytes`."""
    rng = np.random.default_rng(12)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(x / 370 + c) * np.cos(y / 290 - c) for c in (0.0, 1.1, 2.3)], axis=-1)
    texture = rng.normal(0, 9, (height, width, 1)).astype(np.float32)
    pixels = np.clip(base + texture, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    best = b""
    for quality in (60, 70, 78, 85, 90, 94):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        data = out.getvalue()
        if not best or abs(len(data) - target_bytes) < abs(len(best) - target_bytes):
            best = data
    return best


def unique_pieces(jpeg: bytes, n: int) -> list:
    """The same photo with a JPEG comment carrying `n` (another hash, another file), as two
    pieces to send one after the other: the start of the file with its comment, then a view of
    the rest (the 3 MB are not copied for every report)."""
    comment = f"bench {n}".encode()
    return [jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment, memoryview(jpeg)[2:]]
