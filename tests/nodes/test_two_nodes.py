"""Two web nodes on one PostGIS, one media folder and one task queue: inspectors' reports,
dispatchers' 立案 and 12345 tickets (pushed, and files through the upload page and the task
worker) go to both alternately; one node is killed with SIGKILL mid-traffic; every write a
client was told was made is there exactly once, with its photo in the shared folder.

PostGIS only: SpatiaLite is a file on one machine's disk, which nodes on other machines
cannot share (SQLite's locking does not hold over network file systems); two gunicorns on
one machine's file are what `make run`'s several workers already are."""

import contextlib
import signal

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from tests.builders import point_in
from tests.nodes.cluster import Traffic, lost_writes, node, run
from tests.photos import jpeg, now_local
from tests.tasks.processes import kill, start_worker, wait_until
from urbanmgmt.hotline.models import ImportRun

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    "postgis" not in settings.DATABASES["default"]["ENGINE"],
    reason="two web nodes share PostGIS; SpatiaLite is one machine's file (see the module's docstring)")]


def session_of(user) -> str:
    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash()})
    session.create()
    return session.session_key


@contextlib.contextmanager
def task_worker(folder):
    log = folder / "worker.log"
    process = start_worker(folder, log, REDIS_URL="", MEDIA_ROOT=str(folder / "media"))
    try:
        yield process
    except BaseException:
        print(f"--- the task worker's log ---\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        kill(process, signal.SIGTERM)


def test_every_acknowledged_write_survives_a_node_killed_mid_traffic(empty_history_after, people, tmp_path):
    tokens = {who: Token.objects.create(user=getattr(people, who)).key for who in ("inspector", "dispatcher")}
    session = session_of(people.dispatcher)
    spot = point_in(0.5, 0.5)
    photo = jpeg(gps=(spot.x, spot.y), taken=now_local())
    with task_worker(tmp_path), node("a", tmp_path) as (a, url_a), node("b", tmp_path) as (b, url_b):
        traffic = Traffic([url_a, url_b], tokens, photo, (spot.x, spot.y))
        try:
            acked = run(traffic, a, url_a, session, before_s=8, after_s=8)
        except BaseException:
            for name in ("a", "b"):
                print(f"--- node {name}'s log ---\n{(tmp_path / f'{name}.log').read_text(errors='replace')[-3000:]}")
            raise
        assert a.returncode == -signal.SIGKILL and b.poll() is None
        wait_until(lambda: ImportRun.objects.filter(finished_at__isnull=False).count() >= len(acked.uploads), 240,
                   "the uploaded files to be imported", step=0.5)
    assert len(acked.reports) >= 4 and len(acked.tickets) >= 4 and len(acked.uploads) == 2, acked
    assert len([c for c in acked.filed if c > 0]) >= 2, acked
    assert len(acked.reports) + len(acked.tickets) > traffic.at_kill  # the survivor went on taking writes
    assert lost_writes(acked, tmp_path / "media") == []
    print(f"sent {acked.sent} requests, {acked.failed} unanswered; acknowledged {len(acked.reports)} reports, "
          f"{len(acked.filed)} 立案, {len(acked.tickets)} pushed tickets, {len(acked.uploads)} files")
