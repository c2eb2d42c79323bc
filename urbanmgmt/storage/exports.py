"""Exports kept in the media store (a year of cases as GeoPackage, the year's workbook) for
the person who asked for them: under exports/<their id>/<a token>/, private, served by
/media/ to them alone (a signed bucket URL on S3).

A large export is background work (urbanmgmt/jobs/queue.py): `ask()` gives the job making it
(one per person and parameters while it runs, however often they click), `make()` runs the
export's own writer into a folder of its own and keeps the finished file; the job's result
names it. A file is named after its job, so a job taken up again after its worker died
writes the same name over: one file per job, and none before the whole of it is written."""

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from urbanmgmt import storage
from urbanmgmt.errors import DomainError
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.queue import Background
from urbanmgmt.org.roles import ADMIN, has_role

_EXPORT = re.compile(r"^exports/(\d+)/[0-9a-f]{32}/[^/]+$")
KEY_PREFIX = "export/"
FINISHED = (JobState.DONE, JobState.FAILED)


class TooLargeForNow(DomainError):
    """A GET for an export too large to make inside a web request: it is asked for with a
    POST to the same address and made in the background."""

    code = "export_in_background"


def keep(user, source: Path | bytes, filename: str, token: str | None = None) -> str:
    """Store an export's file (a path, read in pieces, or its bytes) for `user` under
    `token` (32 hex digits; a fresh one by default); its stored name, to hand to
    `signed_media_url`. Durable and whole in the store when this returns; MediaUnavailable
    otherwise."""
    name = f"exports/{user.pk}/{token or secrets.token_hex(16)}/{Path(filename).name}"
    if isinstance(source, bytes):
        storage.write(name, source, storage.PRIVATE)
        return name
    target = storage.store(storage.PRIVATE)
    if isinstance(target, FileSystemStorage):
        _copy_whole(source, Path(target.path(name)))
    else:  # one object, visible only once its (multipart) upload completes
        storage.write_file(name, str(source), storage.PRIVATE)
    return name


def _copy_whole(source: Path, path: Path) -> None:
    """Copy under a name of its own, then rename into place: never a half file under the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    try:
        shutil.copyfile(source, part)
        with part.open("rb") as copied:
            os.fsync(copied.fileno())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def export_media_resolver(user, path: str) -> bool:
    """A kept export is its maker's only."""
    match = _EXPORT.match(path)
    return bool(match) and int(match.group(1)) == user.pk


def job_token(job: Job) -> str:
    """The token of the file job `job` keeps: the same on every attempt, unguessable."""
    return hmac.new(settings.SECRET_KEY.encode(), f"export-job-{job.pk}".encode(), hashlib.sha256).hexdigest()[:32]


def ask(work: Background, user, title: str, **params) -> Job:
    """The job making this export for `user`: the one under way for the same person and
    parameters (a double click, a second tab), else a new one. `title` says what it is, in
    the asker's language; the job runs in that language too."""
    params = {**params, "user_id": user.pk, "language": translation.get_language() or settings.LANGUAGE_CODE}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    prefix = f"{KEY_PREFIX}{user.pk}/{digest}/"
    same = Job.objects.filter(kind=work.kind, key__startswith=prefix)
    running = same.exclude(state__in=FINISHED).order_by("-pk").first()
    if running is not None:
        return running
    # Keyed after the last finished one: two requests racing here make one job (the key's
    # unique constraint), and asking again after it finished makes a fresh export.
    last = same.filter(state__in=FINISHED).order_by("-pk").values_list("pk", flat=True).first()
    return work.enqueue(f"{prefix}{last or 0}", started_by=user, title=title, **params)


def make(job: Job, user_id: int, language: str, filename: str, build: Callable[..., Path]) -> dict:
    """Run `build(user, folder)`, which writes the whole export into `folder` and returns its
    path, and keep the file for the user as `filename`: the job's result. The job's error is
    in the user's `language`; a store that is down is tried again while attempts remain."""
    user = get_user_model().objects.get(pk=user_id)
    folder = Path(tempfile.mkdtemp(prefix="urbanmgmt-export-"))
    with translation.override(language):
        try:
            path = build(user, folder)
            size = path.stat().st_size
            name = keep(user, path, filename, token=job_token(job))
        except storage.MediaUnavailable as error:
            if not job.last_attempt:
                raise RuntimeError(str(error)) from error
            raise DomainError(_("The file store cannot be reached just now, so the export was not kept. Ask for "
                                "it again in a few minutes.")) from error
        except DomainError as error:  # made text now: the queue records it in the city's language
            raise DomainError(str(error)) from error
        except Exception as error:
            if not job.last_attempt:
                raise
            raise DomainError(_("The export could not be made (%(error)s). Ask for it again; if it fails again, "
                                "tell the administrator.") % {"error": error}) from error
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return {"file": name, "filename": Path(filename).name, "size": size}


def visible_to(user) -> QuerySet[Job]:
    """The export jobs `user` may follow: their own; an administrator's, everyone's."""
    jobs = Job.objects.filter(key__startswith=KEY_PREFIX)
    return jobs if has_role(user, ADMIN) else jobs.filter(started_by=user)


def recent(user, limit: int = 50) -> list[dict]:
    """The user's own latest exports, newest first, as `status` describes them."""
    jobs = Job.objects.filter(key__startswith=f"{KEY_PREFIX}{user.pk}/", started_by=user).order_by("-pk")[:limit]
    return [status(job, user) for job in jobs]


def status(job: Job, user) -> dict:
    """What the page shows of an export: the job's state and progress, what it is, when, its
    size and, for its maker once done, where to download it."""
    result = job.result or {}
    mine = job.started_by_id == user.pk
    local = timezone.localtime
    return {**job.as_status(), "title": job.params.get("title", ""),
            "created_at": local(job.created_at).isoformat(),
            "asked_at": local(job.created_at).strftime("%Y-%m-%d %H:%M"),
            "finished_at": local(job.finished_at).isoformat() if job.finished_at else None,
            "size": result.get("size"), "filename": result.get("filename"),
            "download": reverse("media", kwargs={"path": result["file"]})
            if mine and job.state == JobState.DONE and result.get("file") else None,
            "status_url": reverse("export-status", kwargs={"pk": job.pk})}
