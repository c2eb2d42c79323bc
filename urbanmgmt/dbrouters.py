"""Reads of the managers' pages from a read replica (DATABASE_REPLICA_URL), writes always to
the primary.

The managers' dashboards, reports and exports read a year of cases at a time and write
nothing the next page needs; a replica takes that load off the primary, which the inspectors,
dispatchers and the 12345 import write to. A replica lags the primary by a moment, so only
requests under settings.DATABASE_REPLICA_PATHS read from it, and only outside a transaction
(a view that wrote in its transaction reads its own writes from the primary); the session and
the user are loaded from the primary before the route is taken, so a fresh login is never
lost in the lag."""

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import connections

REPLICA = "replica"

_reading = contextvars.ContextVar("urbanmgmt_reads_from_replica", default=False)


def replica_configured() -> bool:
    """Whether a replica alias is configured (DATABASE_REPLICA_URL)."""
    return REPLICA in connections.settings


@contextlib.contextmanager
def reads_from_replica() -> Iterator[None]:
    """Within it, queries that only read go to the replica when one is configured."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Django's database router: the replica for reads inside `reads_from_replica()`, the
    primary for everything else; migrations only on the primary (the replica follows it)."""

    def db_for_read(self, model, **hints) -> str | None:
        if not _reading.get() or not replica_configured() or connections["default"].in_atomic_block:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:  # a related object: where its owner came from
            return instance._state.db
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same rows on both: an object read from the replica may point at one from the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db != REPLICA


def _streamed(content: Iterator[bytes]) -> Iterator[bytes]:
    # A streamed export runs its queries while the server sends it, after the view returned.
    with reads_from_replica():
        yield from content


class ReplicaMiddleware:
    """Routes the reads of requests under settings.DATABASE_REPLICA_PATHS to the replica
    (placed last: the session and the user are loaded from the primary first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured() or not request.path_info.startswith(tuple(settings.DATABASE_REPLICA_PATHS)):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 — load the session's user from the primary, now
        with reads_from_replica():
            response = self.get_response(request)
        if response.streaming and not hasattr(response, "file_to_stream"):
            response.streaming_content = _streamed(response.streaming_content)
        return response
