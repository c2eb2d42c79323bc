"""The cyclic garbage collector paused for bulk jobs, and back as it was after them."""

import gc
import threading

import pytest

from urbanmgmt.collector import collector_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_in_a_job_and_back_after_it(collector_on):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_comes_back_after_a_job_that_fails(collector_on):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the job failed")
    assert gc.isenabled()


def test_it_stays_off_until_the_last_of_two_overlapping_jobs_ends(collector_on):
    first_in, second_done = threading.Event(), threading.Event()
    seen = {}

    def other_job():
        with collector_paused():
            first_in.set()
            second_done.wait(5)
        seen["after the other"] = gc.isenabled()

    thread = threading.Thread(target=other_job)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    seen["after this one, the other still running"] = gc.isenabled()
    second_done.set()
    thread.join(5)
    assert seen == {"after this one, the other still running": False, "after the other": True}


def test_a_collector_switched_off_before_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
