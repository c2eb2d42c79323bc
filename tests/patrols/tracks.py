"""Building blocks of the patrol tests: a walk through the test city's grids, as the phone sends it."""

import datetime as dt
import uuid

from tests.builders import TO_WGS, X0, Y0
from urbanmgmt.cases import clock
from urbanmgmt.patrols import services
from urbanmgmt.patrols.track import TrackPoint


def walk(n: int, start: dt.datetime, first_seq: int = 1, step_m: float = 10.0, every_s: float = 10.0,
         accuracy_m: float = 8.0) -> list[TrackPoint]:
    """n fixes walking east along the test layer's south row, `step_m` apart, `every_s` apart."""
    points = []
    for i in range(n):
        lon, lat = TO_WGS.transform(X0 + 50 + (first_seq - 1 + i) * step_m, Y0 + 50)
        points.append(TrackPoint(first_seq + i, start + dt.timedelta(seconds=(first_seq - 1 + i) * every_s),
                                 lon, lat, accuracy_m))
    return points


def as_json(points: list[TrackPoint]) -> list[dict]:
    return [{"seq": p.seq, "t": p.recorded_at.isoformat(), "lon": p.lon, "lat": p.lat, "accuracy_m": p.accuracy_m}
            for p in points]


def started(inspector, minutes_ago: float = 30):
    """A patrol of `inspector` that started `minutes_ago`."""
    return services.start(inspector, uuid.uuid4(), clock.now() - dt.timedelta(minutes=minutes_ago)).patrol
