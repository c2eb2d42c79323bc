"""The dispatch map's patrol layers: each inspector's last fix and state, outside their
grids, and one inspector's track for a day, seen only by who may see tracks."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.builders import client_for, make_person
from tests.patrols.track import at, patrol
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.patrols.models import GapReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(people):
    """Five inspectors in five states a few minutes before now (the west street's grids are
    the first three columns of the test layer; the east street's the last three)."""
    now = timezone.now()
    west, east = UnitGrid.objects.filter(street__code="320706006"), UnitGrid.objects.filter(street__code="320706010")
    idle = make_person("idle", "inspector", grids=west)
    offline = make_person("offline", "inspector", grids=west)
    wanderer = make_person("wanderer", "inspector", grids=east)
    make_person("home", "inspector", grids=east)
    ago = lambda minutes: now - dt.timedelta(minutes=minutes)  # noqa: E731
    # moving: 100 m in the last minutes, inside the west street
    patrol(people.inspector, ago(60), points=[(ago(12), 0.5, 0.5), (ago(6), 1.5, 0.5), (ago(1), 1.5, 1.5)])
    # on patrol for an hour, every point of the last 20 minutes within ~10 m: idle
    patrol(idle, ago(60), points=[(ago(40), 2.5, 3.5), (ago(20), 0.5, 2.5), (ago(14), 0.55, 2.5), (ago(2), 0.5, 2.55)])
    # last point 30 minutes ago: offline
    patrol(offline, ago(90), points=[(ago(60), 0.5, 0.5), (ago(30), 1.5, 0.5)])
    # moving, but in the west street while assigned to the east: outside
    patrol(wanderer, ago(30), points=[(ago(8), 0.5, 0.5), (ago(1), 2.5, 0.5)])
    return now


def by_name(layer) -> dict:
    return {f["properties"]["username"]: f for f in layer["features"]}


def test_layer_states_and_outside(crew, people):
    answer = client_for(people.dispatcher).get("/api/v1/map/patrols/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/geo+json")
    layer = answer.json()
    found = by_name(layer)
    states = {name: f["properties"]["state"] for name, f in found.items()}
    assert states == {"inspector": "on_patrol", "idle": "idle", "offline": "offline", "wanderer": "on_patrol",
                      "home": "off_duty"}
    outside = {name: f["properties"]["outside"] for name, f in found.items()}
    assert outside == {"inspector": False, "idle": False, "offline": False, "wanderer": True, "home": None}
    assert layer["counts"] == {"on_patrol": 2, "idle": 1, "offline": 1, "off_duty": 1} and layer["outside"] == 1
    assert found["home"]["geometry"] is None
    last = found["inspector"]["properties"]["last_fix_at"]
    assert last.endswith("+08:00")  # the city's clock


def test_an_inspector_sees_only_themself_others_see_nothing(crew, people):
    mine = client_for(people.inspector).get("/api/v1/map/patrols/").json()
    assert [f["properties"]["username"] for f in mine["features"]] == ["inspector"]
    for who in (people.handler, people.analyst, people.outsider):
        assert client_for(who).get("/api/v1/map/patrols/").status_code == 403


@pytest.fixture
def day(people):
    """Two patrols of the inspector on 16 November 2026, the first with a locked screen
    between 09:00 and 10:00; a patrol of the day before that must not show."""
    d = "2026-11-16"
    patrol(people.inspector, at(d, "08:00"), at(d, "11:00"),
           points=[(at(d, "08:00"), 0.5, 0.5), (at(d, "08:30"), 1.5, 0.5), (at(d, "09:00"), 1.5, 1.5),
                   (at(d, "10:00"), 2.5, 1.5), (at(d, "11:00"), 2.5, 2.5)],
           gaps=[(at(d, "09:00"), at(d, "10:00"), GapReason.HIDDEN)])
    patrol(people.inspector, at(d, "14:00"), None, points=[(at(d, "14:00"), 0.5, 3.5), (at(d, "14:10"), 1.5, 3.5)])
    patrol(people.inspector, at("2026-11-15", "08:00"), at("2026-11-15", "09:00"),
           points=[(at("2026-11-15", "08:00"), 5.5, 3.5), (at("2026-11-15", "09:00"), 4.5, 3.5)])
    return d


def test_day_track_cut_at_the_gap_with_markers(day, people):
    answer = client_for(people.manager, "en").get("/api/v1/map/patrols/track/", {"inspector": "inspector", "day": day})
    assert answer.status_code == 200
    track = answer.json()
    kinds = [(f["properties"]["kind"], f["geometry"]["type"] if f["geometry"] else None) for f in track["features"]]
    assert kinds == [("run", "LineString"), ("run", "LineString"), ("gap", "LineString"), ("start", "Point"),
                     ("end", "Point"), ("run", "LineString"), ("start", "Point"), ("last", "Point")]
    first_run, second_run, gap = track["features"][:3]
    assert len(first_run["geometry"]["coordinates"]) == 3 and len(second_run["geometry"]["coordinates"]) == 2
    # the dashed gap joins the last fix before it to the first after it, and says why
    assert gap["geometry"]["coordinates"] == [first_run["geometry"]["coordinates"][-1],
                                              second_run["geometry"]["coordinates"][0]]
    assert gap["properties"]["reason"] == "hidden" and gap["properties"]["reason_label"].startswith("Screen locked")
    assert gap["properties"]["from"] == "2026-11-16T09:00:00+08:00"
    assert len(track["patrols"]) == 2  # not the day before's


def test_day_track_visibility(day, people):
    params = {"inspector": "inspector", "day": day}
    assert client_for(people.inspector).get("/api/v1/map/patrols/track/", params).status_code == 200
    other = make_person("other", "inspector")
    assert client_for(other).get("/api/v1/map/patrols/track/", params).status_code == 404
    for who in (people.handler, people.outsider, people.analyst):
        assert client_for(who).get("/api/v1/map/patrols/track/", params).status_code == 403
    bad = client_for(people.dispatcher).get("/api/v1/map/patrols/track/", {"inspector": "inspector", "day": "16/11"})
    assert bad.status_code == 400
