"""One rule for "overdue", and every view of it agrees: the case API's filter and field, the
map's case and grid layers, the GIS exports, the department workspace and the managers'
daily report, over the same cases, a suspended one past its deadline among them, and one the
department replied to (its handling clock stopped there: the check that follows has a time of
its own)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from maps.workspace import queue
from tests.builders import client_for, point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.kpi.reports import summary

pytestmark = pytest.mark.django_db


def _bbox(col0, row0, col1, row1) -> str:
    a, b = point_in(col0, row0), point_in(col1, row1)
    return f"{a.x:.6f},{a.y:.6f},{b.x:.6f},{b.y:.6f}"


WHOLE = _bbox(-1, -1, 7, 5)
HOUR = dt.timedelta(hours=1)


def _dispatched(people, category, col):
    case = report_case(people.inspector, category, col, 0.5)
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=people.handler.profile.department)


def _due(case, when) -> None:
    Case.objects.filter(pk=case.pk).update(due_at=when)


@pytest.fixture
def cases(people, category) -> dict[str, Case]:
    """One case of each kind that the rule must sort, in the handler's department where it
    has one, deadlines an hour away from now."""
    now = timezone.now()
    late = _dispatched(people, category, 0.5)
    on_time = _dispatched(people, category, 1.5)
    suspended = _dispatched(people, category, 2.5)
    suspended = services.suspend(people.dispatcher, suspended, version=suspended.version, reason="等待管线改造")
    replied = _dispatched(people, category, 3.5)
    replied = services.sign(people.handler, replied, version=replied.version)
    replied = services.handle(people.handler, replied, version=replied.version, reply="已清运")
    closed = report_case(people.inspector, category, 4.5, 0.5)
    closed = services.file(people.dispatcher, closed, version=closed.version)
    closed = services.close(people.dispatcher, closed, version=closed.version, reason="当场解决")
    no_deadline = report_case(people.inspector, category, 5.5, 0.5)
    for case in (late, suspended, replied, closed):
        _due(case, now - HOUR)
    _due(on_time, now + HOUR)
    return {"late": late, "on_time": on_time, "suspended": suspended, "replied": replied, "closed": closed,
            "no_deadline": no_deadline}


def test_a_suspended_case_is_never_overdue_and_every_view_agrees(people, cases):
    overdue = {cases["late"].pk}  # open, the clock running (not suspended, not replied to), past the deadline
    everyone = {case.pk for case in cases.values()}
    now = timezone.now()
    assert set(Case.objects.overdue(now).values_list("pk", flat=True)) == overdue
    assert set(Case.objects.not_overdue(now).values_list("pk", flat=True)) == everyone - overdue

    client = client_for(people.dispatcher)
    api = client.get("/api/v1/cases/", {"overdue": "true"}).json()
    assert {f["id"] for f in api["features"]} == overdue
    api_not = client.get("/api/v1/cases/", {"overdue": "false"}).json()
    assert {f["id"] for f in api_not["features"]} == everyone - overdue
    every = client.get("/api/v1/cases/").json()["features"]
    assert {f["id"] for f in every if f["properties"]["overdue"]} == overdue  # the serializer's field

    points = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 17, "open": "all"}).json()
    assert points["mode"] == "points"
    assert {f["id"] for f in points["features"] if f["properties"]["overdue"]} == overdue
    metric = client.get("/api/v1/map/grids/", {"bbox": WHOLE, "zoom": 17, "metric": "overdue"}).json()
    assert sum(f["properties"]["n"] for f in metric["features"]) == len(overdue)
    layer = client.get("/api/v1/map/cases/", {"bbox": WHOLE, "zoom": 17, "overdue": "true"}).json()
    assert {f["id"] for f in layer["features"]} == overdue

    exported = _export(client, "cases")
    codes = {case.code: case.pk for case in cases.values()}
    assert {codes[f["properties"]["code"]] for f in exported["features"] if f["properties"]["overdue"]} == overdue
    grids = _export(client, "grids")
    assert sum(f["properties"]["overdue"] for f in grids["features"]) == len(overdue)

    rows = [row for rows in queue(people.handler)["sections"].values() for row in rows]
    in_queue = {row["id"] for row in rows}
    assert cases["suspended"].pk in in_queue  # waiting on the command centre, but not late
    assert cases["replied"].pk in in_queue  # replied, waiting for its check: the department's part is done
    assert {row["id"] for row in rows if row["overdue"]} == overdue & in_queue == overdue

    report = summary("daily", timezone.localdate().isoformat())
    assert report["overdue_at_end"] == len(overdue)


def _export(client, layer: str) -> dict:
    response = client.get("/api/v1/map/export/", {"as": "geojson", "layer": layer, "open": "all"})
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def test_a_resumed_case_is_overdue_again(people, cases):
    suspended = cases["suspended"]
    services.resume(people.dispatcher, suspended, version=suspended.version)
    assert Case.objects.overdue(timezone.now()).filter(pk=suspended.pk).exists()
    api = client_for(people.dispatcher).get("/api/v1/cases/", {"overdue": "true"}).json()
    assert suspended.pk in {f["id"] for f in api["features"]}
