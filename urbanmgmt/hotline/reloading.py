"""A per-process object built from the database and built again after a while (the
classifier and the gazetteer: tables edited rarely, read by every ticket)."""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Reloading(Generic[T]):
    """`get()` answers the object `factory` built, building it again once `ttl_s` seconds have
    passed or after `invalidate()`."""

    def __init__(self, factory: Callable[[], T], ttl_s: float):
        self.factory, self.ttl_s = factory, ttl_s
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded = 0.0

    def get(self) -> T:
        with self._lock:
            if self._value is None or time.monotonic() - self._loaded > self.ttl_s:
                self._value, self._loaded = self.factory(), time.monotonic()
            return self._value

    def invalidate(self, **kwargs) -> None:
        self._value = None
