"""Who may load a stored file: the case (or other object) it belongs to decides, never the role alone.

A file under MEDIA_ROOT is evidence of something: a case's photo, or (from apps the core does
not import, such as the video channel) a candidate's snapshot. Each owner registers a resolver
here; a file is served when one of them says the user may see it. The core resolves its own
case media; `vision` registers its resolver in its AppConfig.ready, so the core never imports it.

Photos are stored under their hash (cases/photos.py `Photo.paths`): the path names its kind
(original, display copy, thumbnail) and the SHA-256 of the original, which finds the owning
rows through the indexed `CaseMedia.sha256`.
"""

import re
from collections.abc import Callable

from django.db.models import Q

from urbanmgmt.cases.models import Case
from urbanmgmt.org.roles import may_see_originals
from urbanmgmt.storage.exports import export_media_resolver

ORIGINAL, DISPLAY, THUMBNAIL = "original", "display", "thumb"
_EVIDENCE = re.compile(r"^evidence/(original|display|thumb)/[0-9a-f]{2}/([0-9a-f]{64})\.[a-z0-9]+$")

# (user, path) → True when the user may load the file; False or None says nothing.
MediaResolver = Callable[[object, str], bool | None]
_resolvers: list[MediaResolver] = []


def evidence_path(path: str) -> tuple[str, str] | None:
    """(kind, sha256) of a stored photo's path, None for any other path."""
    match = _EVIDENCE.match(path)
    return (match.group(1), match.group(2)) if match else None


def register_media_resolver(resolver: MediaResolver) -> None:
    """Add an owner of stored files (idempotent: ready() may run more than once in tests)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def may_see_media(user, path: str) -> bool:
    """Whether `user` may load the stored file at `path` (relative to MEDIA_ROOT)."""
    if user is None or not user.is_authenticated:
        return False
    return any(resolver(user, path) for resolver in (case_media_resolver, export_media_resolver, *_resolvers))


def case_media_resolver(user, path: str) -> bool:
    """A case's photo: its display copy and thumbnail for whoever may see the case; the
    original (EXIF: the phone's place, make and time) only for the command centre."""
    parsed = evidence_path(path)
    if parsed is None:
        return False
    kind, sha256 = parsed
    column = {ORIGINAL: "file", DISPLAY: "display", THUMBNAIL: "thumbnail"}[kind]
    if kind == ORIGINAL and not may_see_originals(user):
        return False
    owners = Case.objects.filter(Q(media__sha256=sha256) & Q(**{f"media__{column}": path}))
    return owners.visible_to(user).exists()
