"""Decoding a camera as it is sold: a 1080p or 4K main stream at 25 fps, and often a small
substream beside it.

Sampling a 25 fps stream at 2 fps still decodes every frame: each frame of a GOP depends on
the ones before it. Two ways out (Frigate's advice): detect on the camera's low-resolution
substream (cheap to decode whole) and take only the snapshot from the main stream; or, with a
single main stream whose keyframes come at least as often as the worker samples, decode its
keyframes only (FFmpeg's `skip_frame = NONKEY`, through PyAV) — a fraction of the cost.
A stream with B-frames has frames that no other frame is predicted from: those between two
samples need not be decoded at all (`skip_frame = NONREF` for them, mode "sampled"), nor the
frames of a GOP after its last sample when the next GOP starts afresh. PyAV's decoder also
skips the deblocking (loop) filter on every frame but the keyframes (FFmpeg's
`skip_loop_filter = nokey`): less decoding, for pictures a little off the filtered ones (a
GOP's unfiltered references drift), which the detector does not notice; `deblock=True` keeps
it.

- `KeyframeCapture`: a cv2.VideoCapture look-alike over PyAV that decodes keyframes only
  (mode "keyframes"), or decides from the stream's first two keyframes (mode "auto": only
  when they come at least every 1/sample_fps seconds; every frame otherwise), or decodes the
  frames the sampling needs (mode "sampled": every reference frame, and the others only
  where a sample falls; the sampled pictures are those of every frame decoded).
- `RecordStream`: a camera's main stream for the snapshot of a candidate found on the
  substream: its keyframe nearest the moment, at full resolution, decoded only then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import cv2
import numpy as np

log = logging.getLogger("vision.worker.decode")

MODES = ("all", "sampled", "keyframes", "auto")
STREAM_OPTIONS = {"rtsp_transport": "tcp", "stimeout": "10000000", "timeout": "10000000"}


def _av():
    try:
        import av
    except ImportError:  # the worker runs without PyAV unless a camera asks for it
        raise RuntimeError("keyframe decoding needs PyAV (pip install av, see requirements-vision.txt)") from None
    return av


def is_stream(source: str) -> bool:
    """Whether `source` is a live stream (RTSP, HTTP…), not a file (a path or a file:// URL)."""
    return "://" in source and not source.startswith("file://")


def sample_step(fps: float, sample_fps: float) -> int:
    """Every how many frames of a file a sample falls."""
    return max(1, round(fps / sample_fps))


def open_container(source: str):
    """A PyAV container of a file or a stream (RTSP over TCP, with a timeout)."""
    av = _av()
    return av.open(source, options=STREAM_OPTIONS if is_stream(source) else None, timeout=10.0)


class KeyframeCapture:
    """What capture.Source asks of cv2.VideoCapture (isOpened, grab, retrieve, read, get,
    release), decoding keyframes only. `index` is the frame number of the last frame grabbed
    (the frames between keyframes are skipped, so it jumps a GOP at a time). In mode "sampled"
    a file's frame is a sample when its number is a multiple of `sample_step` past the first,
    as capture.Source samples a file; a live stream's frames are all decoded."""

    def __init__(self, source: str, mode: str = "keyframes", sample_fps: float = 2.0, deblock: bool = False):
        if mode not in ("keyframes", "auto", "sampled"):
            raise ValueError(f"decode mode {mode!r}: one of keyframes, auto, sampled")
        self.mode, self.sample_fps = mode, sample_fps
        self.index, self.keyframes_only, self.gop_s = -1, mode == "keyframes", None
        self.frame = None  # the last grabbed (a PyAV frame)
        self._key_times: list[float] = []
        try:
            self.container = open_container(source)
            self.stream = self.container.streams.video[0]
        except Exception as error:  # noqa: BLE001 - a camera that cannot be opened is retried by its Source
            log.warning("cannot open %s: %s", source, error)
            self.container = self.stream = None
            return
        # One thread: a keyframe every second or two needs no more, and each decoding thread
        # keeps its own frames (measured: 19 MB a 1080p stream with FFmpeg's automatic threads, 12 MB with one).
        self.stream.codec_context.thread_count = 1
        if not deblock:
            self.stream.codec_context.options = {"skip_loop_filter": "nokey"}
        if self.keyframes_only:
            self.stream.codec_context.skip_frame = "NONKEY"
        self.fps = float(self.stream.average_rate or 25)
        # A live stream in mode "sampled" is sampled by the clock as its frames come: every frame.
        live = is_stream(source)
        self.frames = self._sampled() if mode == "sampled" and not live else self.container.decode(self.stream)

    def isOpened(self) -> bool:  # noqa: N802 - cv2's name
        return self.container is not None

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS:
            return self.fps
        if prop == cv2.CAP_PROP_FRAME_COUNT:
            return float(self.stream.frames or 0)
        return 0.0

    def grab(self) -> bool:
        try:
            frame = next(self.frames)
        except (StopIteration, Exception):  # noqa: BLE001 - the end, or a dropped stream: reopened by the Source
            return False
        seconds = float(frame.time) if frame.time is not None else (self.index + 1) / self.fps
        self.index = int(round(seconds * self.fps))
        self.frame = frame
        if frame.key_frame and not self.keyframes_only and self.mode == "auto":
            self._decide(seconds)
        return True

    def _sampled(self):
        """The frames in order, those between samples decoded only where another frame needs
        them: the decoder drops a frame that no other is predicted from (FFmpeg's NONREF), and
        the frames of a GOP after its last sample are not decoded at all when the next GOP
        needs none of them (it starts afresh: no frame shown before its keyframe). A GOP is
        decoded once the next one is read (a file's packets; a few MB)."""
        codec, step = self.stream.codec_context, sample_step(self.fps, self.sample_fps)
        first, held, gop, flush = None, None, [], []
        for packet in self.container.demux(self.stream):
            if packet.pts is None:  # the last packet, empty: flushes the frames held back
                flush.append(packet)
                continue
            index = round(float(packet.pts * packet.time_base) * self.fps)
            first = index if first is None else first
            if packet.is_keyframe and gop:
                if held is not None:
                    yield from self._decode(held, codec, step, first, whole=_leads(gop))
                held, gop = gop, []
            gop.append((index, packet))
        if held is not None:
            yield from self._decode(held, codec, step, first, whole=_leads(gop))
        yield from self._decode(gop, codec, step, first, whole=False)
        for packet in flush:
            yield from packet.decode()

    @staticmethod
    def _decode(gop, codec, step: int, first: int, whole: bool):
        """One GOP's frames the samples need (`whole`: up to its end, as the next GOP refers
        back into it)."""
        samples = [i for i, (index, _) in enumerate(gop) if (index - first) % step == 0]
        last = len(gop) - 1 if whole else max(samples, default=-1)
        for index, packet in gop[:last + 1]:
            codec.skip_frame = "DEFAULT" if (index - first) % step == 0 else "NONREF"
            yield from packet.decode()

    def _decide(self, seconds: float) -> None:
        """Keyframes only from now on if they come at least every 1/sample_fps seconds."""
        self._key_times.append(seconds)
        if len(self._key_times) < 2:
            return
        self.gop_s = self._key_times[-1] - self._key_times[-2]
        if self.gop_s <= 1.0 / self.sample_fps + 0.5 / self.fps:
            self.keyframes_only = True
            self.stream.codec_context.skip_frame = "NONKEY"
        else:
            self.mode = "all"  # decided: every frame (the keyframes are too far apart)
        log.info("keyframes every %.2f s: decoding %s", self.gop_s, "keyframes only" if self.keyframes_only else "all")

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        if self.frame is None:
            return False, None
        return True, self.frame.to_ndarray(format="bgr24")

    def read(self) -> tuple[bool, np.ndarray | None]:
        return self.retrieve() if self.grab() else (False, None)

    def release(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None


def _leads(gop) -> bool:
    """Whether a GOP (its packets in decoding order, with their frame numbers) shows frames
    before its keyframe: an open GOP, whose first frames refer to the GOP before it."""
    return any(index < gop[0][0] for index, _ in gop[1:])


def every_frame(source: str) -> cv2.VideoCapture:
    """OpenCV's FFmpeg capture on one thread: the CPU time is the same, and each decoding
    thread keeps its own frames (measured at 640 × 360: 6 MB a camera with FFmpeg's automatic
    threads, 3.5 MB with one; tens of cameras share one worker)."""
    return cv2.VideoCapture(source, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])


def sampled(source: str, sample_fps: float, deblock: bool = False):
    """The capture of mode "sampled", through PyAV: a file's frames that the samples need (not
    its B-frames between samples, nor the frames of a GOP after its last sample), a live
    stream's every frame (sampled by the clock as they come), all but keyframes without
    deblocking. Through OpenCV, every frame: a file PyAV cannot open, or a worker without PyAV
    (a live stream PyAV cannot open is retried by its Source)."""
    try:
        _av()
    except RuntimeError:
        return every_frame(source)
    capture = KeyframeCapture(source, "sampled", sample_fps, deblock)
    if capture.isOpened() or is_stream(source):
        return capture
    return every_frame(source)


def opener(mode: str, sample_fps: float):
    """The capture opener of a decode mode ("all": OpenCV, every frame)."""
    if mode not in MODES:
        raise ValueError(f"decode mode {mode!r}: one of {', '.join(MODES)}")
    if mode == "all":
        return every_frame
    if mode == "sampled":
        return lambda source: sampled(source, sample_fps)
    _av()  # fail now, not in a reader thread
    return lambda source: KeyframeCapture(source, mode, sample_fps)


class RecordStream:
    """A camera's main stream for snapshots: `at(t)` is its keyframe nearest to time `t`.

    Nothing is decoded while the camera runs: the stream is only demultiplexed and its last
    keyframe packets kept (a few hundred kB of H.264); the one a candidate needs is decoded on
    its own (a keyframe needs no other frame) when the snapshot is taken. A file is read as the
    detect stream's time advances (`advance(t)`, its times from `start_at` like the detect
    stream's); a live stream by a thread, timed by the clock."""

    def __init__(self, source: str, start_at: float | None = None, keep: int = 2):
        self.source = source[len("file://"):] if source.startswith("file://") else source
        self.live = is_stream(self.source)
        self.start_at = start_at
        self.recent: deque[tuple[float, object]] = deque(maxlen=keep)
        self.keyframes = 0
        self.container = self.stream = self.packets = None
        self.stop = threading.Event()
        if self.live:
            threading.Thread(target=self._follow, name=f"record-{self.source[-20:]}", daemon=True).start()

    def at(self, t: float) -> tuple[float, np.ndarray] | None:
        """The main stream's keyframe nearest to `t`, decoded (None: none read yet)."""
        self.advance(t)
        if not self.recent:
            return None
        when, packet = min(self.recent, key=lambda item: abs(item[0] - t))
        codec = _av().CodecContext.create(self.codec[0], "r")
        codec.extradata = self.codec[1]
        codec.thread_count = 1
        frames = [*codec.decode(packet), *codec.decode(None)]
        return (when, frames[0].to_ndarray(format="bgr24")) if frames else None

    def _open(self) -> bool:
        try:
            self.container = open_container(self.source)
        except Exception as error:  # noqa: BLE001 - a main stream that cannot be read: snapshots from the substream
            log.warning("cannot open the main stream %s: %s", self.source, error)
            return False
        self.stream = self.container.streams.video[0]
        self.codec = (self.stream.codec_context.name, self.stream.codec_context.extradata)
        self.packets = self.container.demux(self.stream)
        return True

    def _next(self, base: float) -> float | None:
        """Read one packet; its time (None: the stream ended)."""
        try:
            packet = next(self.packets)
        except (StopIteration, Exception):  # noqa: BLE001 - the end, or a dropped stream
            return None
        if packet.pts is None:
            return base
        when = time.time() if self.live else base + float(packet.pts * packet.time_base)
        if packet.is_keyframe:
            self.keyframes += 1
            self.recent.append((when, packet))
        return when

    def advance(self, t: float) -> None:
        """Read a file up to the first packet at or after `t` (a live stream reads itself)."""
        if self.live or self.stop.is_set():
            return
        if self.container is None:
            if not self._open():
                self.stop.set()
                return
            if self.start_at is None:
                import os

                self.start_at = os.path.getmtime(self.source) - float(self.stream.duration * self.stream.time_base
                                                                      if self.stream.duration else 0.0)
        while True:
            when = self._next(self.start_at)
            if when is None:
                self.close()
                return
            if when >= t:
                return

    def _follow(self) -> None:
        while not self.stop.is_set():
            if self._open():
                while not self.stop.is_set() and self._next(0.0) is not None:
                    pass
                self.container.close()
            self.stop.wait(2.0)

    def close(self) -> None:
        self.stop.set()
        if self.container is not None and not self.live:
            self.container.close()
