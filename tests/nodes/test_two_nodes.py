"""Two web nodes on one PostGIS, one media folder and one task queue: inspectors' reports,
dispatchers' 立案 and 12345 tickets (pushed, and files through the upload page and the task
worker) go to both alternately; one node is killed with SIGKILL mid-traffic; every write a
client was told was made is there exactly once, with its photo in the shared folder.

PostGIS only: SpatiaLite is a file on one machine's disk, which nodes on other machines
cannot share (SQLite's locking does not hold over network file systems); two gunicorns on
one machine's file are what `make run`'s several workers already are. Once with the queue in
the database, once on a redis-server of the test's own."""

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.builders import point_in
from tests.nodes.cluster import run_measured
from tests.tasks.processes import queue_on

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    "postgis" not in settings.DATABASES["default"]["ENGINE"],
    reason="two web nodes share PostGIS; SpatiaLite is one machine's file (see the module's docstring)")]


@pytest.mark.parametrize("queue", ["database", "redis"])
def test_every_acknowledged_write_survives_a_node_killed_mid_traffic(queue, empty_history_after, people, settings,
                                                                     tmp_path):
    tokens = {who: Token.objects.create(user=getattr(people, who)).key for who in ("inspector", "dispatcher")}
    with queue_on(queue, tmp_path, settings) as env:
        # A killed node takes the messages its outbox had not sent yet (jobs/redis.py): the
        # worker's sweep delivers them again once TASKS_REDELIVER_S has passed.
        lost, acked = run_measured(tmp_path, tokens, people.dispatcher, point_in(0.5, 0.5), before_s=8, after_s=8,
                                   env={**env, "TASKS_REDELIVER_S": "3"})
    assert len(acked.reports) >= 4 and len(acked.tickets) >= 4 and len(acked.uploads) == 2, acked
    assert len([c for c in acked.filed if c > 0]) >= 2, acked
    assert len(acked.reports) + len(acked.tickets) > acked.at_kill  # the survivor went on taking writes
    assert lost == []
    print(f"sent {acked.sent} requests, {acked.failed} unanswered; acknowledged {len(acked.reports)} reports, "
          f"{len(acked.filed)} 立案, {len(acked.tickets)} pushed tickets, {len(acked.uploads)} files")
