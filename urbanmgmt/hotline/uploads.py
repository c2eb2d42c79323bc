"""An uploaded ticket file imported in the background: progress and summary in ImportRun.

The upload page streams the file to a temporary file (never whole in memory) and queues its
import (urbanmgmt/jobs); a worker imports it and records the bytes read (`done` of `total`)
and the rows seen after each batch; at the end the summary and the refused rows (CSV) are
kept with the run, and the file is removed."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.importer import Importer
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import ImportRun
from urbanmgmt.hotline.readers import detect_encoding, read
from urbanmgmt.jobs import queue
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import background

UPLOAD_DIR = "hotline_imports"


class CountingUploadHandler(TemporaryFileUploadHandler):
    """A temporary file per upload that gives up (SkipFile) once the running byte count
    passes HOTLINE_UPLOAD_MAX_BYTES, for requests that do not say their length."""

    too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.HOTLINE_UPLOAD_MAX_BYTES:
            self.too_large = True
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / UPLOAD_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def format_of(name: str) -> str:
    lower = name.lower()
    return "xlsx" if lower.endswith(".xlsx") else "json" if lower.endswith((".json", ".jsonl", ".ndjson")) else "csv"


def start(run: ImportRun, path: Path, actor) -> Job:
    """Queue the import of `path` (kept as the run's file under upload_dir()) for `run`; the
    page answers at once and a worker imports it (import_upload)."""
    if run.file_format == "csv":
        with path.open("rb") as stream:
            try:
                run.encoding = detect_encoding(stream.read(1 << 16))
            except DomainError:
                run.encoding = ""
        run.save(update_fields=["encoding"])
    return import_upload.enqueue(f"run{run.pk}", started_by=actor, run_id=run.pk, language=translation.get_language())


def job_of(run: ImportRun) -> Job | None:
    return Job.objects.filter(kind=import_upload.kind, key=f"run{run.pk}").first()


def status(run: ImportRun) -> dict:
    """What the run page polls: bytes read of the file, rows seen, the summary at the end;
    while it waits for a worker or for a retry, the line that says so."""
    job = job_of(run)
    lost = job is not None and job.state == JobState.FAILED and not run.finished  # its worker died, each time
    answer = {"done": run.done, "total": run.total, "finished": run.finished or lost,
              "error": run.error or (job.error if lost else ""), "summary": run.summary,
              "has_rejects": bool(run.rejects), "job": job.as_status() if job else None, "waiting": ""}
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
    kept = sorted(upload_dir().glob(f"run{run.pk}.*"))
    if not kept:
        run.error = _("The import was interrupted (the server restarted) and its file is gone: upload the file "
                      "again. The tickets imported before the interruption are kept; importing them again "
                      "updates them.")
        run.finished_at = timezone.now()
        run.save(update_fields=["error", "finished_at"])
        return {"run": run.pk}
    run_import(run, kept[0], Mapping(run.mapping), run.started_by, job)
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
