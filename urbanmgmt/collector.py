"""Python's cyclic garbage collector, paused for a bulk job.

A bulk import allocates millions of small objects (rows, texts, word sets) and keeps many of
them for its whole run (the open-case index, the remembered words of each case). The collector
runs every few hundred allocations, and each pass over its older generations walks every object
still alive, so its passes grow with the job and find next to nothing: the job's objects are
freed by reference counting as soon as they are dropped. (The one cycle an import makes is a
traceback Django keeps of an exception it handles once, the first time it compiles an insert of
a geometry column; it holds one batch until the collector runs again.) While a job runs the
collector waits, in every thread of the process; it comes back, as it was, when the last job
ends. A leaf module: it imports nothing of the project.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_jobs = 0
_was_enabled = False


@contextmanager
def collector_paused():
    """The cyclic collector off for the block, back on (if it was) when the last such block
    of the process ends, whichever thread ran it, however it ends."""
    global _jobs, _was_enabled
    with _lock:
        if _jobs == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _jobs += 1
    try:
        yield
    finally:
        with _lock:
            _jobs -= 1
            if _jobs == 0 and _was_enabled:
                gc.enable()
