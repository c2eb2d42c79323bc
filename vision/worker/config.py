"""The worker's configuration: a JSON file, or the cameras and zones fetched from the server.

    {"server": "http://127.0.0.1:8000", "token": "…", "weights": "…/yolo11n_int8_openvino_model",
     "device": "cpu", "spool": "var/vision_spool",
     "cameras": [{"code": "HZ-CAM-01", "source": "rtsp://…" | "file.mp4", "sample_fps": 2,
                  "record_source": "rtsp://…main stream" | null, "decode": "sampled" | "all" | "keyframes" | "auto",
                  "loop": false, "realtime": false, "start_at": null, "frame_size": [1280, 720],
                  "homography": [[…], […], […]],
                  "zones": [{"id": 1, "name": "…", "rule": "illegal_parking", "polygon": [[x, y], …],
                             "classes": [], "dwell_s": 60, "inertia": 3, "tolerance": 0.15,
                             "min_count": 3, "cooldown_s": 600}]}]}

The server's `GET /api/v1/vision/worker/config/` answers the "cameras" part for the worker's
token; a source given on the command line (`--source CODE=URL`) replaces a camera's stream.

A camera sold with two streams gives its low-resolution substream as "source" (detection runs
on it) and its main stream as "record_source" (read keyframes only, for the snapshot). A
camera with one main stream may set "decode": "auto" (keyframes only when they come at least
as often as "sample_fps") or "keyframes" (always; the sampling rate is then the keyframe rate).
By default ("sampled") a camera is read through PyAV, a file's B-frames between two samples
not decoded and no frame but the keyframes deblocked (decode.py); "all" decodes every frame
with OpenCV.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from vision.worker.decode import MODES
from vision.worker.zones import Zone

INGEST_PATH = "/api/v1/vision/ingest/"
CONFIG_PATH = "/api/v1/vision/worker/config/"
HEALTH_PATH = "/api/v1/vision/health/"


@dataclass
class CameraConfig:
    code: str
    source: str
    zones: list[Zone] = field(default_factory=list)
    sample_fps: float = 2.0
    loop: bool = False
    realtime: bool = False
    start_at: float | None = None
    homography: list[list[float]] | None = None
    record_source: str | None = None  # the main stream, for snapshots, when `source` is the substream
    decode: str = "sampled"  # sampled, all, keyframes or auto (decode.py)

    def __post_init__(self):
        if self.decode not in MODES:
            raise ValueError(f"camera {self.code}: decode {self.decode!r} is not one of {', '.join(MODES)}")

    @classmethod
    def from_dict(cls, data: dict) -> CameraConfig:
        return cls(code=str(data["code"]), source=str(data.get("source") or data.get("stream_url") or ""),
                   record_source=data.get("record_source") or None, decode=str(data.get("decode") or "sampled"),
                   zones=[Zone.from_dict(z) for z in data.get("zones", [])],
                   sample_fps=float(data.get("sample_fps") or 2.0), loop=bool(data.get("loop", False)),
                   realtime=bool(data.get("realtime", False)), start_at=data.get("start_at"),
                   homography=data.get("homography"))


@dataclass
class WorkerConfig:
    cameras: list[CameraConfig]
    weights: str | None = None
    device: str = "cpu"
    imgsz: int = 640
    conf: float = 0.1
    server: str | None = None
    token: str | None = None
    spool: str = "var/vision_spool"
    recheck_s: float = 10.0  # objects standing still in a zone are looked at again this often (a departure is motion)
    moving_s: float = 2.0  # things moving in a zone are detected at most this often (and half the least dwell)
    max_region: float = 0.55  # a region larger than this share of the frame is detected whole (0: always whole)
    max_batch: int = 1  # frames through the model at once: 1 on the CPU (detect.py); more on a GPU
    min_px: float = 96.0  # detect at a lower scale (to half) while the smallest moving or watched thing keeps this height

    @classmethod
    def from_dict(cls, data: dict) -> WorkerConfig:
        keys = set(cls.__dataclass_fields__) - {"cameras"}
        return cls(cameras=[CameraConfig.from_dict(c) for c in data.get("cameras", [])],
                   **{k: v for k, v in data.items() if k in keys and v is not None})

    @property
    def ingest_url(self) -> str:
        return (self.server or "").rstrip("/") + INGEST_PATH

    @property
    def health_url(self) -> str:
        return (self.server or "").rstrip("/") + HEALTH_PATH


def load(path: str) -> WorkerConfig:
    with open(path, encoding="utf-8") as handle:
        return WorkerConfig.from_dict(json.load(handle))


def fetch_cameras(server: str, token: str, timeout: float = 20.0) -> list[dict]:
    """The cameras and zones the server has for this worker's token."""
    import requests

    answer = requests.get(server.rstrip("/") + CONFIG_PATH, headers={"Authorization": f"Bearer {token}"},
                          timeout=timeout)
    answer.raise_for_status()
    return answer.json()["cameras"]
