"""Benchmark of webhooks out (issue #18), on SpatiaLite, with a real task worker process.

- webhook_delivery_p95_ms: 8 subscriptions to every event on a local receiver (a real HTTP
  server in a thread of this process, checking each signature); 300 cases reported, one
  every 0.1 s, each its own transaction (one case.created event, 8 deliveries, one job); the
  time from the service call's return (its commit) to the receiver having the event, over
  every (event, subscriber) pair, delivered by one `manage.py tasks_worker` polling every
  0.05 s (as bench_tasks runs it).
- webhook_check_us: what a case write pays for webhooks while there is no subscription (the
  process remembers that for WEBHOOK_SUBSCRIPTIONS_TTL_S), per call; the cost of asking the
  database each time is printed beside it.
"""

import datetime as dt
import statistics
import time

from bench_tasks import wait_for, workers
from common import Timer, bench, load_demo_city, setup_django

N_EVENTS, SUBSCRIBERS, PACE_S, SECRET = 300, 8, 0.1, "bench-webhook-secret"


def main() -> None:
    db = setup_django("bench_webhooks.sqlite3")
    load_demo_city()
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from tests.webhooks.receiver import Receiver
    from urbanmgmt.cases import services
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.grids.models import UnitGrid
    from urbanmgmt.webhooks import outbox
    from urbanmgmt.webhooks.models import Event, EventType, Subscription

    inspector = User.objects.create_user("bench_inspector")
    inspector.groups.add(Group.objects.get(name="inspector"))
    category = Category.objects.filter(family="event").first()
    points = [grid.geom.point_on_surface for grid in UnitGrid.objects.order_by("pk")[:N_EVENTS + 1]]

    with Timer() as timer:
        for _ in range(2000):
            outbox.subscribers()
    bench("webhook_check_us", timer.seconds / 2000 * 1e6, "us")
    with Timer() as asked:
        for _ in range(2000):
            outbox.forget_subscribers()
            outbox.subscribers()
    print(f"  (asking the database each time: {asked.seconds / 2000 * 1e6:.0f} us)")

    with Receiver(SECRET) as receiver, workers(db, 1):
        for i in range(SUBSCRIBERS):
            Subscription.objects.create(name=f"bench {i}", url=receiver.url(f"/s{i}"), secret=SECRET,
                                        events=EventType.values)
        committed: dict[str, float] = {}
        for i, point in enumerate(points):
            since = timezone.now() - dt.timedelta(seconds=1)
            services.report(inspector, channel="inspector", point=point, category=category, description="基准测试")
            at = time.time()
            for pk in Event.objects.filter(occurred_at__gte=since).values_list("pk", flat=True):
                committed.setdefault(str(pk), at)
            if i == 0:  # the worker's first job loads the project: not a delivery's time
                wait_for(lambda: len(receiver.received) == SUBSCRIBERS, 120, "the first event")
                warm = set(committed)
            time.sleep(PACE_S)
        wait_for(lambda: len(receiver.received) >= len(committed) * SUBSCRIBERS, 300, "every delivery")
    latencies = sorted((r.at - committed[r.event_id]) * 1000 for r in receiver.received if r.event_id not in warm)
    assert len(latencies) == N_EVENTS * SUBSCRIBERS and receiver.refused == 0, (len(latencies), receiver.refused)
    assert len({(r.path, r.event_id) for r in receiver.received}) == len(receiver.received)  # each once
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    bench("webhook_delivery_p95_ms", p95, "ms")
    print(f"  ({N_EVENTS} events × {SUBSCRIBERS} subscribers, median {statistics.median(latencies):.0f} ms, "
          f"max {latencies[-1]:.0f} ms)")


if __name__ == "__main__":
    main()
