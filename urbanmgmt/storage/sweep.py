"""The orphan sweep: evidence files that no row names, left by a submission refused after
some of its files were stored (the store failing midway, a stale version, a lost race).

They are not deleted at once by the request that wrote them: names are hashes, so another
report carrying the same photo may have found the file already there and be about to commit
a row naming it. After a grace period far longer than any request, a file no row names is
garbage for good. Owners of stored files register what they name (`register_media_owner`),
as the video channel does in its AppConfig.ready; the core knows only its case media."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from django.utils import timezone

from urbanmgmt import storage
from urbanmgmt.cases.access import evidence_path

PREFIX = "evidence/"
_BATCH = 500

# names → the subset of them that some row names
MediaOwner = Callable[[list[str]], set[str]]
_owners: list[MediaOwner] = []


def register_media_owner(owner: MediaOwner) -> None:
    """Add a kind of row that names stored files (idempotent)."""
    if owner not in _owners:
        _owners.append(owner)


def case_media_names(names: list[str]) -> set[str]:
    """The names among `names` that a case's photo row holds (found by the indexed hash)."""
    from urbanmgmt.cases.models import CaseMedia

    hashes = {parsed[1] for parsed in map(evidence_path, names) if parsed}
    rows = CaseMedia.objects.filter(sha256__in=hashes).values_list("file", "display", "thumbnail")
    return {name for row in rows for name in row} & set(names)


def orphans(grace: dt.timedelta) -> Iterator[str]:
    """Evidence files older than `grace` that no row names, in both stores."""
    cutoff = timezone.now() - grace
    for target in _distinct(storage.store(alias) for alias in (storage.PRIVATE, storage.DISPLAY)):
        old = [name for name, modified in storage.listing(target, PREFIX) if modified < cutoff]
        for start in range(0, len(old), _BATCH):
            batch = old[start:start + _BATCH]
            named = set().union(*(owner(batch) for owner in (case_media_names, *_owners)))
            yield from (name for name in batch if name not in named)


def sweep(grace: dt.timedelta) -> list[str]:
    """Delete the orphans (see `orphans`); the names deleted."""
    gone = list(orphans(grace))
    for start in range(0, len(gone), _BATCH):
        storage.remove(gone[start:start + _BATCH])
    return gone


def _distinct(targets: Iterable) -> list:
    """The stores, once per bucket or folder (the display store is usually the same one)."""
    places = {}
    for target in targets:
        places.setdefault(getattr(target, "bucket_name", None) or target.location, target)
    return list(places.values())
