"""The pool that sends a photo's copies to the bucket: made again in a forked process (gunicorn
forks its workers from a preloaded master), and as large as the settings say."""

import os
import signal

import pytest

from urbanmgmt import storage

pytestmark = [pytest.mark.slow]  # against a moto server process


def _in_child(work) -> int:
    """Run `work` in a forked child given 20 s; its exit status (a signal's number, negated)."""
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 1
        try:
            signal.alarm(20)  # a PUT that never runs would otherwise hang the child for ever
            work()
            code = 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_worker_sends_the_copies_on_a_pool_of_its_own(bucket):
    files = [("evidence/original/aa/a.jpg", b"original", storage.PRIVATE),
             ("evidence/display/aa/a.jpg", b"display", storage.DISPLAY),
             ("evidence/thumb/aa/a.jpg", b"thumb", storage.DISPLAY)]
    storage.write_all(files)  # the parent's pool, its threads started, as in a preloaded master
    names = [(f"evidence/original/bb/{n}.jpg", b"o", storage.PRIVATE) for n in "bc"]
    names.append(("evidence/thumb/bb/b.jpg", b"t", storage.DISPLAY))
    assert _in_child(lambda: storage.write_all(names)) == 0
    assert {name for name, _c, _a in names} <= bucket.keys()


def test_the_pool_has_the_threads_the_settings_give_it(bucket, settings):
    settings.MEDIA_PUT_THREADS = 3
    assert storage.put_pool()._max_workers == 3
    settings.MEDIA_PUT_THREADS = 1
    assert storage.put_pool()._max_workers == 1
