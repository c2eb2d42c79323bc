"""`python -m vision.worker`: watch one or several cameras and post candidates to the server.

    python -m vision.worker --config worker.json
    python -m vision.worker --server http://127.0.0.1:8000 --token KEY \\
        --weights ../shared/data/models/yolo11n_int8_openvino_model [--source HZ-CAM-01=rtsp://…]

The cameras and zones come from the config file or, with --server and --token and no
cameras in the file, from the server. SIGTERM or Ctrl-C stop it cleanly: the candidates not
yet sent stay in the spool and go out on the next start.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from vision.worker import config as C
from vision.worker.decode import MODES
from vision.worker.output import Sender, Spool
from vision.worker.pipeline import Worker, stderr_progress


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m vision.worker", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="JSON config file (see vision/worker/config.py)")
    p.add_argument("--server", help="base URL of the urbanmgmt server")
    p.add_argument("--token", help="the worker's key (manage.py vision_worker_key NAME)")
    p.add_argument("--weights", help="model weights: an OpenVINO folder, a .pt or .onnx file")
    p.add_argument("--device", help="cpu, cuda or cuda:N")
    p.add_argument("--spool", help="folder for candidates not yet sent")
    p.add_argument("--source", action="append", default=[], metavar="CODE=URL",
                   help="the stream or file of a camera (replaces the server's)")
    p.add_argument("--record", action="append", default=[], metavar="CODE=URL",
                   help="a camera's main stream, for snapshots, when its --source is the substream")
    p.add_argument("--decode", choices=MODES,
                   help="every frame; the frames the sampling needs (a file's B-frames between samples "
                        "skipped); keyframes only; or keyframes only when they come often enough for the "
                        "sampling rate (cameras whose config says nothing)")
    p.add_argument("--loop", action="store_true", help="replay files for ever (demos)")
    p.add_argument("--realtime", action="store_true", help="read files at their own pace")
    p.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> C.WorkerConfig:
    data = {}
    if args.config:
        import json

        with open(args.config, encoding="utf-8") as handle:
            data = json.load(handle)
    for key in ("server", "token", "weights", "device", "spool"):
        if getattr(args, key):
            data[key] = getattr(args, key)
    if not data.get("cameras"):
        if not (data.get("server") and data.get("token")):
            raise SystemExit("no cameras: give --config with cameras, or --server and --token")
        data["cameras"] = C.fetch_cameras(data["server"], data["token"])
    sources = dict(s.split("=", 1) for s in args.source)
    records = dict(s.split("=", 1) for s in args.record)
    for camera in data["cameras"]:
        if camera["code"] in sources:
            camera["source"] = sources[camera["code"]]
        if camera["code"] in records:
            camera["record_source"] = records[camera["code"]]
        if args.decode:
            camera.setdefault("decode", args.decode)
        camera.setdefault("loop", args.loop)
        camera.setdefault("realtime", args.realtime)
    data["cameras"] = [c for c in data["cameras"] if c.get("source") or c.get("stream_url")]
    return C.WorkerConfig.from_dict(data)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse(argv)
    config = build_config(args)
    spool = Spool(config.spool)
    sender = Sender(spool, config.ingest_url, config.token or "", health_url=config.health_url) if config.server else None

    def sink(data, files, t):
        spool.put(data, files, t)
        if sender:
            sender.wake.set()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if sender:
        sender.start()
    status = (lambda: f"  spooled {len(spool.pending())}  sent {sender.sent}") if sender else (lambda: "")
    worker = Worker(config, sink, stop=stop, progress=stderr_progress, status=status)
    try:
        stats = worker.run(max_seconds=args.max_seconds)
    finally:
        if sender:
            sender.flush(5.0)
            sender.stop()
    print(file=sys.stderr)
    print(stats.line(status()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
