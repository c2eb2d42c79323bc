"""An uploaded ticket file imported in the background: progress and summary in ImportRun.

The upload page streams the file to a temporary file (never whole in memory), the import
runs in a thread of the web process with its own database connection and records the
bytes read (`done` of `total`) and the rows seen after each batch; at the end the
summary and the refused rows (CSV) are kept with the run, and the file is removed."""

import threading
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.importer import Importer
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import ImportRun
from urbanmgmt.hotline.readers import detect_encoding, read

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


def resume(run: ImportRun) -> ImportRun:
    """Take up an upload's import whose process is gone (the server restarted mid-import):
    unfinished and without progress for HOTLINE_IMPORT_STALLED_S. It runs again from the
    start of its kept file: tickets already in are updated, never duplicated. One process
    claims it (a compare-and-set on its heartbeat); without its file the run ends with a
    reason. Returns the run as it is now."""
    if run.finished:
        return run
    last = run.heartbeat_at or run.started_at
    now = timezone.now()
    if last is None or (now - last).total_seconds() < settings.HOTLINE_IMPORT_STALLED_S:
        return run
    claimed = ImportRun.objects.filter(pk=run.pk, finished_at=None, heartbeat_at=run.heartbeat_at).update(heartbeat_at=now)
    if not claimed:  # another process took it up (or it moved on)
        run.refresh_from_db()
        return run
    run.heartbeat_at = now
    kept = sorted(upload_dir().glob(f"run{run.pk}.*"))
    if not kept:
        run.error = _("The import was interrupted (the server restarted) and its file is gone: upload the file "
                      "again. The tickets imported before the interruption are kept; importing them again "
                      "updates them.")
        run.finished_at = now
        run.save(update_fields=["error", "finished_at"])
        return run
    run.summary = {**(run.summary or {}), "resumed": True}
    run.save(update_fields=["summary"])
    start(run, kept[0], Mapping(run.mapping), run.started_by, resumed=True)
    run.refresh_from_db()
    return run


def start(run: ImportRun, path: Path, mapping: Mapping, actor, resumed: bool = False) -> None:
    """Import `path` for `run`: in a thread (settings.HOTLINE_IMPORT_BACKGROUND) or now."""
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["heartbeat_at"])
    if run.file_format == "csv" and not resumed:
        with path.open("rb") as stream:
            try:
                run.encoding = detect_encoding(stream.read(1 << 16))
            except DomainError:
                run.encoding = ""
        run.save(update_fields=["encoding"])
    if settings.HOTLINE_IMPORT_BACKGROUND:
        threading.Thread(target=_in_thread, args=(run.pk, path, mapping, actor, resumed), daemon=True,
                         name=f"ticket-import-{run.pk}").start()
    else:
        run_import(run, path, mapping, actor, resumed)


def _in_thread(run_id: int, path: Path, mapping: Mapping, actor, resumed: bool = False) -> None:
    close_old_connections()
    try:
        run_import(ImportRun.objects.get(pk=run_id), path, mapping, actor, resumed)
    finally:
        connection.close()


def run_import(run: ImportRun, path: Path, mapping: Mapping, actor, resumed: bool = False) -> ImportRun:
    notes: list[str] = []
    try:
        with path.open("rb") as stream:
            run.total = path.stat().st_size

            def progress(rows: int) -> None:
                run.done = min(stream.tell(), run.total)
                run.summary = {"rows": rows}
                run.heartbeat_at = timezone.now()
                run.save(update_fields=["done", "total", "summary", "heartbeat_at"])

            summary = Importer(actor, run.source, mapping).run(read(stream, run.filename, mapping, notes), progress)
        summary.notes += notes
        if resumed:
            summary.notes.append(_("The import was interrupted (the server restarted) and ran again from the start "
                                   "of the file: the rows imported before were updated, not duplicated."))
        run.summary, run.rejects, run.done = summary.as_dict(), summary.rejects_csv() if summary.rejected else "", run.total
    except DomainError as exc:
        run.error = str(exc)
    except Exception as exc:  # the run must end with a reason, whatever happened
        run.error = _("The import stopped: %(error)s") % {"error": exc}
    finally:
        path.unlink(missing_ok=True)
        run.finished_at = timezone.now()
        run.save()
    return run
