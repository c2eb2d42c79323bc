"""The time the services act at: now, or a simulated moment (simulate_year replays a year
through the services, each step at its own time)."""

import contextvars
import datetime as dt
from contextlib import contextmanager

from django.utils import timezone

_simulated: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("simulated_now", default=None)


def now() -> dt.datetime:
    return _simulated.get() or timezone.now()


@contextmanager
def at(moment: dt.datetime):
    """Let the services act at `moment` (an aware datetime) inside the block."""
    token = _simulated.set(moment)
    try:
        yield
    finally:
        _simulated.reset(token)
