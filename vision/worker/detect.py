"""Detection and tracking with ultralytics: one model for every camera of the worker (their
frames go through it in one batch), one ByteTrack tracker per camera (ultralytics' own
BYTETracker with its bytetrack.yaml settings, fed the way model.track() feeds it).

Weights come from a path in the config (an OpenVINO export folder, a .pt, an .onnx…); only
when no path is configured does ultralytics fetch its own yolo11n.pt (on a machine online).
"""

from __future__ import annotations

import os

import numpy as np

from vision.worker.zones import Track

os.environ.setdefault("YOLO_OFFLINE", "1")


def _import_ultralytics() -> None:
    """Import ultralytics, keeping Pillow's own Image.open: ultralytics replaces it process-wide
    with one that, on an unreadable file, tries to pip-install pi-heif and then raises
    ModuleNotFoundError, so a process that also checks uploaded photos would answer 500."""
    from PIL import Image
    from ultralytics.utils import patches

    Image.open = getattr(patches, "_image_open", Image.open)


class Detector:
    """A YOLO model that detects a batch of frames, keeping only the classes the rules need."""

    def __init__(self, weights: str | None, *, device: str = "cpu", imgsz: int = 640, conf: float = 0.1,
                 classes: set[str] | None = None, max_batch: int = 4):
        _import_ultralytics()
        from ultralytics import YOLO

        if weights and not os.path.exists(weights):
            raise FileNotFoundError(f"no model weights at {weights}")
        self.model = YOLO(weights or "yolo11n.pt", task="detect")
        self.device = device
        self.imgsz = imgsz
        self.conf = conf
        self.names: dict[int, str] = dict(self.model.names)
        wanted = set(classes or ())
        unknown = wanted - set(self.names.values())
        if unknown:
            raise ValueError(f"the model does not know the classes {sorted(unknown)}")
        self.class_ids = sorted(i for i, n in self.names.items() if n in wanted) if wanted else None
        # The model is reshaped to each batch's size and keeps that many images' activations:
        # about 33 MB an image at 640 with OpenVINO on the CPU, so 26 cameras in one batch cost
        # 850 MB more than batches of 4, for little speed.
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
            results = self.model.predict(images[start:start + self.max_batch], imgsz=imgsz or self.imgsz,
                                         conf=self.conf, device=self.device, classes=self.class_ids, verbose=False)
            out += [r.boxes.data.cpu().numpy().reshape(-1, 6) for r in results]
        return out


def new_tracker(frame_rate: float = 30.0):
    """ultralytics' ByteTrack with its default settings (cfg/trackers/bytetrack.yaml)."""
    _import_ultralytics()
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    cfg = IterableSimpleNamespace(**YAML.load(check_yaml("bytetrack.yaml")))
    return BYTETracker(args=cfg)


def track(tracker, detections: np.ndarray, frame: np.ndarray, names: dict[int, str]) -> list[Track]:
    """Update a camera's tracker with one frame's detections (rows [x1, y1, x2, y2, score,
    class]); the confirmed tracks."""
    from ultralytics.engine.results import Boxes

    rows = tracker.update(Boxes(detections.reshape(-1, 6).astype(np.float32), frame.shape[:2]), frame)
    return [Track(id=int(r[4]), cls=names[int(r[6])], score=float(r[5]), box=(float(r[0]), float(r[1]),
                                                                                  float(r[2]), float(r[3])))
            for r in rows]
