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


def start(run: ImportRun, path: Path, mapping: Mapping, actor) -> None:
    """Import `path` for `run`: in a thread (settings.HOTLINE_IMPORT_BACKGROUND) or now."""
    if run.file_format == "csv":
        with path.open("rb") as stream:
            try:
                run.encoding = detect_encoding(stream.read(1 << 16))
            except DomainError:
                run.encoding = ""
        run.save(update_fields=["encoding"])
    if settings.HOTLINE_IMPORT_BACKGROUND:
        threading.Thread(target=_in_thread, args=(run.pk, path, mapping, actor), daemon=True,
                         name=f"ticket-import-{run.pk}").start()
    else:
        run_import(run, path, mapping, actor)


def _in_thread(run_id: int, path: Path, mapping: Mapping, actor) -> None:
    close_old_connections()
    try:
        run_import(ImportRun.objects.get(pk=run_id), path, mapping, actor)
    finally:
        connection.close()


def run_import(run: ImportRun, path: Path, mapping: Mapping, actor) -> ImportRun:
    notes: list[str] = []
    try:
        with path.open("rb") as stream:
            run.total = path.stat().st_size

            def progress(rows: int) -> None:
                run.done = min(stream.tell(), run.total)
                run.summary = {"rows": rows}
                run.save(update_fields=["done", "total", "summary"])

            summary = Importer(actor, run.source, mapping).run(read(stream, run.filename, mapping, notes), progress)
        summary.notes += notes
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
