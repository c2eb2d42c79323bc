"""Tracks are kept settings.PATROL_TRACK_RETENTION_DAYS days; the patrols' totals stay."""

import datetime as dt
import uuid

from django.utils import timezone

from tests.patrols.tracks import walk
from urbanmgmt.cases import clock
from urbanmgmt.jobs.periodic import schedule
from urbanmgmt.jobs.worker import drain
from urbanmgmt.patrols import services
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint
from urbanmgmt.patrols.track import TrackGap


def _patrol_with_track(inspector, days_ago: int) -> Patrol:
    at = timezone.now() - dt.timedelta(days=days_ago)
    with clock.at(at + dt.timedelta(hours=1)):
        patrol = services.start(inspector, uuid.uuid4(), at).patrol
        services.ingest(inspector, patrol.client_id, walk(10, at),
                        [TrackGap(at + dt.timedelta(minutes=5), at + dt.timedelta(minutes=6), "no_fix")])
        services.end(inspector, patrol.client_id, at + dt.timedelta(minutes=30))
    return patrol


def test_the_periodic_job_deletes_old_tracks_and_keeps_the_totals(people, settings):
    settings.PATROL_TRACK_RETENTION_DAYS = 30
    old = _patrol_with_track(people.inspector, days_ago=31)
    recent = _patrol_with_track(people.inspector, days_ago=29)
    schedule()
    assert drain() >= 1
    assert list(PatrolPoint.objects.values_list("patrol", flat=True).distinct()) == [recent.pk]
    assert list(PatrolGap.objects.values_list("patrol", flat=True)) == [recent.pk]
    old.refresh_from_db()
    assert (old.point_count, round(old.distance_m), old.last_position) == (10, 90, None)
    assert old.ended_at is not None
    recent.refresh_from_db()
    assert recent.last_position is not None
