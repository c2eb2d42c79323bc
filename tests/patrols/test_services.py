"""The patrol services: idempotent start, end and point ingest; refusals; the running totals."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.builders import make_person
from tests.patrols.tracks import started, walk
from urbanmgmt.errors import InvalidInput, NotAllowed
from urbanmgmt.patrols import services
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint
from urbanmgmt.patrols.track import TrackGap, TrackPoint


def test_a_start_sent_twice_starts_one_patrol(people):
    client_id = uuid.uuid4()
    first = services.start(people.inspector, client_id)
    again = services.start(people.inspector, client_id)
    assert first.created and not again.created
    assert again.patrol.pk == first.patrol.pk
    assert Patrol.objects.count() == 1


def test_a_new_start_ends_the_open_patrol_at_its_last_point(people):
    old = started(people.inspector, minutes_ago=120)
    services.ingest(people.inspector, old.client_id, walk(3, old.started_at))
    result = services.start(people.inspector, uuid.uuid4())
    old.refresh_from_db()
    assert result.created and result.ended_previous.pk == old.pk
    assert old.ended_at == old.last_point_at == old.started_at + dt.timedelta(seconds=20)
    assert Patrol.objects.open().get() == result.patrol


def test_a_late_start_older_than_the_open_patrol_is_refused(people):
    running = started(people.inspector, minutes_ago=10)
    with pytest.raises(services.PatrolConflict):
        services.start(people.inspector, uuid.uuid4(), timezone.now() - dt.timedelta(minutes=20))
    assert list(Patrol.objects.open()) == [running]


def test_a_start_in_the_future_is_refused(people):
    with pytest.raises(InvalidInput):
        services.start(people.inspector, uuid.uuid4(), timezone.now() + dt.timedelta(hours=1))
    assert not Patrol.objects.exists()


def test_someone_elses_client_id_is_refused(people):
    patrol = started(people.inspector)
    other = make_person("inspector2", "inspector")
    with pytest.raises(NotAllowed):
        services.start(other, patrol.client_id)
    with pytest.raises(NotAllowed):
        services.ingest(other, patrol.client_id, walk(2, patrol.started_at))
    with pytest.raises(NotAllowed):
        services.end(other, patrol.client_id)
    assert not PatrolPoint.objects.exists()


def test_an_end_sent_twice_ends_once_and_never_before_the_last_point(people):
    patrol = started(people.inspector)
    services.ingest(people.inspector, patrol.client_id, walk(5, patrol.started_at))
    first = services.end(people.inspector, patrol.client_id, patrol.started_at + dt.timedelta(seconds=10))
    again = services.end(people.inspector, patrol.client_id)
    assert first.ended_at == again.ended_at == patrol.started_at + dt.timedelta(seconds=40)


def test_a_batch_sent_twice_stores_each_point_once(people):
    patrol = started(people.inspector)
    batch = walk(50, patrol.started_at)
    first = services.ingest(people.inspector, patrol.client_id, batch)
    again = services.ingest(people.inspector, patrol.client_id, batch[25:] + walk(10, patrol.started_at, first_seq=51))
    assert (first.stored, first.duplicates, again.stored, again.duplicates) == (50, 0, 10, 25)
    patrol.refresh_from_db()
    assert PatrolPoint.objects.filter(patrol=patrol).count() == patrol.point_count == 60
    assert patrol.last_seq == 60
    assert patrol.distance_m == pytest.approx(590, abs=1)


def test_distance_is_the_same_whatever_order_batches_arrive_in(people):
    patrol = started(people.inspector)
    track = walk(30, patrol.started_at)
    services.ingest(people.inspector, patrol.client_id, track[20:])
    services.ingest(people.inspector, patrol.client_id, track[:10])
    services.ingest(people.inspector, patrol.client_id, track[10:20])
    patrol.refresh_from_db()
    assert patrol.distance_m == pytest.approx(290, abs=1)
    assert (patrol.last_seq, patrol.point_count) == (30, 30)
    assert patrol.last_point_at == track[-1].recorded_at


def test_a_jump_of_impossible_speed_is_stored_but_not_walked(people):
    patrol = started(people.inspector)
    track = walk(5, patrol.started_at)
    far = track[2]
    track[2] = TrackPoint(far.seq, far.recorded_at, far.lon + 0.02, far.lat, far.accuracy_m)  # ~1.8 km in 10 s
    services.ingest(people.inspector, patrol.client_id, track)
    patrol.refresh_from_db()
    assert patrol.point_count == 5
    assert patrol.distance_m == pytest.approx(20, abs=1)  # the two steps next to the jump are left out


def test_implausible_points_are_refused_each_with_its_reason(people, settings):
    patrol = started(people.inspector, minutes_ago=5)
    good = walk(1, patrol.started_at)[0]
    t0 = patrol.started_at

    def at(seq, **change):
        values = {"seq": seq, "recorded_at": good.recorded_at, "lon": good.lon, "lat": good.lat, "accuracy_m": 5.0}
        return TrackPoint(**{**values, **change})

    batch = [at(1), at(2, recorded_at=t0 - dt.timedelta(seconds=1)), at(3, recorded_at=timezone.now() + dt.timedelta(hours=1)),
             at(4, lon=good.lon + 1), at(5, accuracy_m=settings.PATROL_ACCURACY_MAX_M + 1), at(6, accuracy_m=None)]
    result = services.ingest(people.inspector, patrol.client_id, batch)
    assert result.stored == 1
    assert [(r.seq, r.code) for r in result.refused] == [
        (2, "before_start"), (3, "future"), (4, "outside_city"), (5, "inaccurate"), (6, "inaccurate")]
    assert all(r.message for r in result.refused)
    services.end(people.inspector, patrol.client_id, t0 + dt.timedelta(seconds=30))
    late = services.ingest(people.inspector, patrol.client_id, [at(7, recorded_at=t0 + dt.timedelta(seconds=60))])
    assert [r.code for r in late.refused] == ["after_end"]
    assert PatrolPoint.objects.count() == 1


def test_a_batch_over_the_limit_is_refused_whole(people, settings):
    settings.PATROL_BATCH_MAX_POINTS = 10
    patrol = started(people.inspector)
    with pytest.raises(services.TooManyPoints):
        services.ingest(people.inspector, patrol.client_id, walk(11, patrol.started_at))
    assert not PatrolPoint.objects.exists()


def test_gaps_are_stored_once_and_only_within_the_patrol(people):
    patrol = started(people.inspector)
    t0 = patrol.started_at
    gap = TrackGap(t0 + dt.timedelta(minutes=1), t0 + dt.timedelta(minutes=6), "hidden")
    before = TrackGap(t0 - dt.timedelta(minutes=5), t0 + dt.timedelta(minutes=1), "no_fix")
    first = services.ingest(people.inspector, patrol.client_id, [], [gap, before])
    again = services.ingest(people.inspector, patrol.client_id, [], [gap])
    assert (first.gaps_stored, len(first.gaps_refused), again.gaps_stored) == (1, 1, 0)
    assert list(PatrolGap.objects.values_list("reason", flat=True)) == ["hidden"]


def test_points_of_an_unknown_patrol_are_refused(people):
    with pytest.raises(services.PatrolNotFound):
        services.ingest(people.inspector, uuid.uuid4(), walk(1, timezone.now()))
