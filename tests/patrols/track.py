"""A small builder of patrols for the reading side's tests: a patrol with its points and gaps,
its running totals set as the ingest keeps them (urbanmgmt/patrols/models.py)."""

import datetime as dt
import math
import uuid

from tests.builders import TO_UTM, point_in
from urbanmgmt.cases.compiled import inserted
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint

CITY = dt.timezone(dt.timedelta(hours=8))
# The days of the hand-computed example (tests/patrols/conftest.py): a working Monday and a
# Tuesday the example makes a holiday.
MON, TUE = dt.date(2026, 11, 16), dt.date(2026, 11, 17)


def at(day: str, hhmm: str) -> dt.datetime:
    """A moment on the city's clock: at('2026-11-16', '08:30')."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=CITY)


def metres(a, b) -> float:
    (x1, y1), (x2, y2) = TO_UTM.transform(a.x, a.y), TO_UTM.transform(b.x, b.y)
    return math.hypot(x2 - x1, y2 - y1)


def patrol(inspector, started_at, ended_at=None, points=(), gaps=()) -> Patrol:
    """A patrol; `points`: [(moment, col, row)] on the test layer's lattice; `gaps`:
    [(from, to, reason)]."""
    fixes = [(moment, point_in(col, row)) for moment, col, row in points]
    distance = sum(metres(a[1], b[1]) for a, b in zip(fixes, fixes[1:], strict=False))
    made = Patrol.objects.create(
        inspector=inspector, client_id=uuid.uuid4(), started_at=started_at, ended_at=ended_at,
        point_count=len(fixes), distance_m=distance, last_seq=len(fixes),
        last_point_at=fixes[-1][0] if fixes else None, last_position=fixes[-1][1] if fixes else None)
    stored = PatrolPoint.objects.bulk_create([PatrolPoint(patrol=made, seq=i, recorded_at=moment, position=point,
                                                          accuracy_m=5, received_at=moment)
                                              for i, (moment, point) in enumerate(fixes, 1)])
    inserted(PatrolPoint, stored)  # as the ingest's INSERT does (the managers' stored days)
    PatrolGap.objects.bulk_create([PatrolGap(patrol=made, started_at=a, ended_at=b, reason=why) for a, b, why in gaps])
    return made
