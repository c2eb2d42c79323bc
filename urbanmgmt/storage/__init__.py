"""Where media live: the disk under MEDIA_ROOT by default, an S3-compatible bucket with
MEDIA_S3_BUCKET (urbanmgmt/storage/s3.py), both through Django's STORAGES.

Two stores are named: PRIVATE ("default": originals with their EXIF, frame strips, exports)
and DISPLAY (display copies and thumbnails, public-read on S3 if MEDIA_S3_PUBLIC_DISPLAY); on
disk both are MEDIA_ROOT. A file is whole in its store before the rows that name it are
committed: fsync on disk, an acknowledged PUT on S3. Nothing is ever served by the store's
own address first: /media/ checks who asks (cases/access.py), then serves the file or, on
S3, redirects to a URL that lives MEDIA_S3_URL_MAX_AGE_S.
"""

import contextlib
import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils._os import safe_makedirs
from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import DomainError

PRIVATE, DISPLAY = "default", "display"


class MediaUnavailable(DomainError):
    """The media store cannot be reached or refused a file; nothing of the submission was kept
    (HTTP 503: the inspectors' app keeps the report and sends it again later)."""

    status = 503
    code = "media_unavailable"
    default_message = _("The photo store cannot be reached just now, so nothing was kept. "
                        "Send it again in a few minutes.")


def store(alias: str = PRIVATE) -> Storage:
    """The store named `alias` (PRIVATE or DISPLAY)."""
    return storages[alias]


def on_object_storage() -> bool:
    return bool(settings.MEDIA_S3_BUCKET)


def write(name: str, content: bytes, alias: str = PRIVATE, sha256: str | None = None) -> None:
    """Store `content` under `name` (an existing name already holds the same bytes, as names
    are hashes or fresh); durable when this returns. MediaUnavailable when the store cannot
    take it. `sha256`: the content's SHA-256 in hex, when the caller has it (object storage
    checks the bytes against it)."""
    target = store(alias)
    if isinstance(target, FileSystemStorage):
        write_once(target, name, content)
    elif hasattr(target, "put"):
        target.put(name, content, sha256)
    elif not target.exists(name):
        target.save(name, ContentFile(content))


def write_all(items: list[tuple]) -> None:
    """Store several files, each (name, content, alias[, sha256]) as `write` does; all of them
    durable when this returns, else MediaUnavailable (what was written before the failure is
    the orphan sweep's). On object storage the first (a photo's original, the big one) is sent
    from this thread while one thread of a small pool of the process sends the others, joined
    here, so no PUT is still under way when the caller commits or refuses. On disk one after
    the other: writing the three before their fsyncs measured no faster."""
    if len(items) < 2 or not on_object_storage():
        for item in items:
            write(*item)
        return
    rest = put_pool().submit(_write_each, items[1:])
    try:
        write(*items[0])
    finally:
        wait([rest])
    rest.result()  # its failure, as it was raised


def _write_each(items: list[tuple]) -> None:
    for item in items:
        write(*item)


_pool: ThreadPoolExecutor | None = None
_pool_owner: tuple[int, int] = (0, 0)  # the process that made it, its size
_process_lock = threading.Lock()


def put_pool() -> ThreadPoolExecutor:
    """The threads that send a submission's other files while its request thread sends the
    first (settings.MEDIA_PUT_THREADS: one a request thread, as each waits for its own);
    made on first use in each process. A pool inherited through a fork (gunicorn's preloaded
    master, a test) has no threads in the child, where a submitted PUT would never run."""
    global _pool, _pool_owner
    owner = (os.getpid(), settings.MEDIA_PUT_THREADS)
    with process_lock():
        if _pool is None or _pool_owner != owner:
            _pool = ThreadPoolExecutor(max_workers=owner[1], thread_name_prefix="media-put")
            _pool_owner = owner
        return _pool


def process_lock() -> threading.Lock:
    """The lock that guards what each process makes once for its threads (the put pool, the
    object store's client); a new one in a forked child."""
    return _process_lock


def _new_lock_in_child() -> None:
    # A lock some thread of the parent held at the fork stays held in the child for ever.
    global _process_lock
    _process_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def write_file(name: str, path: str, alias: str = PRIVATE) -> None:
    """Store the file at `path` under `name`, read in pieces (a 12345 file of 100 MB is never
    whole in memory); MediaUnavailable when the store cannot take it."""
    target = store(alias)
    if hasattr(target, "put_file"):
        target.put_file(name, path)
        return
    with open(path, "rb") as stream:
        target.save(name, File(stream))


def remove(names: list[str], alias: str = PRIVATE) -> None:
    """Delete stored files (a missing one is no error)."""
    target = store(alias)
    if hasattr(target, "remove"):
        target.remove(names)
        return
    for name in names:
        target.delete(name)


def listing(target: Storage, prefix: str) -> Iterable[tuple[str, dt.datetime]]:
    """(name, last modified) of every file under `prefix` (a folder, with its slash) of a store."""
    if isinstance(target, FileSystemStorage):
        return _disk_listing(target, prefix)
    return target.listing(prefix)


def _disk_listing(target: FileSystemStorage, prefix: str) -> Iterator[tuple[str, dt.datetime]]:
    root = target.path("")
    for folder, _dirs, files in os.walk(os.path.join(root, prefix)):
        for file in files:
            path = os.path.join(folder, file)
            modified = dt.datetime.fromtimestamp(os.path.getmtime(path), tz=dt.UTC)
            yield os.path.relpath(path, root).replace(os.sep, "/"), modified


def redirect_url(name: str) -> str | None:
    """Where /media/`name` sends a user it has let through: a signed URL of the bucket (a
    plain one for public display copies); None when the file is served from the disk."""
    if not on_object_storage():
        return None
    alias = DISPLAY if name.startswith(("evidence/display/", "evidence/thumb/")) else PRIVATE
    return store(alias).url(name)


def write_once(storage: FileSystemStorage, name: str, content: bytes | os.PathLike) -> None:
    """One file on disk under its hash name, whole or not at all: written under a name of its
    own and renamed into place, so a crash mid-write leaves no partial file that would later
    pass for the stored photo, and two writers of the same hash (the same bytes) both succeed.
    The file and its directory entry are on the disk (fsync) when this returns, as the caller
    then commits the rows that name it. One write call instead of the storage's 64 KiB chunks,
    lock, stats and name search (about half the CPU of a 3 MB photo's storing). `content` may
    be the path of a file, copied a piece at a time (an export of hundreds of MB)."""
    path = storage.path(name)
    folder = os.path.dirname(path)
    if os.path.exists(path):  # another writer's file: perhaps not yet on the disk
        _sync(path)
        _sync(folder)
        return
    part = f"{path}.{uuid.uuid4().hex}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(part, flags, 0o666)
    except FileNotFoundError:
        _make_folders(storage, folder)
        fd = os.open(part, flags, 0o666)
    try:
        with open(fd, "wb", buffering=0) as out:
            for piece in _pieces(content):
                view = memoryview(piece)
                while view:
                    view = view[out.write(view):]
            os.fsync(out.fileno())
        if storage.file_permissions_mode is not None:
            os.chmod(part, storage.file_permissions_mode)
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    _sync(folder)


def _pieces(content: bytes | os.PathLike, size: int = 1 << 20) -> Iterator[bytes]:
    if not isinstance(content, os.PathLike):
        yield content
        return
    with open(content, "rb") as source:
        while piece := source.read(size):
            yield piece


def _make_folders(storage: FileSystemStorage, folder: str) -> None:
    """The folder and any missing parent, each new entry synced into its parent."""
    missing = []
    probe = folder
    while not os.path.isdir(probe) and probe != os.path.dirname(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    if storage.directory_permissions_mode is not None:
        safe_makedirs(folder, storage.directory_permissions_mode, exist_ok=True)
    else:
        os.makedirs(folder, exist_ok=True)
    for created in reversed(missing):
        _sync(os.path.dirname(created))


def _sync(path: str) -> None:
    """fsync a file or a directory (a directory's entries; not possible on Windows)."""
    directory = os.path.isdir(path)
    if directory and not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
