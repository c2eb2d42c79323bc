"""Patrols as background work: the retention of tracks (settings.PERIODIC_JOBS enqueues it
every PATROL_RETENTION_SWEEP_S seconds, urbanmgmt/jobs/periodic.py)."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from urbanmgmt.cases import clock
from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint

CHUNK = 200  # patrols a transaction: a day of a city's tracks is ~1,000 patrols, ~500,000 points


def prune(now: dt.datetime | None = None) -> dict:
    """Delete the track (points and gaps) of every patrol that started more than
    settings.PATROL_TRACK_RETENTION_DAYS days ago, and forget its last position.

    The patrol row stays with its times and totals (points, metres): the managers' figures
    of the year (patrol time, distance, attendance) need them, and they say nothing of where
    the inspector was. Returns the numbers deleted."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.PATROL_TRACK_RETENTION_DAYS)
    done = {"points": 0, "gaps": 0}
    while True:
        # Whole tracks at once (a patrol spans a day at most), a chunk of patrols a transaction.
        ids = set(PatrolPoint.objects.filter(patrol__started_at__lt=cutoff).values_list("patrol_id", flat=True)[:CHUNK * 50])
        ids |= set(PatrolGap.objects.filter(patrol__started_at__lt=cutoff).values_list("patrol_id", flat=True)[:CHUNK])
        if not ids:
            break
        chunk = sorted(ids)[:CHUNK]
        with transaction.atomic():
            done["points"] += PatrolPoint.objects.filter(patrol_id__in=chunk).delete()[0]
            done["gaps"] += PatrolGap.objects.filter(patrol_id__in=chunk).delete()[0]
    done["positions"] = Patrol.objects.filter(started_at__lt=cutoff, last_position__isnull=False).update(last_position=None)
    return done


@background()
def prune_tracks(job: Job) -> dict:
    """Delete the tracks past their retention (prune)."""
    return prune()
