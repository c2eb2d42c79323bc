"""The video worker: a standalone process that reads camera streams, gates on motion, detects
and tracks with ultralytics, applies zone rules and posts candidate events over HTTP.

It imports nothing of the project's Django code (see ../shared/ARCHITECTURE.md): the Django
half of `vision/` talks to it only through the ingest API and the worker-config endpoint.
Run it with `python -m vision.worker --help`.
"""
