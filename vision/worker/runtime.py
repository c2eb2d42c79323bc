"""YOLO on the OpenVINO runtime alone: the exported model, letterboxed in, non-maximum
suppression out, in numpy, without torch or ultralytics in the process.

torch and ultralytics take about 480 MB of a worker's resident memory before a frame is
seen, and ultralytics' predictor adds a few milliseconds of bookkeeping to each call, which
counts when the worker detects small crops. The exported model is all the worker runs, so it
runs it itself, the way ultralytics' predictor does (letterbox to the least multiple of the
stride for a dynamic export, to the export's own size for a static one, grey 114, RGB in
[0, 1]; best class per box over `conf`, then the wanted classes, then per-class NMS at IoU
0.7, at most 300 boxes): the same boxes to within rounding (tests/vision/test_runtime.py).
A static export (`dynamic: false`, or an input of fixed shape) is run as ultralytics runs it:
every image letterboxed to the export's size whatever size was asked (smaller crops then cost
as much as a whole frame), batches split or zero-padded to the export's batch. ultralytics stays the exporter and
the way to run other weights (a .pt on a GPU).

On Intel CPUs with AMX (Sapphire Rapids and later Xeons) the CPU plugin crashes running an
INT8 model with a dynamic input on a small image (openvinotoolkit/openvino#37577; compiling
works, the inference segfaults): upstream's bisection and ours (2026.4.1 on a 2-core Xeon with
amx_int8) found it at 64 × 64 and 32 × 32, never with both sides of at least 96 px (120 random
shapes from 96 to 672 on one compiled model). There an input with a side under 96 px runs on
the model compiled at its static shape, letterboxed as for the dynamic model (the same input;
the last few shapes kept); the worker's crops and frames (160 px and more) run on the dynamic
model: a model compiled per shape holds some 70 MB, the dynamic one a few tens of MB more for
each shape it has run. The two models' kernels differ there by more than rounding (a box cut by
the frame's edge, a weak detection; tests/vision/test_runtime.py). ultralytics
(ultralytics/ultralytics#25898) pads every image to its export's square on such CPUs: on the
Omotesando clip that input raised one parked car twice. `VISION_STATIC_SHAPES=1` compiles every
shape, `0` none, whatever the CPU.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

STRIDE = 32
PAD = 114
IOU = 0.7
MAX_DET = 300
MAX_WH = 7680.0  # class offset of the per-class NMS, as ultralytics
STATIC_SHAPES_KEPT = 16
SAFE_SIDE = 96  # on an AMX CPU, the least side of an input the dynamic INT8 model runs


def model_file(weights: str) -> Path | None:
    """The .xml of an OpenVINO export (its folder or the file itself), or None for other weights."""
    path = Path(weights)
    if path.suffix == ".xml" and path.is_file():
        return path
    if path.is_dir():
        return next(iter(sorted(path.glob("*.xml"))), None)
    return None


def read_metadata(xml: Path) -> dict:
    """The metadata of an ultralytics export (its metadata.yaml beside the model)."""
    import yaml

    meta = xml.parent / "metadata.yaml"
    if not meta.is_file():
        raise FileNotFoundError(f"no metadata.yaml beside {xml}: not an ultralytics export")
    with open(meta, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def fixed_input(model, meta: dict) -> tuple[int, int, int] | None:
    """(batch, height, width) of a static export (None: a dynamic one). The input's own shape
    decides where it is fixed; an export that says `dynamic: false` with a dynamic-looking
    input is taken at its metadata size and batch, as ultralytics takes it."""
    shape = model.inputs[0].get_partial_shape()
    if shape.rank.is_static and shape.rank.get_length() == 4 and shape[2].is_static and shape[3].is_static:
        batch = shape[0].get_length() if shape[0].is_static else 1
        return batch, shape[2].get_length(), shape[3].get_length()
    if meta.get("dynamic", meta.get("args", {}).get("dynamic")) is False:
        size = meta.get("imgsz", [640, 640])
        height, width = (size, size) if isinstance(size, int) else size
        return int(meta.get("batch", 1)), int(height), int(width)
    return None


class OpenVinoYolo:
    """An ultralytics YOLO detection export, run by the OpenVINO runtime directly."""

    def __init__(self, weights: str, device: str = "CPU"):
        import openvino as ov

        xml = model_file(weights)
        if xml is None:
            raise ValueError(f"{weights} is not an OpenVINO export")
        meta = read_metadata(xml)
        self.names = {int(k): str(v) for k, v in meta["names"].items()}
        core = ov.Core()
        model = core.read_model(str(xml))
        self.fixed = fixed_input(model, meta)
        self.core, self.xml, self.device = core, xml, device.upper()
        # The CPU plugin's default runtime cache: one of 64 entries (about 19 MB less) made every
        # call at a shape not seen last time a quarter slower (38.5 against 31 ms a call).
        self.config = {"PERFORMANCE_HINT": "LATENCY"}
        mode = shapes_mode(model) if self.fixed is None and self.device == "CPU" else "dynamic"
        self.static_shapes = mode == "static"  # every input's shape compiled
        self.small_static = mode == "small"  # those with a side under SAFE_SIDE compiled
        self.requests: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.request = None
        if not self.static_shapes:
            self.request = core.compile_model(model, self.device, self.config).create_infer_request()

    def predict(self, images: list[np.ndarray], imgsz: int, conf: float,
                classes: list[int] | None = None) -> list[np.ndarray]:
        """Each image's detections as rows [x1, y1, x2, y2, score, class] in its own pixels
        (images of one shape go through in one batch)."""
        if not images:
            return []
        shape = images[0].shape[:2]
        if any(image.shape[:2] != shape for image in images):  # ultralytics pads each to the square then
            return [self.predict([image], imgsz, conf, classes)[0] for image in images]
        if self.fixed is not None and len(images) > self.fixed[0]:
            return [rows for start in range(0, len(images), self.fixed[0])
                    for rows in self.predict(images[start:start + self.fixed[0]], imgsz, conf, classes)]
        boxed = [letterbox(image, imgsz, self.fixed[1:] if self.fixed else None) for image in images]
        batch = np.stack([b[0] for b in boxed])[..., ::-1].transpose(0, 3, 1, 2)
        tensor = np.ascontiguousarray(batch, dtype=np.float32)
        tensor *= 1.0 / 255.0
        if self.fixed is not None and len(images) < self.fixed[0]:  # a static batch refuses a short one
            tensor = np.concatenate([tensor, np.zeros((self.fixed[0] - len(images), *tensor.shape[1:]), np.float32)])
        output = self._request(tensor.shape).infer([tensor])[0][:len(images)]
        wanted = np.array(classes if classes is not None else [], np.float32)
        return [unbox(nms(rows, conf, wanted if classes is not None else None), *b[1:], shape)
                for rows, b in zip(output, boxed, strict=True)]

    def _request(self, shape: tuple[int, ...]):
        """The inference request for an input of `shape`: the one compiled model, or where that
        shape must be static, the model compiled at that shape (the last few kept)."""
        if self.request is not None and not (self.small_static and min(shape[2:]) < SAFE_SIDE):
            return self.request
        request = self.requests.get(shape)
        if request is None:
            model = self.core.read_model(str(self.xml))
            model.reshape(list(shape))
            request = self.requests[shape] = self.core.compile_model(model, self.device, self.config
                                                                     ).create_infer_request()
            if len(self.requests) > STATIC_SHAPES_KEPT:
                self.requests.popitem(last=False)
        self.requests.move_to_end(shape)
        return request


def shapes_mode(model) -> str:
    """How to run this model's input shapes on this CPU: "static" (each compiled,
    VISION_STATIC_SHAPES=1), "small" (those with a side under SAFE_SIDE compiled: an affected
    INT8 model on an AMX CPU, see the module's docstring) or "dynamic" (VISION_STATIC_SHAPES=0,
    or any other model or CPU)."""
    told = os.environ.get("VISION_STATIC_SHAPES", "")
    if told in ("0", "1"):
        return "static" if told == "1" else "dynamic"
    return "small" if amx_int8(model) else "dynamic"


def amx_int8(model) -> bool:
    """Whether this is a quantized model (FakeQuantize nodes) with a dynamic input on a Linux
    CPU that has AMX INT8: the case of openvinotoolkit/openvino#37577."""
    if not sys.platform.startswith("linux") or model.inputs[0].get_partial_shape().is_static:
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            amx = "amx_int8" in handle.read()
    except OSError:
        return False
    return amx and any(op.get_type_name() == "FakeQuantize" for op in model.get_ops())


def letterbox(image: np.ndarray, imgsz: int, fixed: tuple[int, int] | None = None
              ) -> tuple[np.ndarray, float, float, int, int]:
    """The image scaled to fit imgsz, padded to the least multiple of the stride (ultralytics'
    LetterBox with auto=True), or to exactly `fixed` (height, width) for a static export
    (auto=False); the gains and the left and top padding."""
    h, w = image.shape[:2]
    out_h, out_w = fixed or (imgsz, imgsz)
    r = min(out_h / h, out_w / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = out_w - new_w, out_h - new_h
    if fixed is None:
        dw, dh = dw % STRIDE, dh % STRIDE
    dw, dh = dw / 2, dh / 2
    if (new_w, new_h) != (w, h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    if top or bottom or left or right:
        image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD, PAD, PAD))
    return image, new_w / w, new_h / h, left, top


def nms(prediction: np.ndarray, conf: float, classes: np.ndarray | None) -> np.ndarray:
    """One image's raw output (4 + classes, anchors) to rows [x1, y1, x2, y2, score, class]
    in the letterboxed image (ultralytics' non_max_suppression, single label)."""
    scores = prediction[4:]
    cls = scores.argmax(0)
    best = scores[cls, np.arange(scores.shape[1])]
    keep = best > conf
    if classes is not None:
        keep &= np.isin(cls, classes)
    if not keep.any():
        return np.zeros((0, 6), np.float32)
    xywh = prediction[:4, keep].T
    boxes = np.concatenate([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1)
    score, label = best[keep], cls[keep].astype(np.float32)
    chosen = greedy(boxes + label[:, None] * MAX_WH, score, IOU)[:MAX_DET]
    return np.concatenate([boxes[chosen], score[chosen, None], label[chosen, None]], 1).astype(np.float32)


def greedy(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS, highest score first (torchvision.ops.nms)."""
    order = np.argsort(-scores, kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept = []
    while order.size:
        i = order[0]
        kept.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= iou]
    return np.array(kept, np.int64)


def unbox(rows: np.ndarray, gain_x: float, gain_y: float, left: int, top: int, shape: tuple[int, int]) -> np.ndarray:
    """Rows from the letterboxed image back to the original's pixels, clipped to it."""
    rows[:, [0, 2]] = ((rows[:, [0, 2]] - left) / gain_x).clip(0, shape[1])
    rows[:, [1, 3]] = ((rows[:, [1, 3]] - top) / gain_y).clip(0, shape[0])
    return rows
