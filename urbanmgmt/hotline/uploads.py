"""An uploaded ticket file imported in the background: progress and summary in ImportRun.

The upload page streams the file to a temporary file (never whole in memory), keeps it in the
private media store (urbanmgmt/storage: the disk or a bucket, which every node and worker
reads) and queues its import (urbanmgmt/jobs); a worker imports it and records the bytes read
(`done` of `total`) and the rows seen after each batch; at the end the summary and the
refused rows (CSV) are kept with the run, and the file is removed."""

import contextlib
import csv
import datetime as dt
import io
import itertools
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from urbanmgmt import storage
from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.importer import Importer
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import ImportRun
from urbanmgmt.hotline.readers import detect_encoding, read
from urbanmgmt.jobs import queue
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import background

UPLOAD_DIR = "hotline_imports"  # in the private media store
_STORED = re.compile(r"^run(\d+)\.[a-z0-9]+$")
_LIVE = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
logger = logging.getLogger(__name__)


class CountingUploadHandler(TemporaryFileUploadHandler):
    """A temporary file per upload that gives up (SkipFile) once the running byte count
    passes HOTLINE_UPLOAD_MAX_BYTES, for requests that do not say their length."""

    too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.HOTLINE_UPLOAD_MAX_BYTES:
            self.too_large = True
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


def stored_name(run: ImportRun) -> str:
    """The name of the run's file in the private media store."""
    return f"{UPLOAD_DIR}/run{run.pk}{Path(run.filename).suffix.lower()}"


def keep(run: ImportRun, received: Path) -> None:
    """Put the received file (the upload's temporary file, moved or removed) in the private
    media store, where any worker finds it; MediaUnavailable when the store cannot take it.
    On the disk a rename, not a copy: the page answers a 100,000-row upload in well under a
    second."""
    target, name = storage.store(), stored_name(run)
    if isinstance(target, FileSystemStorage):
        path = Path(target.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(received, path)
        return
    try:
        storage.write_file(name, str(received))
    except storage.MediaUnavailable as exc:
        raise storage.MediaUnavailable(_("The file store cannot be reached just now, so the file was not kept. "
                                         "Upload it again in a few minutes.")) from exc
    finally:
        received.unlink(missing_ok=True)


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[Path | None]:
    """The stored file `name` as a path on this machine (the file itself on the disk store, a
    temporary copy of the object otherwise); None when it is not in the store."""
    target = storage.store()
    if not target.exists(name):
        yield None
    elif isinstance(target, FileSystemStorage):
        yield Path(target.path(name))
    else:
        fd, copy = tempfile.mkstemp(suffix=Path(name).suffix)
        try:
            with os.fdopen(fd, "wb") as out, target.open(name, "rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
            yield Path(copy)
        finally:
            Path(copy).unlink(missing_ok=True)


def format_of(name: str) -> str:
    lower = name.lower()
    return "xlsx" if lower.endswith(".xlsx") else "json" if lower.endswith((".json", ".jsonl", ".ndjson")) else "csv"


def start(run: ImportRun, received: Path, actor) -> Job:
    """Keep the received file for `run` (keep()) and queue its import; the page answers at
    once and a worker imports it (import_upload)."""
    if run.file_format == "csv":
        with received.open("rb") as stream:
            try:
                run.encoding = detect_encoding(stream.read(1 << 16))
            except DomainError:
                run.encoding = ""
        run.save(update_fields=["encoding"])
    keep(run, received)
    return import_upload.enqueue(f"run{run.pk}", started_by=actor, run_id=run.pk, language=translation.get_language())


def job_of(run: ImportRun) -> Job | None:
    return Job.objects.filter(kind=import_upload.kind, key=f"run{run.pk}").first()


REJECTS_SHOWN = 10  # refused rows the run page lists itself; the CSV has them all


def first_rejects(rejects: str) -> list[dict]:
    """The first refused rows of a run's rejects CSV (line, ticket id, reason), as the page lists them."""
    if not rejects:
        return []
    rows = csv.reader(io.StringIO(rejects.lstrip("\ufeff")))
    next(rows, None)  # its header
    return [{"line": r[0], "id": r[1], "reason": r[2]} for r in itertools.islice(rows, REJECTS_SHOWN) if len(r) >= 3]


def status(run: ImportRun) -> dict:
    """What the run page polls: bytes read of the file, rows seen, the summary at the end;
    while it waits for a worker or for a retry, the line that says so."""
    job = job_of(run)
    lost = job is not None and job.state == JobState.FAILED and not run.finished  # its worker died, each time
    answer = {"done": run.done, "total": run.total, "finished": run.finished or lost,
              "error": run.error or (job.error if lost else ""), "summary": run.summary,
              "has_rejects": bool(run.rejects), "rejects_shown": first_rejects(run.rejects),
              "job": job.as_status() if job else None, "waiting": ""}
    if job and job.state == JobState.QUEUED:
        answer["waiting"] = _("Waiting for a worker to start the import…")
    elif job and job.state == JobState.RETRYING:
        answer["waiting"] = job.error
    return answer


@background()
def import_upload(job: Job, run_id: int, language: str | None = None) -> dict:
    """Import the uploaded file of ImportRun `run_id`. Idempotent: a finished run is left as it
    is, and a run taken up again (its worker died, or an attempt failed) reads its file from
    the start: the tickets already in are updated, never duplicated. The notes, the error and
    the refused rows' reasons are kept in the `language` of the person who uploaded it (the
    one who reads them), or the city's."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _import_upload(job, run_id)


def _import_upload(job: Job, run_id: int) -> dict:
    run = ImportRun.objects.get(pk=run_id)
    if run.finished:
        return {"run": run.pk, "again": True}
    name = stored_name(run)
    with local_copy(name) as path:
        if path is None:
            run.error = _("The import was interrupted (the server restarted) and its file is gone: upload the file "
                          "again. The tickets imported before the interruption are kept; importing them again "
                          "updates them.")
            run.finished_at = timezone.now()
            run.save(update_fields=["error", "finished_at"])
            return {"run": run.pk}
        run_import(run, path, Mapping(run.mapping), run.started_by, job)
    try:
        storage.remove([name])  # finished: a retry (run_import raised) finds the file still there
    except storage.MediaUnavailable:  # the import is done; the file is only left over
        logger.warning("could not remove %s from the media store", name)
    return {"run": run.pk}


def run_import(run: ImportRun, path: Path, mapping: Mapping, actor, job: Job) -> ImportRun:
    """Import `path` for `run`, recording progress per batch. A DomainError (the file itself)
    ends the run with its reason; another error is raised for the queue to retry, keeping the
    file, unless this was the last attempt."""
    notes: list[str] = []
    try:
        with path.open("rb") as stream:
            run.total = path.stat().st_size

            def progress(rows: int) -> None:
                run.done = min(stream.tell(), run.total)
                run.summary = {"rows": rows}
                run.heartbeat_at = timezone.now()
                run.save(update_fields=["done", "total", "summary", "heartbeat_at"])
                queue.progress(job, run.done, run.total)

            summary = Importer(actor, run.source, mapping).run(read(stream, run.filename, mapping, notes), progress)
        summary.notes += notes
        if job.attempts > 1:
            summary.notes.append(_("The import was interrupted (the server restarted) and ran again from the start "
                                   "of the file: the rows imported before were updated, not duplicated."))
        run.summary, run.rejects, run.done = summary.as_dict(), summary.rejects_csv() if summary.rejected else "", run.total
    except DomainError as exc:
        run.error = str(exc)
    except Exception as exc:
        if not job.last_attempt:
            raise
        run.error = _("The import stopped: %(error)s") % {"error": exc}
    path.unlink(missing_ok=True)
    run.finished_at = timezone.now()
    run.save()
    return run


@background()
def prune_upload_files(job: Job) -> dict:
    """Remove the kept files that no import will read again (daily, settings.PERIODIC_JOBS):
    a run finished or deleted, or a run older than a day with no import queued, running or
    waiting to retry (its worker died each time, or the page died between keeping the file
    and queueing it). A finished import removes its file itself; this catches the rest."""
    try:
        _dirs, files = storage.store().listdir(UPLOAD_DIR)
    except FileNotFoundError:  # nothing was ever uploaded here
        return {"removed": 0}
    ids = {int(m.group(1)): name for name in files if (m := _STORED.match(name))}
    runs = {run.pk: run for run in ImportRun.objects.filter(pk__in=ids)}
    live = set(Job.objects.filter(kind=import_upload.kind, state__in=_LIVE,
                                  key__in=[f"run{pk}" for pk in ids]).values_list("key", flat=True))
    day_ago = timezone.now() - dt.timedelta(days=1)
    gone = [f"{UPLOAD_DIR}/{name}" for pk, name in ids.items()
            if pk not in runs or runs[pk].finished
            or (f"run{pk}" not in live and runs[pk].started_at < day_ago)]
    storage.remove(gone)
    return {"removed": len(gone)}
