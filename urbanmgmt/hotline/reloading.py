"""A per-process object built from the database and built again after a while (the
classifier and the gazetteer: tables edited rarely, read by every ticket)."""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class Reloading(Generic[T]):
    """`get()` answers the object `factory` built, building it again once `ttl_s` seconds have
    passed or after `invalidate()`; with a `version` (a cheap query of what the object is
    built from), also when the version in the database moved on, looked at as often as the
    grid index looks at its own (settings.GRID_INDEX_TTL_S): another web node's or a task
    worker's change is seen within seconds, not a TTL."""

    def __init__(self, factory: Callable[[], T], ttl_s: float, version: Callable[[], object] | None = None):
        self.factory, self.ttl_s, self.version = factory, ttl_s, version
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded = self._checked = 0.0
        self._built_from: object = None

    def get(self) -> T:
        with self._lock:
            now = time.monotonic()
            if self._value is not None and self.version is not None and now - self._checked >= settings.GRID_INDEX_TTL_S:
                self._checked = now
                if self.version() != self._built_from:
                    self._value = None
            if self._value is None or now - self._loaded > self.ttl_s:
                # The version first: a change made while the object is built is seen next time.
                self._built_from = self.version() if self.version is not None else None
                self._value, self._loaded = self.factory(), time.monotonic()
                self._checked = self._loaded
            return self._value

    def invalidate(self, **kwargs) -> None:
        self._value = None
