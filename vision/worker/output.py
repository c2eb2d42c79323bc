"""Output: a candidate's snapshot and frame strip, the disk spool, and the HTTP sender.

A candidate is written to the spool (`<spool>/pending/<name>/`, files fsynced, the folder
renamed into place so it is there whole or not at all) before anything is sent, and removed
only after the server acknowledged it (201 created or 200 already known). The server is
idempotent by (camera, zone, track, start), so a worker killed at any moment and restarted
loses nothing and doubles nothing. A candidate the server refuses (a 4xx other than 408/429
or an upload that arrived incomplete) moves to `<spool>/refused/` with the server's answer, for
a person to look at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("vision.worker.output")

RED = (0, 0, 255)
YELLOW = (0, 220, 255)


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).isoformat()


def candidate_key(camera: str, zone: int, track: int, started_at: float) -> str:
    return f"{camera}:{zone}:{track}:{iso(started_at)}"


def snapshot(image: np.ndarray, box, polygon=(), label: str = "", quality: int = 85) -> bytes:
    """The frame as JPEG with the zone outlined and the object's box drawn."""
    out = image.copy()
    if len(polygon):
        cv2.polylines(out, [np.array(polygon, np.int32)], True, YELLOW, 2)
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(out, (x1, y1), (x2, y2), RED, 3)
    if label:
        cv2.putText(out, label, (x1, max(16, y1 - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.6, RED, 2)
    return encode(out, quality)


def encode(image: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode the frame as JPEG")
    return data.tobytes()


def strip(frames: list[tuple[float, np.ndarray]], height: int = 180) -> bytes:
    """A strip of frames side by side (first seen … raised), each stamped with its time: the
    short clip an analyst glances at."""
    tiles = []
    for t, image in frames:
        tile = image.copy()
        scale = height / float(tile.shape[0])
        tile = cv2.resize(tile, (max(1, int(tile.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
        stamp = dt.datetime.fromtimestamp(t).strftime("%H:%M:%S")
        cv2.putText(tile, stamp, (6, height - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        tiles.append(tile)
    return encode(np.hstack(tiles), 80)


class FrameRing:
    """Small JPEG copies of a camera's recent frames, one every `every_s` for `keep_s`, for the strip."""

    def __init__(self, every_s: float = 5.0, keep_s: float = 900.0, width: int = 320):
        self.every_s, self.keep_s, self.width = every_s, keep_s, width
        self.items: list[tuple[float, bytes]] = []

    def due(self, t: float) -> bool:
        """Whether a frame at `t` is kept (one every `every_s`)."""
        return not self.items or t - self.items[-1][0] >= self.every_s

    def add(self, t: float, image: np.ndarray, force: bool = False) -> None:
        if not force and not self.due(t):
            return
        scale = self.width / float(image.shape[1])
        small = cv2.resize(image, (self.width, max(1, int(image.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        self.items.append((t, encode(small, 70)))
        while self.items and t - self.items[0][0] > self.keep_s:
            self.items.pop(0)

    def pick(self, start: float, end: float, count: int = 4) -> list[tuple[float, np.ndarray]]:
        """Up to `count` frames spread from `start` to `end`."""
        if not self.items:
            return []
        wanted = [start + (end - start) * i / max(1, count - 1) for i in range(count)]
        chosen = []
        for w in wanted:
            t, data = min(self.items, key=lambda item: abs(item[0] - w))
            if not chosen or chosen[-1][0] != t:
                chosen.append((t, cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)))
        return chosen


class Spool:
    """Candidates on disk until the server has them."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        for part in ("pending", "refused", "tmp"):
            (self.root / part).mkdir(parents=True, exist_ok=True)

    def put(self, data: dict, files: dict[str, bytes], t: float) -> Path:
        name = f"{int(t * 1000):015d}-{hashlib.sha1(data['key'].encode()).hexdigest()[:12]}"
        final = self.root / "pending" / name
        if final.exists():
            return final
        tmp = self.root / "tmp" / name
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for filename, content in {**files, "candidate.json": json.dumps(data).encode()}.items():
            with open(tmp / filename, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        os.rename(tmp, final)
        _fsync_dir(final.parent)
        return final

    def pending(self) -> list[Path]:
        return sorted(p for p in (self.root / "pending").iterdir() if p.is_dir())

    def done(self, item: Path) -> None:
        shutil.rmtree(item, ignore_errors=True)

    def refuse(self, item: Path, answer: str) -> None:
        (item / "refused.txt").write_text(answer[:4000], encoding="utf-8")
        os.replace(item, self.root / "refused" / item.name)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _worth_retrying(answer) -> bool:
    """A 4xx that says nothing against the candidate itself: a timeout, a rate limit, or a body
    the connection cut on the way (the server kept nothing of it)."""
    if answer.status_code in (408, 429):
        return True
    try:
        return answer.status_code == 400 and answer.json().get("code") == "upload_incomplete"
    except (ValueError, AttributeError):
        return False


class Sender(threading.Thread):
    """Drains the spool to the server's ingest API, with backoff while it is unreachable."""

    def __init__(self, spool: Spool, url: str, token: str, *, timeout: float = 20.0,
                 backoff: tuple[float, float] = (1.0, 60.0), health_url: str | None = None):
        super().__init__(name="sender", daemon=True)
        import requests

        self.spool = spool
        self.url = url
        self.health_url = health_url or url.replace("/ingest/", "/health/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.backoff = backoff
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.sent = self.duplicates = self.refused = self.failures = 0

    def send_one(self, item: Path) -> bool:
        """Post one spooled candidate; True when the spool is done with it."""
        import requests

        data = (item / "candidate.json").read_text(encoding="utf-8")
        files = {name[:-4]: (name, (item / name).read_bytes(), "image/jpeg")  # `snapshot`, `strip`, `frame`
                 for name in ("snapshot.jpg", "strip.jpg", "frame.jpg") if (item / name).exists()}
        try:
            if json.loads(data).get("kind") == "camera_health":  # an alert, not a candidate
                answer = self.session.post(self.health_url, data=data, timeout=self.timeout,
                                           headers={"Content-Type": "application/json"})
            else:
                answer = self.session.post(self.url, data={"data": data}, files=files, timeout=self.timeout)
        except requests.RequestException as error:
            self.failures += 1
            log.warning("cannot reach %s: %s", self.url, error)
            return False
        if answer.status_code in (200, 201):
            self.sent += answer.status_code == 201
            self.duplicates += answer.status_code == 200
            self.spool.done(item)
            return True
        if 400 <= answer.status_code < 500 and not _worth_retrying(answer):
            self.refused += 1
            log.error("the server refused %s: %s %s", item.name, answer.status_code, answer.text[:300])
            self.spool.refuse(item, f"{answer.status_code} {answer.text}")
            return True
        self.failures += 1
        log.warning("the server answered %s; will retry", answer.status_code)
        return False

    def drain(self) -> bool:
        """Send everything pending; False at the first failure (the rest waits)."""
        for item in self.spool.pending():
            if self.stopping.is_set() or not self.send_one(item):
                return False
        return True

    def run(self) -> None:
        delay = self.backoff[0]
        while not self.stopping.is_set():
            if self.drain():
                delay = self.backoff[0]
                self.wake.wait(1.0)
            else:
                self.wake.wait(delay)
                delay = min(delay * 2, self.backoff[1])
            self.wake.clear()

    def flush(self, timeout: float) -> bool:
        """Try to empty the spool within `timeout` seconds (at shutdown)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.drain():
                return True
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        return not self.spool.pending()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
