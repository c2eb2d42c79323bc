"""Benchmarks of the core (issue: foundation), on SpatiaLite, one process.

- grid_lookup_per_s: 100,000 random points in the demo layer's bounding box placed with
  grid_for_point, one call per point (the path every report takes).
- case_create_per_s: 20,000 services.report calls (grid lookup, case code, case, history
  event; each its own transaction).
- transition_per_s: file + dispatch (deadline in working time) on 5,000 of those cases.
"""

import random

from common import Timer, bench, load_demo_city, setup_django

N_POINTS, N_CASES, N_TRANSITION_CASES = 100_000, 20_000, 5_000


def main() -> None:
    setup_django("bench_core.sqlite3")
    load_demo_city()
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point

    from urbanmgmt.cases import services
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.errors import OutsideServiceArea
    from urbanmgmt.grids.models import Area
    from urbanmgmt.grids.services import grid_for_point, grid_index
    from urbanmgmt.org.models import Department

    inspector = User.objects.create_user("bench_inspector")
    inspector.groups.add(Group.objects.get(name="inspector"))
    dispatcher = User.objects.create_user("bench_dispatcher")
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))

    rng = random.Random(20261124)
    min_x, min_y, max_x, max_y = Area.objects.get(level="district").geom.extent
    points = [Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y), srid=4326) for _ in range(N_POINTS)]
    grid_index()  # built once per process, as in a server
    inside = 0
    with Timer() as timer:
        for point in points:
            try:
                grid_for_point(point)
                inside += 1
            except OutsideServiceArea:
                pass
    bench("grid_lookup_per_s", N_POINTS / timer.seconds, "lookups/s")
    print(f"  ({inside} of {N_POINTS} points inside the service area)")

    categories = list(Category.objects.filter(family="event"))
    inside_points = [p for p in points if grid_index().lookup(p.x, p.y)][:N_CASES]
    with Timer() as timer:
        for i, point in enumerate(inside_points):
            services.report(inspector, channel="inspector", point=point, category=categories[i % len(categories)],
                            description="基准测试上报", external_ref=f"bench-{i}")
    bench("case_create_per_s", len(inside_points) / timer.seconds, "cases/s")

    from urbanmgmt.cases.models import Case

    department = Department.objects.get(code="HZ-CGJ")
    cases = list(Case.objects.select_related("category").order_by("id")[:N_TRANSITION_CASES])
    with Timer() as timer:
        for case in cases:
            case = services.file(dispatcher, case, version=case.version)
            services.dispatch(dispatcher, case, version=case.version, department=department)
    bench("transition_per_s", 2 * len(cases) / timer.seconds, "transitions/s")


if __name__ == "__main__":
    main()
