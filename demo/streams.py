"""Camera streams as they are sold, made from real frames: H.264 or H.265 at 25 fps with a fixed
GOP (a keyframe every `gop` frames, no B-frames, as IP cameras send), at the main stream's size
(1080p, 4K) or a substream's (640 × 360). Through PyAV's bundled libx264 and libx265: no system
ffmpeg.

Used by the worker's tests (small clips) and bench/bench_vision.py (1080p from the committed
real clip, fixtures/video/parking_lot_passing.mp4, upscaled).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np


def encode(path: str, frames: Iterable[np.ndarray], size: tuple[int, int], fps: int = 25, gop: int = 50,
           bitrate: int | None = None, bframes: int = 0, open_gop: bool = False, hevc: bool = False) -> int:
    """Write BGR frames (resized to `size`) as an H.264 (or `hevc`: H.265) MP4 with a keyframe
    every `gop` frames and up to `bframes` B-frames in a row (cameras send none; web video
    does), its GOPs open (B-frames shown before a keyframe, predicted from the GOP before it) or
    closed; the number of frames written."""
    import av

    width, height = size
    count = 0
    with av.open(path, "w") as container:
        stream = container.add_stream("libx265" if hevc else "libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate or int(width * height * fps * (0.05 if hevc else 0.08))  # ~4 Mbit/s at 1080p25 H.264
        if hevc:
            stream.options = {"preset": "ultrafast", "x265-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:"
                              f"bframes={bframes}:open-gop={int(open_gop)}:log-level=error"}
        else:
            stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "bf": str(bframes),
                              "preset": "veryfast", **({} if bframes else {"tune": "zerolatency"}),
                              **({"x264-params": "open-gop=1"} if open_gop else {})}
        for image in frames:
            if image.shape[1::-1] != (width, height):
                image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
        for packet in stream.encode():
            container.mux(packet)
    return count


def clip_frames(clip: str, fps: int = 25, seconds: float | None = None):
    """The frames of a real clip at `fps` (each source frame repeated or dropped to keep its
    timing), for `seconds` or the whole clip."""
    cap = cv2.VideoCapture(clip)
    source_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    wanted = int(seconds * fps) if seconds else None
    out, image = 0, None
    try:
        while wanted is None or out < wanted:
            t = out / fps
            while image is None or cap.get(cv2.CAP_PROP_POS_FRAMES) / source_fps <= t:
                ok, read = cap.read()
                if not ok:
                    return
                image = read
            yield image
            out += 1
    finally:
        cap.release()


def numbered(count: int, size: tuple[int, int] = (320, 180)):
    """Frames that say their own number (a bright bar at a position per frame): a clip whose
    decoded frames tests can tell apart."""
    width, height = size
    for i in range(count):
        image = np.full((height, width, 3), 60, np.uint8)
        x = int((i % 32) * width / 32)
        cv2.rectangle(image, (x, 0), (x + width // 32, height), (240, 240, 240), -1)
        cv2.putText(image, str(i), (8, height - 12), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 200, 255), 2)
        yield image
