"""Exports kept in the media store (a year of cases as GeoPackage, the year's workbook) for
the person who asked for them: under exports/<their id>/<a token>/, private, served by
/media/ to them alone (a signed bucket URL on S3).

A large export is background work (urbanmgmt/jobs/queue.py): `ask()` gives the job making it
(one per person and parameters while it runs, however often they click), `make()` runs the
export's own writer into a folder of its own and keeps the finished file; the job's result
names it. A file is named after its job, so a job taken up again after its worker died
writes the same name over: one file per job, and none before the whole of it is written.

Who may export (one rule, `may_export`, for asking, listing, following and downloading): the
command centre, every case; a department's handlers, their department's cases, as the map and
the case list show them. Inspectors and video analysts work in their own apps and export
nothing. An export holds only what Case.objects.visible_to gives its maker, and its job and file
are theirs while they still see the same cases (`scope_of`: a handler moved to another
department no longer downloads the old one's). An administrator follows anyone's job, without
its file.

A file lives as long as its job: `prune_files`, daily, deletes the files of the jobs that
prune_jobs deletes (finished more than TASKS_KEEP_DAYS ago), any file under exports/ that no
job keeps once it is as old, and the working folders the dead attempts left."""

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import shutil
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
from urbanmgmt.jobs.queue import Background, background
from urbanmgmt.org.roles import ADMIN, COMMAND_CENTRE, HANDLER, department_of, has_role, require_role, roles_of

FOLDER = "exports/"
_EXPORT = re.compile(r"^exports/(\d+)/([0-9a-f]{32})/[^/]+$")
KEY_PREFIX = "export/"
_LEGACY_KEY = re.compile(r"^export/(\d+)/([0-9a-f]{24})/(\d+)$")
FINISHED = (JobState.DONE, JobState.FAILED)
EXPORTERS = (*COMMAND_CENTRE, HANDLER)
# A working folder no job is running in is left this long (another instance on this machine
# may share EXPORT_WORK_DIR), then removed.
_WORK_GRACE = dt.timedelta(days=1)


class TooLargeForNow(DomainError):
    """A GET for an export too large to make inside a web request: it is asked for with a
    POST to the same address and made in the background."""

    code = "export_in_background"


def keep(user, source: Path | bytes, filename: str, token: str | None = None) -> str:
    """Store an export's file (a path, read in pieces, or its bytes) for `user` under
    `token` (32 hex digits; a fresh one by default); its stored name, to hand to
    `signed_media_url`. Durable and whole in the store when this returns; MediaUnavailable
    otherwise."""
    name = f"{FOLDER}{user.pk}/{token or secrets.token_hex(16)}/{Path(filename).name}"
    if isinstance(source, bytes):
        storage.write(name, source, storage.PRIVATE)
        return name
    target = storage.store(storage.PRIVATE)
    if isinstance(target, FileSystemStorage):
        target.delete(name)  # an earlier attempt's, killed before its job was done: this one's stands
        storage.write_once(target, name, source)
    else:  # one object, visible only once its (multipart) upload completes
        storage.write_file(name, str(source), storage.PRIVATE)
    return name


def may_export(user) -> bool:
    """Whether `user` may ask for an export, and list, follow and download theirs."""
    return has_role(user, *EXPORTERS)


def require_exporter(user) -> None:
    """PermissionDenied (403) unless `user` may export."""
    require_role(user, *EXPORTERS, message=_("Exports are for the command centre and the departments."))


def scope_of(user) -> str:
    """Which cases an export of `user` holds: "all" for the command centre, "dept<id>" for a
    department's handler (as Case.objects.visible_to gives them)."""
    return scope(roles_of(user), department_of(user))


def scope(roles, department_id: int | None) -> str:
    """`scope_of` a person with these role names and department (the key of their jobs)."""
    return "all" if set(roles) & set(COMMAND_CENTRE) else f"dept{department_id or 0}"


def legacy_key(key: str, roles, department_id: int | None) -> str | None:
    """The key an export job asked before keys carried their maker's scope
    (export/<id>/<digest>/<n>) has under the access rule, given its maker's roles and department
    now; None for any other key. Never one `ask()` makes (those end in a number)."""
    match = _LEGACY_KEY.match(key)
    if match is None:
        return None
    maker, digest, n = match.groups()
    return f"{KEY_PREFIX}{maker}/{scope(roles, department_id)}/{digest}/legacy-{n}"


def _prefix(user) -> str:
    """The key prefix of the export jobs `user` asks for while they see what they see now."""
    return f"{KEY_PREFIX}{user.pk}/{scope_of(user)}/"


def export_media_resolver(user, path: str) -> bool:
    """A kept export is its maker's only, while they may still export the cases in it (the
    job that made it says which; a file the command kept for them has none)."""
    match = _EXPORT.match(path)
    if not match or int(match.group(1)) != user.pk or not may_export(user):
        return False
    key = Job.objects.filter(key__startswith=KEY_PREFIX, result__file=path).values_list("key", flat=True).first()
    return key is None or key.startswith(_prefix(user))


def job_token(job: Job) -> str:
    """The token of the file job `job` keeps: the same on every attempt, unguessable."""
    return hmac.new(settings.SECRET_KEY.encode(), f"export-job-{job.pk}".encode(), hashlib.sha256).hexdigest()[:32]


def ask(work: Background, user, title: str, **params) -> Job:
    """The job making this export for `user`: the one under way for the same person and
    parameters (a double click, a second tab), else a new one. `title` says what it is, in
    the asker's language; the job runs in that language too. PermissionDenied for someone
    who may not export."""
    require_exporter(user)
    params = {**params, "user_id": user.pk, "language": translation.get_language() or settings.LANGUAGE_CODE}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    prefix = f"{_prefix(user)}{digest}/"
    same = Job.objects.filter(kind=work.kind, key__startswith=prefix)
    running = same.exclude(state__in=FINISHED).order_by("-pk").first()
    if running is not None:
        return running
    # Keyed after the last finished one: two requests racing here make one job (the key's
    # unique constraint), and asking again after it finished makes a fresh export.
    last = same.filter(state__in=FINISHED).order_by("-pk").values_list("pk", flat=True).first()
    return work.enqueue(f"{prefix}{last or 0}", started_by=user, title=title, **params)


def make(job: Job, user_id: int, language: str, filename: str, build: Callable[..., Path]) -> dict:
    """Run `build(user, folder)`, which writes the whole export into `folder` (this attempt's
    own: an attempt taken up again after its lease ran out may still be writing in its own)
    and returns its path, and keep the file for the user as `filename`: the job's result. The
    folder goes when the attempt ends, those of earlier attempts (killed) when one keeps the
    file or the last fails. The job's error is in the user's `language`; a store that is down
    is tried again while attempts remain."""
    user = get_user_model().objects.get(pk=user_id)
    folder = work_folder(job)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    kept_file = False
    with translation.override(language):
        try:
            _clear_parts(user, job)
            path = build(user, folder)
            size = path.stat().st_size
            name = keep(user, path, filename, token=job_token(job))
            kept_file = True
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
            if kept_file or job.last_attempt:
                _remove_earlier_attempts(job)
    return {"file": name, "filename": Path(filename).name, "size": size}


def _remove_earlier_attempts(job: Job) -> None:
    """Remove the working folders the job's earlier attempts left (killed with their worker),
    then the job's folder once empty; never a later attempt's."""
    for attempt in range(1, job.attempts):
        shutil.rmtree(job_folder(job) / f"attempt-{attempt}", ignore_errors=True)
    try:
        job_folder(job).rmdir()
    except OSError:  # a later attempt's folder is in it, or it is gone already
        pass


def work_folder(job: Job) -> Path:
    """The working folder of the job's attempt running now, in the job's folder (`job_folder`)."""
    return job_folder(job) / f"attempt-{job.attempts}"


def job_folder(job: Job) -> Path:
    """The job's folder of working folders under settings.EXPORT_WORK_DIR: named by its id and
    the instant it was made (another instance's job of the same id never shares it)."""
    return Path(settings.EXPORT_WORK_DIR) / f"job-{job.pk}-{int(job.created_at.timestamp() * 1e6)}"


def _clear_parts(user, job: Job) -> None:
    """Remove the partial copies a killed attempt left in the job's folder on disk (on object
    storage an unfinished upload is no object)."""
    target = storage.store(storage.PRIVATE)
    if isinstance(target, FileSystemStorage):
        for part in Path(target.path(f"{FOLDER}{user.pk}/{job_token(job)}")).glob("*.part"):
            part.unlink(missing_ok=True)


def visible_to(user) -> QuerySet[Job]:
    """The export jobs `user` may follow: their own, asked while they saw the cases they see
    now; an administrator's, everyone's; none for someone who may not export."""
    jobs = Job.objects.filter(key__startswith=KEY_PREFIX)
    if not may_export(user):
        return jobs.none()
    return jobs if has_role(user, ADMIN) else jobs.filter(key__startswith=_prefix(user), started_by=user)


def recent(user, limit: int = 50) -> list[dict]:
    """The user's own latest exports, newest first, as `status` describes them."""
    jobs = visible_to(user).filter(started_by=user).order_by("-pk")[:limit]
    return [status(job, user) for job in jobs]


def status(job: Job, user) -> dict:
    """What the page shows of an export: the job's state and progress, what it is, when, its
    size and, for its maker once done, where to download it."""
    result = job.result or {}
    mine = job.started_by_id == user.pk and job.key.startswith(_prefix(user))
    local = timezone.localtime
    return {**job.as_status(), "title": job.params.get("title", ""),
            "created_at": local(job.created_at).isoformat(),
            "asked_at": local(job.created_at).strftime("%Y-%m-%d %H:%M"),
            "finished_at": local(job.finished_at).isoformat() if job.finished_at else None,
            "size": result.get("size"), "filename": result.get("filename"),
            "download": reverse("media", kwargs={"path": result["file"]})
            if mine and job.state == JobState.DONE and result.get("file") else None,
            "status_url": reverse("export-status", kwargs={"pk": job.pk})}


@background()
def prune_files(job: Job) -> dict:
    """Delete the export files no job keeps any more (daily, settings.PERIODIC_JOBS), in the
    store exports are kept in, and the working folders of attempts that died."""
    return {"removed": len(sweep_files(timezone.now())), "folders": len(sweep_work_folders(timezone.now()))}


def sweep_files(now: dt.datetime) -> list[str]:
    """Delete the files under exports/ last written before the days jobs are kept
    (settings.TASKS_KEEP_DAYS) that no export job still kept then names: those of the jobs
    prune_jobs deletes (in either order on the same day), the orphans of jobs deleted by
    hand, a kept file with no job, the partial copies of killed attempts. The names deleted."""
    cutoff = now - dt.timedelta(days=settings.TASKS_KEEP_DAYS)
    kept_jobs = Job.objects.filter(key__startswith=KEY_PREFIX).exclude(state__in=FINISHED, finished_at__lt=cutoff)
    tokens = {job_token(job) for job in kept_jobs.only("pk")}
    target = storage.store(storage.PRIVATE)
    gone = [name for name, modified in storage.listing(target, FOLDER)
            if modified < cutoff and _token(name) not in tokens]
    storage.remove(gone)
    if isinstance(target, FileSystemStorage):
        _remove_empty_folders(Path(target.path(FOLDER)), {Path(target.path(name)).parent for name in gone})
    return gone


def _token(name: str) -> str | None:
    """The token folder of a stored export's name (of its partial copy too)."""
    match = _EXPORT.match(name)
    return match.group(2) if match else None


def _remove_empty_folders(root: Path, folders: set[Path]) -> None:
    """Remove the folders emptied on disk (and their user's folder, once empty), not `root`."""
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty, or already gone
                break
            folder = folder.parent


def sweep_work_folders(now: dt.datetime) -> list[Path]:
    """Remove the working folders no live export job is using that were last changed more than
    a day before `now` (an attempt killed with its worker cannot remove its own)."""
    root = Path(settings.EXPORT_WORK_DIR)
    if not root.is_dir():
        return []
    live = Job.objects.filter(key__startswith=KEY_PREFIX).exclude(state__in=FINISHED)
    names = {job_folder(job).name for job in live.only("pk", "created_at")}
    old = (now - _WORK_GRACE).timestamp()
    gone = [folder for folder in root.iterdir()
            if folder.name.startswith("job-") and folder.name not in names and _changed_before(folder, old)]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


def _changed_before(folder: Path, moment: float) -> bool:
    """Whether `folder` was last changed before `moment` (False once its job removed it)."""
    try:
        return folder.stat().st_mtime < moment
    except FileNotFoundError:
        return False
