"""Benchmark of the patrol point ingest (issue #18) on SpatiaLite.

- track_points_per_s: points stored a second through urbanmgmt.patrols.services.ingest, in
  batches as 城管通's outbox sends them (BENCH_PATROL_BATCH points, 100 by default) by
  BENCH_PATROL_INSPECTORS inspectors walking the demo city, each batch sent twice (the
  phone did not see the first answer), so half of what arrives is already stored. Counts
  the points that arrive (sent and re-sent) over the wall time of all the calls, the
  refusal checks, the duplicate read, the insert and the patrol's UPDATE included.
"""

import datetime as dt
import os
import uuid

from common import Timer, bench, load_demo_city, setup_django

DB = "bench_patrols.sqlite3"
BATCH = int(os.environ.get("BENCH_PATROL_BATCH", "100"))
INSPECTORS = int(os.environ.get("BENCH_PATROL_INSPECTORS", "20"))
BATCHES = int(os.environ.get("BENCH_PATROL_BATCHES", "20"))  # per inspector


def main() -> None:
    setup_django(DB)
    load_demo_city()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from urbanmgmt.grids.models import UnitGrid
    from urbanmgmt.patrols import services
    from urbanmgmt.patrols.models import PatrolPoint
    from urbanmgmt.patrols.track import TrackPoint

    group = Group.objects.get(name="inspector")
    centre = UnitGrid.objects.order_by("code").first().geom.centroid
    start = timezone.now() - dt.timedelta(hours=6)
    walks = []
    for i in range(INSPECTORS):
        user = get_user_model().objects.create_user(f"bench-patrol-{i}")
        user.groups.add(group)
        patrol = services.start(user, uuid.uuid4(), start).patrol
        # About 1.3 m/s east and back along a 1.3 km street near the city's first grid, a fix every 5 s.
        track = [TrackPoint(n + 1, start + dt.timedelta(seconds=5 * n), centre.x + 7e-5 * min(n % 400, 400 - n % 400),
                            centre.y + 1e-4 * i, 6.0) for n in range(BATCH * BATCHES)]
        walks.append((user, patrol.client_id, [track[b:b + BATCH] for b in range(0, len(track), BATCH)]))
    sent = 0
    with Timer() as timer:
        for b in range(BATCHES):
            for user, client_id, batches in walks:
                for _ in range(2):  # each batch arrives twice
                    services.ingest(user, client_id, batches[b])
                    sent += len(batches[b])
    stored = PatrolPoint.objects.count()
    assert stored == INSPECTORS * BATCHES * BATCH, stored
    print(f"  ({sent:,} points sent in batches of {BATCH}, {stored:,} stored, {timer.seconds:.2f} s)")
    bench("track_points_per_s", sent / timer.seconds, "points/s")


if __name__ == "__main__":
    main()
