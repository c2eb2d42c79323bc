"""Capture: frames from a video file or an RTSP/HTTP stream, sampled at a configured rate.

Files are read as fast as the pipeline takes them (or at their own pace with `realtime`),
their frames timed from `start_at` plus their position in the file, so a rerun of the same
file gives the same times (and the same candidate keys); `loop` replays them for demos.
Streams are timed by the clock; a dropped or unreachable stream is reopened with
exponential backoff, for ever, until the worker stops. `decode` chooses how: every frame with
OpenCV ("all"), or through PyAV the frames the sampling needs ("sampled": a file's B-frames
between samples are not decoded, nor deblocked its frames but keyframes), the keyframes only
("keyframes"), or keyframes only when they come often enough for the sampling rate ("auto"; see
decode.py). Only a sample is turned into a picture, and through PyAV only when the pipeline
asks for it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from vision.worker import decode as decoding

log = logging.getLogger("vision.worker.capture")


class Frame:
    """One sampled frame of a camera: `index` its sampled frame number since the worker started
    the camera, `t` its POSIX time. Its BGR picture (`image`) is made when first asked for from
    the decoder's own frame where PyAV gave one (`decoded`): most samples are only looked at in
    grey (`grey`, from the decoder's luma), and the detector sees a few."""

    __slots__ = ("camera", "index", "t", "_image", "_decoded")

    def __init__(self, camera: str, index: int, t: float, image: np.ndarray | None = None, decoded=None):
        if image is None and decoded is None:
            raise ValueError("a frame needs its image or its decoded frame")
        self.camera, self.index, self.t = camera, index, t
        self._image, self._decoded = image, decoded

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image, self._decoded = self._decoded.to_ndarray(format="bgr24"), None
        return self._image

    @property
    def grey(self) -> np.ndarray:
        if self._decoded is not None:
            return self._decoded.to_ndarray(format="gray")
        return cv2.cvtColor(self._image, cv2.COLOR_BGR2GRAY)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        if self._decoded is not None:
            return self._decoded.width, self._decoded.height
        return self._image.shape[1], self._image.shape[0]


def frame_number(cap, position: int, fps: float) -> int:
    """The number of the frame just grabbed from a file, counted in the header's frame rate
    from the frame's own time (a keyframe reader says it: it skips frames). A recording whose
    frames come at uneven intervals (an NVR export: 40 or 80 ms apart under a 25 fps header)
    is timed by when its frames were shown, not by how many came before; a frame without a
    time (none past the first) counts one past the last (`position`)."""
    index = getattr(cap, "index", None)
    if index is not None:
        return index
    ms = cap.get(cv2.CAP_PROP_POS_MSEC)
    return round(ms * fps / 1000.0) if ms > 0 or position == 0 else position


class Source:
    """Sampled frames of one camera's file or stream."""

    def __init__(self, camera: str, source: str, sample_fps: float = 2.0, *, loop: bool = False,
                 start_at: float | None = None, realtime: bool = False, backoff: tuple[float, float] = (1.0, 30.0),
                 opener: Callable[[str], cv2.VideoCapture] | None = None, decode: str = "all",
                 stop: threading.Event | None = None):
        if sample_fps <= 0:
            raise ValueError("sample_fps must be positive")
        self.camera = camera
        self.source = source[len("file://"):] if source.startswith("file://") else source
        self.sample_fps = sample_fps
        self.loop = loop
        self.realtime = realtime
        self.backoff = backoff
        self.opener = opener or decoding.opener(decode, sample_fps)
        self.stop = stop or threading.Event()
        self.stream = decoding.is_stream(self.source)
        if not self.stream and not os.path.exists(self.source):
            raise FileNotFoundError(f"camera {camera}: no video file {self.source}")
        self.start_at = start_at
        self.reconnects = 0
        self.decoded = 0
        self.sampled = 0

    def frames(self) -> Iterator[Frame]:
        return self._stream() if self.stream else self._file()

    def _file(self) -> Iterator[Frame]:
        offset = 0.0
        while not self.stop.is_set():
            cap = self.opener(self.source)
            if not cap.isOpened():
                raise OSError(f"camera {self.camera}: cannot read {self.source}")
            fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
            if self.start_at is None:  # the file ends when it was written
                count = cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0
                self.start_at = os.path.getmtime(self.source) - count / fps
            step = decoding.sample_step(fps, self.sample_fps)
            position, due, wall0 = 0, 0, time.monotonic()
            try:
                while not self.stop.is_set():
                    if not cap.grab():
                        break
                    self.decoded += 1
                    index = frame_number(cap, position, fps)
                    if index >= due:
                        due = index + step
                        picture = _picture(cap)
                        if picture is None:
                            break
                        video_t = index / fps
                        if self.realtime:
                            self.stop.wait(max(0.0, video_t - (time.monotonic() - wall0)))
                        self.sampled += 1
                        yield Frame(self.camera, self.sampled, self.start_at + offset + video_t, **picture)
                    position = index + 1
            finally:
                cap.release()
            if not self.loop:
                return
            offset += position / fps

    def _stream(self) -> Iterator[Frame]:
        delay = self.backoff[0]
        last = 0.0
        while not self.stop.is_set():
            cap = self.opener(self.source)
            if not cap.isOpened():
                cap.release()
                self.reconnects += 1
                log.warning("camera %s: cannot open the stream; retrying in %.0f s", self.camera, delay)
                self.stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            try:
                while not self.stop.is_set():
                    if not cap.grab():
                        break
                    delay = self.backoff[0]  # a frame came: the next drop starts the backoff afresh
                    self.decoded += 1
                    now = time.time()
                    if now - last >= 1.0 / self.sample_fps:
                        picture = _picture(cap)  # only a sample is turned into a picture
                        if picture is None:
                            break
                        last = now
                        self.sampled += 1
                        yield Frame(self.camera, self.sampled, now, **picture)
            finally:
                cap.release()
            if self.stop.is_set():
                return
            self.reconnects += 1
            log.warning("camera %s: the stream dropped; reconnecting in %.0f s", self.camera, delay)
            self.stop.wait(delay)
            delay = min(delay * 2, self.backoff[1])


def _picture(cap) -> dict | None:
    """The grabbed frame for a Frame: PyAV's decoded frame as it is (turned into BGR when the
    pipeline asks), OpenCV's BGR picture; None when there is none."""
    decoded = getattr(cap, "frame", None) if isinstance(cap, decoding.KeyframeCapture) else None
    if decoded is not None:
        return {"decoded": decoded}
    ok, image = cap.retrieve()
    return {"image": image} if ok else None


END = object()  # what a Reader queues after a source's last frame
READ_AHEAD = 8  # decoded frames a worker's files may hold waiting, shared among its cameras


class Reader(threading.Thread):
    """Reads one camera in its own thread so a slow or dead stream never holds up the others.

    A file's frames all reach the pipeline (a full queue blocks; `ahead` frames may wait in it,
    decoded while the pipeline is busy detecting); a live stream keeps only the newest frame
    (an old frame of a live camera is worth nothing). When the source ends, END follows its
    last frame, so that the pipeline waiting for the next frame learns at once that none will
    come (a file's last frames after its last sample are read, not queued).
    """

    def __init__(self, source: Source, ahead: int = 1):
        super().__init__(name=f"capture-{source.camera}", daemon=True)
        import queue

        self.source = source
        self.queue: queue.Queue = queue.Queue(maxsize=1 if source.stream else ahead)
        self.finished = False
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            for frame in self.source.frames():
                self._put(frame)
        except Exception as error:  # noqa: BLE001 - reported to the worker, which stops the camera
            self.error = error
            log.error("camera %s: %s", self.source.camera, error)
        finally:
            self.finished = True  # before END: once END is taken, done() holds
            self._put(END)

    def _put(self, item) -> None:
        import queue

        while not self.source.stop.is_set():
            try:
                if self.source.stream and self.queue.full():
                    self.queue.get_nowait()
                self.queue.put(item, timeout=0.2)
                return
            except (queue.Full, queue.Empty):
                continue

    def next(self, timeout: float) -> Frame | None:
        """The next frame, or None when none came within `timeout` or the source has ended."""
        import queue

        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if item is END else item

    def done(self) -> bool:
        return self.finished and self.queue.empty()
