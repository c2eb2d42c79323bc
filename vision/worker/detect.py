"""Detection and tracking: one model for every camera of the worker (their frames go through
it in one batch), one ByteTrack tracker per camera (bytetrack.py: ultralytics' BYTETracker
with its bytetrack.yaml settings, in numpy).

Weights come from a path in the config. An OpenVINO export on the CPU runs on the OpenVINO
runtime alone (runtime.py: no torch, no ultralytics in the process); other weights (a .pt on
`--device cuda`, an .onnx…) and `VISION_RUNTIME=ultralytics` go through ultralytics. Only when
no path is configured does ultralytics fetch its own yolo11n.pt (on a machine online).
"""

from __future__ import annotations

import os

import numpy as np

from vision.worker import runtime
from vision.worker.bytetrack import ByteTrack
from vision.worker.zones import Track

os.environ.setdefault("YOLO_OFFLINE", "1")


def import_ultralytics() -> None:
    """Import ultralytics, keeping Pillow's own Image.open: ultralytics replaces it process-wide
    with one that, on an unreadable file, tries to pip-install pi-heif and then raises
    ModuleNotFoundError, so a process that also checks uploaded photos would answer 500."""
    from PIL import Image
    from ultralytics.utils import patches

    Image.open = getattr(patches, "_image_open", Image.open)


class Detector:
    """A YOLO model that detects a batch of frames, keeping only the classes the rules need."""

    def __init__(self, weights: str | None, *, device: str = "cpu", imgsz: int = 640, conf: float = 0.1,
                 classes: set[str] | None = None, max_batch: int = 1):
        if weights and not os.path.exists(weights):
            raise FileNotFoundError(f"no model weights at {weights}")
        self.runtime = None
        if weights and device == "cpu" and runtime.model_file(weights) is not None \
                and os.environ.get("VISION_RUNTIME", "openvino") == "openvino":
            self.runtime = runtime.OpenVinoYolo(weights)
            self.names: dict[int, str] = dict(self.runtime.names)
        else:
            import_ultralytics()
            from ultralytics import YOLO

            self.model = YOLO(weights or "yolo11n.pt", task="detect")
            self.names = dict(self.model.names)
        self.device = device
        self.imgsz = imgsz
        self.conf = conf
        wanted = set(classes or ())
        unknown = wanted - set(self.names.values())
        if unknown:
            raise ValueError(f"the model does not know the classes {sorted(unknown)}")
        self.class_ids = sorted(i for i, n in self.names.items() if n in wanted) if wanted else None
        # On the CPU a batch gains nothing (an image at 288: 16.0 ms alone, 17.1 in fours) and
        # each batch size is one more set of input shapes whose kernels and activations the
        # CPU plugin keeps: every shape the worker uses at batches of 1 to 4 grew the process
        # to 780 MB, at 1 to 337 MB. A GPU wants batches: set max_batch there.
        self.max_batch = max(1, max_batch)
        self.frames = 0
        self.pixels = 0

    def detect(self, images: list[np.ndarray], imgsz: int | None = None) -> list[np.ndarray]:
        """Each image's detections as rows [x1, y1, x2, y2, score, class], one forward pass for
        the batch (images of one size: whole frames, or crops of one size at their own scale)."""
        if not images:
            return []
        self.frames += len(images)
        self.pixels += sum(image.shape[0] * image.shape[1] for image in images)
        out = []
        for start in range(0, len(images), self.max_batch):
            # conf 0.1 as in model.track(): ByteTrack's second association uses the low-score boxes.
            if self.runtime is not None:
                out += self.runtime.predict(images[start:start + self.max_batch], imgsz or self.imgsz, self.conf,
                                            self.class_ids)
                continue
            results = self.model.predict(images[start:start + self.max_batch], imgsz=imgsz or self.imgsz,
                                         conf=self.conf, device=self.device, classes=self.class_ids, verbose=False)
            out += [r.boxes.data.cpu().numpy().reshape(-1, 6) for r in results]
        return out


def new_tracker() -> ByteTrack:
    """ByteTrack with ultralytics' default settings (cfg/trackers/bytetrack.yaml)."""
    return ByteTrack()


def track(tracker: ByteTrack, detections: np.ndarray, names: dict[int, str]) -> list[Track]:
    """Update a camera's tracker with one frame's detections (rows [x1, y1, x2, y2, score,
    class]); the confirmed tracks."""
    rows = tracker.update(detections)
    return [Track(id=int(r[4]), cls=names[int(r[6])], score=float(r[5]),
                  box=(float(r[0]), float(r[1]), float(r[2]), float(r[3]))) for r in rows]
