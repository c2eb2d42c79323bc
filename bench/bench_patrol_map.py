"""Benchmark of the reading side of patrols (#18) on SpatiaLite: the demo city's 4,587 grids,
BENCH_PATROL_INSPECTORS inspectors (300) with 12 assigned grids each, and a month of patrols:
on every working day of last month two patrols of three hours (08:30–11:30, 14:00–17:00)
walking from grid to grid of their own at 1.2 m/s, a point every BENCH_PATROL_EVERY_S
seconds (60: a quarter of the phone's densest rate, PATROL_POINT_EVERY_S; the figure scales
with the points); plus, now, an open patrol per inspector with its last 20 minutes.

- patrol_layer_ms: maps.patrols.inspector_layer for a dispatcher (every inspector's last fix,
  state, outside their grids), median of 5;
- patrol_figures_ms: urbanmgmt.patrols.figures.period over last month for every inspector
  (patrol time, working-hours time, distance, grids visited, reports) once the month's grids
  visited are kept per day (kpi/daily.py); patrol_figures_first_ms: the first request, which
  counts them by the spatial join over every point and keeps them.
"""

import datetime as dt
import os
import statistics
import time
import uuid

import numpy as np
from common import Timer, bench, load_demo_city, setup_django

DB = "bench_patrol_map.sqlite3"
INSPECTORS = int(os.environ.get("BENCH_PATROL_INSPECTORS", 300))
EVERY_S = int(os.environ.get("BENCH_PATROL_EVERY_S", 60))
GRIDS_EACH = 12
SPEED = 1.2  # m/s
SHIFTS = ((dt.time(8, 30), dt.time(11, 30)), (dt.time(14, 0), dt.time(17, 0)))


def routes() -> list[tuple[object, np.ndarray]]:
    """(user, the centres of their grids in EPSG:32650, a closed walk) per inspector."""
    from django.contrib.auth.models import Group, User
    from pyproj import Transformer

    from urbanmgmt.grids.models import UnitGrid
    from urbanmgmt.org.models import Profile

    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    group = Group.objects.get(name="inspector")
    grids = list(UnitGrid.objects.order_by("code").only("id", "geom"))
    out = []
    for i in range(INSPECTORS):
        user = User.objects.create(username=f"patrol_{i:03d}", password="!")  # no hashing: nobody signs in
        user.groups.add(group)
        mine = grids[i * GRIDS_EACH % len(grids):][:GRIDS_EACH]
        Profile.objects.create(user=user, display_name=f"监督员{i:03d}").grids.set(mine)
        centres = np.array([to_utm.transform(*g.geom.point_on_surface.coords) for g in mine])
        out.append((user, np.vstack([centres, centres[:1]])))
    return out


def walk(route: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Positions (EPSG:32650) after `seconds` of walking the closed route at SPEED."""
    legs = np.hypot(*np.diff(route, axis=0).T)
    along = np.concatenate([[0], np.cumsum(legs)])
    s = (seconds * SPEED) % along[-1]
    return np.column_stack([np.interp(s, along, route[:, 0]), np.interp(s, along, route[:, 1])])


def patrols(people, now: dt.datetime) -> int:
    """Last month's patrols and today's open ones, written with a few bulk statements."""
    from django.db import connection
    from pyproj import Transformer

    from urbanmgmt.cases import worktime
    from urbanmgmt.patrols.models import Patrol

    to_wgs = Transformer.from_crs(32650, 4326, always_xy=True)
    zone = worktime.tz()
    first = (now.astimezone(zone).date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == first.month]
    spans = [(dt.datetime.combine(d, a, zone), dt.datetime.combine(d, b, zone)) for d in days if worktime.is_workday(d)
             for a, b in SHIFTS] + [(now - dt.timedelta(minutes=20), None)]
    total = 0
    for user, route in people:
        rows = []
        for started, ended in spans:
            end = ended or now
            seconds = np.arange(0, (end - started).total_seconds() + 1, EVERY_S)
            xy = walk(route, seconds + (started.timestamp() % 86400))
            lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
            distance = float(np.hypot(*np.diff(xy, axis=0).T).sum())
            patrol = Patrol.objects.create(
                inspector=user, client_id=uuid.uuid4(), started_at=started, ended_at=ended, point_count=len(seconds),
                distance_m=distance, last_seq=len(seconds), last_point_at=started + dt.timedelta(seconds=float(seconds[-1])),
                last_position=f"SRID=4326;POINT({lon[-1]} {lat[-1]})")
            base = started.astimezone(dt.UTC).replace(tzinfo=None)
            moments = [(base + dt.timedelta(seconds=float(t))).isoformat(" ") for t in seconds]
            rows += [(patrol.pk, i + 1, m, x, y, m) for i, (m, x, y) in enumerate(zip(moments, lon, lat, strict=True))]
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO patrols_patrolpoint (patrol_id, seq, recorded_at, position, accuracy_m, "
                               "received_at) VALUES (%s, %s, %s, MakePoint(%s, %s, 4326), 8, %s)", rows)
        total += len(rows)
    return total, days[0], days[-1]


def main() -> None:
    setup_django(DB)
    load_demo_city()
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone

    from maps.patrols import inspector_layer
    from urbanmgmt.patrols import figures

    now = timezone.now()
    with Timer() as made, transaction.atomic():
        people = routes()
        points, first, last = patrols(people, now)
    print(f"  ({INSPECTORS} inspectors, {points:,} points from {first} to {last}, written in {made.seconds:.0f} s)")
    dispatcher = User.objects.create(username="bench_dispatcher", password="!")
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        layer = inspector_layer(dispatcher)
        times.append((time.perf_counter() - started) * 1000)
    print(f"  (layer: {layer['counts']}, {layer['outside']} outside their grids)")
    bench("patrol_layer_ms", statistics.median(times), "ms")
    with Timer() as cold:
        figures.period(first, last)
    with Timer() as took:
        found = figures.period(first, last)
    mean = statistics.mean(p.attendance()[0] / p.attendance()[1] for p in found)
    print(f"  (figures: {len(found)} inspectors, mean 在岗率 {mean:.1%}; the first request, which counts and "
          f"keeps the month's grids visited: {cold.seconds:.1f} s)")
    bench("patrol_figures_ms", took.seconds * 1000, "ms")
    bench("patrol_figures_first_ms", cold.seconds * 1000, "ms")


if __name__ == "__main__":
    main()
