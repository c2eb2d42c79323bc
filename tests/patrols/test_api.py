"""The patrols' API: only the inspector writes their patrol; reads follow visible_to."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.builders import make_person
from tests.patrols.tracks import as_json, started, walk
from urbanmgmt.cases import clock
from urbanmgmt.patrols import services
from urbanmgmt.patrols.models import Patrol, PatrolPoint

URL = "/api/v1/patrols/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_inspector_starts_sends_points_twice_and_ends_a_patrol(people):
    phone = client_for(people.inspector)
    client_id = str(uuid.uuid4())
    started_at = timezone.now() - dt.timedelta(minutes=10)
    first = phone.post(URL, {"client_id": client_id, "started_at": started_at.isoformat()}, format="json")
    again = phone.post(URL, {"client_id": client_id}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["ended_previous"] is None
    batch = {"points": as_json(walk(20, started_at)), "gaps": [
        {"from": (started_at + dt.timedelta(seconds=200)).isoformat(), "to": (started_at + dt.timedelta(seconds=260)).isoformat(),
         "reason": "hidden"}]}
    sent = phone.post(f"{URL}{client_id}/points/", batch, format="json")
    resent = phone.post(f"{URL}{client_id}/points/", batch, format="json")
    assert sent.status_code == resent.status_code == 200, sent.json()
    assert (sent.json()["stored"], sent.json()["gaps_stored"]) == (20, 1)
    assert (resent.json()["stored"], resent.json()["duplicates"], resent.json()["gaps_stored"]) == (0, 20, 0)
    assert resent.json()["patrol"]["point_count"] == 20
    ended = phone.post(f"{URL}{client_id}/end/", {}, format="json")
    assert ended.status_code == 200 and not ended.json()["open"]
    assert phone.post(f"{URL}{client_id}/end/", {}, format="json").json()["ended_at"] == ended.json()["ended_at"]
    track = phone.get(f"{URL}{client_id}/").json()
    assert [p["seq"] for p in track["points"]] == list(range(1, 21))
    assert [g["reason"] for g in track["gaps"]] == ["hidden"] and track["gaps"][0]["reason_display"]
    assert track["distance_m"] == pytest.approx(190, abs=1)


def test_each_refused_point_comes_back_with_its_reason_in_the_users_language(people):
    patrol = started(people.inspector)
    points = as_json(walk(2, patrol.started_at)) + [{"seq": "x"}, {"seq": 9, "t": timezone.now().isoformat(),
                                                                  "lon": 0.0, "lat": 0.0, "accuracy_m": 5}]
    answer = client_for(people.inspector).post(f"{URL}{patrol.client_id}/points/", {"points": points}, format="json",
                                               HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = answer.json()
    assert answer.status_code == 200 and body["stored"] == 2
    assert [(r["index"], r["code"]) for r in body["refused"]] == [(2, "invalid"), (3, "outside_city")]
    assert body["refused"][1]["message"] == "在城市范围之外。"


def test_a_batch_over_the_limit_is_a_clear_400(people, settings):
    settings.PATROL_BATCH_MAX_POINTS = 5
    patrol = started(people.inspector)
    answer = client_for(people.inspector).post(f"{URL}{patrol.client_id}/points/",
                                               {"points": as_json(walk(6, patrol.started_at))}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "too_many_points"
    assert "5" in answer.json()["detail"] and "6" in answer.json()["detail"]
    assert not PatrolPoint.objects.exists()


def test_a_body_that_is_no_batch_is_a_400(people):
    patrol = started(people.inspector)
    phone = client_for(people.inspector)
    for body in ([], {"points": {"seq": 1}}, {"points": [], "gaps": "none"}, "points"):
        answer = phone.post(f"{URL}{patrol.client_id}/points/", body, format="json")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid", body


def test_only_the_inspector_themself_writes_their_patrol(people):
    patrol = started(people.inspector)
    other = make_person("inspector2", "inspector")
    points = {"points": as_json(walk(2, patrol.started_at))}
    assert client_for(other).post(f"{URL}{patrol.client_id}/points/", points, format="json").status_code == 403
    assert client_for(other).post(f"{URL}{patrol.client_id}/end/", {}, format="json").status_code == 403
    for user in (people.dispatcher, people.manager, people.handler):
        assert client_for(user).post(f"{URL}{patrol.client_id}/points/", points, format="json").status_code == 403
        assert client_for(user).post(URL, {"client_id": str(uuid.uuid4())}, format="json").status_code == 403
    assert APIClient().post(f"{URL}{patrol.client_id}/points/", points, format="json").status_code in (401, 403)
    assert not PatrolPoint.objects.exists() and Patrol.objects.count() == 1


def test_a_track_is_seen_by_its_inspector_and_the_command_centre_only(people):
    patrol = started(people.inspector)
    url = f"{URL}{patrol.client_id}/"
    for user in (people.inspector, people.dispatcher, people.manager, people.admin):
        assert client_for(user).get(url).status_code == 200, user
    for user in (make_person("inspector2", "inspector"), people.handler, people.analyst, people.outsider):
        assert client_for(user).get(url).status_code == 404, user


def test_my_patrols_and_today_list_only_mine(people):
    mine = started(people.inspector, minutes_ago=5)
    started(make_person("inspector2", "inspector"))
    phone = client_for(people.inspector)
    assert [p["client_id"] for p in phone.get(URL).json()["results"]] == [str(mine.client_id)]
    today = phone.get(f"{URL}today/").json()
    assert today["open"]["client_id"] == str(mine.client_id)
    assert [p["client_id"] for p in today["patrols"]] == [str(mine.client_id)]
    assert today["totals"]["duration_s"] >= 299
    assert client_for(people.dispatcher).get(URL).json()["results"] == []


def city_time(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=timezone.get_default_timezone())


def test_today_lists_a_night_patrol_across_midnight_on_the_new_day(people):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    phone = client_for(people.inspector)
    with clock.at(city_time(yesterday, "22:00")):
        earlier = started(people.inspector, minutes_ago=60)
        services.end(people.inspector, earlier.client_id)
    with clock.at(city_time(yesterday, "23:40")):
        night = started(people.inspector, minutes_ago=0)
    with clock.at(city_time(yesterday, "23:59")):
        assert [p["client_id"] for p in phone.get(f"{URL}today/").json()["patrols"]] == [str(earlier.client_id),
                                                                                       str(night.client_id)]
    with clock.at(city_time(timezone.localdate(), "00:10")):
        today = phone.get(f"{URL}today/").json()
    assert [p["client_id"] for p in today["patrols"]] == [str(night.client_id)]
    assert today["open"]["client_id"] == str(night.client_id) and today["totals"]["duration_s"] >= 30 * 60


def test_the_lists_and_a_track_take_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    morning = city_time(timezone.localdate() - dt.timedelta(days=1), "09:00")  # one day, whatever the hour now
    for i in range(5):
        with clock.at(morning + dt.timedelta(minutes=10 * i + 6)):
            patrol = started(people.inspector, minutes_ago=6)
            client_for(people.inspector).post(f"{URL}{patrol.client_id}/points/",
                                              {"points": as_json(walk(30, patrol.started_at))}, format="json")
    with clock.at(morning + dt.timedelta(hours=1)):
        phone, centre = client_for(people.inspector), client_for(people.dispatcher)
        with django_assert_max_num_queries(4):
            assert len(phone.get(URL).json()["results"]) == 5
        with django_assert_max_num_queries(5):
            assert len(phone.get(f"{URL}today/").json()["patrols"]) == 5
        with django_assert_max_num_queries(6):
            assert len(centre.get(f"{URL}{patrol.client_id}/").json()["points"]) == 30


def test_each_refused_gap_is_named_by_its_place_in_the_batch(people):
    """A malformed gap before one outside the patrol must not shift the latter's index."""
    patrol = started(people.inspector)
    after = lambda minutes: (patrol.started_at + dt.timedelta(minutes=minutes)).isoformat()  # noqa: E731
    gaps = [{"from": after(1), "to": after(2), "reason": "hidden"},
            {"from": "yesterday", "to": after(3), "reason": "hidden"},
            {"from": after(-30), "to": after(-20), "reason": "no_fix"},  # before the patrol started
            {"from": after(4), "to": after(5), "reason": "no_fix"}]
    body = client_for(people.inspector).post(f"{URL}{patrol.client_id}/points/", {"points": [], "gaps": gaps},
                                             format="json").json()
    assert body["gaps_stored"] == 2
    assert [(r["index"], r["code"]) for r in body["gaps_refused"]] == [(1, "invalid"), (2, "outside_patrol")]


def test_a_number_too_large_for_a_float_is_refused_not_a_500(people):
    patrol = started(people.inspector)
    point = {"seq": 1, "t": timezone.now().isoformat(), "lon": 10**400, "lat": 34.6, "accuracy_m": 5}
    answer = client_for(people.inspector).post(f"{URL}{patrol.client_id}/points/", {"points": [point]}, format="json")
    assert answer.status_code == 200 and [r["code"] for r in answer.json()["refused"]] == ["invalid"]
