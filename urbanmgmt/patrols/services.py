"""The one way to write patrols: start, end, and the ingest of the phone's points and gaps.

Every call is idempotent, because the phone's outbox sends again whatever it did not see
answered: a start by the phone's `client_id`, an end by its patrol, a point by (patrol, seq),
a gap by (patrol, start). The ingest refuses, point by point with a reason, what cannot be a
true fix of this patrol (outside its time window, in the future, far outside the city, less
accurate than settings.PATROL_ACCURACY_MAX_M) and keeps the patrol's running totals in one
UPDATE per batch, so readers never walk the track to learn its length.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urbanmgmt.cases import clock
from urbanmgmt.cases.compiled import RowInserter, Values, ewkt_point
from urbanmgmt.errors import DomainError, InvalidInput, NotAllowed
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint
from urbanmgmt.patrols.track import Refusal, TrackGap, TrackPoint, Window, city_extent, gap_refusal, length_m, refusal

_POINT_ROWS = RowInserter(PatrolPoint)


class PatrolNotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = gettext_lazy("No patrol with this id: start it first.")


class TooManyPoints(DomainError):
    status = 400
    code = "too_many_points"
    default_message = gettext_lazy("A batch may carry at most %(max)s points; this one has %(n)s. Send them in smaller batches.")


class PatrolConflict(DomainError):
    status = 409
    code = "patrol_conflict"


@dataclass
class IngestResult:
    patrol: Patrol
    stored: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)
    gaps_stored: int = 0
    gaps_refused: list[Refusal] = field(default_factory=list)


@dataclass
class StartResult:
    patrol: Patrol
    created: bool
    ended_previous: Patrol | None = None


def _skew() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PATROL_CLOCK_SKEW_S)


def _check_moment(moment: dt.datetime, now: dt.datetime) -> None:
    if moment > now + _skew():
        raise InvalidInput(_("The time %(moment)s lies in the future: check the phone's clock."),
                           moment=timezone.localtime(moment).isoformat(sep=" ", timespec="minutes"))
    if moment < now - dt.timedelta(days=settings.PATROL_TRACK_RETENTION_DAYS):
        raise InvalidInput(_("The time %(moment)s lies before the days tracks are kept (%(days)s days)."),
                           moment=timezone.localtime(moment).date().isoformat(), days=settings.PATROL_TRACK_RETENTION_DAYS)


def _own(inspector, client_id: uuid.UUID, lock: bool = False) -> Patrol:
    rows = Patrol.objects.select_for_update() if lock else Patrol.objects
    patrol = rows.filter(client_id=client_id).first()
    if patrol is None:
        raise PatrolNotFound()
    if patrol.inspector_id != inspector.pk:
        raise NotAllowed(_("This patrol belongs to another inspector: only they record it."))
    return patrol


def start(inspector, client_id: uuid.UUID, started_at: dt.datetime | None = None) -> StartResult:
    """Start the inspector's patrol chosen by the phone's `client_id` (a resend answers the
    same patrol, created=False).

    An inspector who presses "start" means to patrol now: a patrol still open from earlier
    (another phone, the app's data cleared, forgotten yesterday) is ended at its last point
    (or its start when it has none), never later, so no time is invented; it is answered as
    `ended_previous`. A start older than the open patrol (a late resend from another phone)
    is refused instead, since ending the newer patrol would cut a patrol still running."""
    now = clock.now()
    started_at = started_at or now
    _check_moment(started_at, now)
    existing = Patrol.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.inspector_id != inspector.pk:
            raise NotAllowed(_("This patrol belongs to another inspector: only they record it."))
        return StartResult(existing, False)
    try:
        with transaction.atomic():
            ended = _end_abandoned(inspector, started_at)
            patrol = Patrol.objects.create(inspector=inspector, client_id=client_id, started_at=started_at)
    except IntegrityError:  # a racing resend of the same start, or another start at the same moment
        existing = Patrol.objects.filter(client_id=client_id, inspector=inspector).first()
        if existing is None:
            raise PatrolConflict(_("Another patrol was started at the same moment: try again.")) from None
        return StartResult(existing, False)
    return StartResult(patrol, True, ended)


def _end_abandoned(inspector, started_at: dt.datetime) -> Patrol | None:
    previous = Patrol.objects.select_for_update().filter(inspector=inspector, ended_at__isnull=True).first()
    if previous is None:
        return None
    if started_at <= previous.started_at:
        raise PatrolConflict(_("A later patrol, started at %(time)s, is still running: end it first."),
                             time=timezone.localtime(previous.started_at).strftime("%Y-%m-%d %H:%M"))
    previous.ended_at = max(previous.started_at, min(previous.last_point_at or previous.started_at, started_at))
    Patrol.objects.filter(pk=previous.pk).update(ended_at=previous.ended_at)
    return previous


def end(inspector, client_id: uuid.UUID, ended_at: dt.datetime | None = None) -> Patrol:
    """End the inspector's patrol (idempotent: an ended patrol is answered as it is).

    The end is never before the patrol's last stored point: points are only recorded during
    a patrol, so a phone clock a little behind moves the end, never the track."""
    now = clock.now()
    ended_at = ended_at or now
    with transaction.atomic():
        patrol = _own(inspector, client_id, lock=True)
        if patrol.ended_at is not None:
            return patrol
        _check_moment(ended_at, now)
        if ended_at < patrol.started_at:
            raise InvalidInput(_("A patrol cannot end before it started (%(time)s)."),
                               time=timezone.localtime(patrol.started_at).strftime("%Y-%m-%d %H:%M:%S"))
        patrol.ended_at = max(ended_at, patrol.last_point_at or ended_at)
        Patrol.objects.filter(pk=patrol.pk).update(ended_at=patrol.ended_at)
    return patrol




def ingest(inspector, client_id: uuid.UUID, points: Sequence[TrackPoint], gaps: Sequence[TrackGap] = ()) -> IngestResult:
    """Store a batch of the inspector's points and gaps of their patrol, each once.

    A point already stored (same seq) counts as a duplicate, whatever it carries now; one
    that cannot be a fix of this patrol (track.refusal) is refused with its reason, the rest
    of the batch is stored (a refusal's index is the point's place in `points`). The
    patrol's totals and last point move in the same transaction."""
    if len(points) > settings.PATROL_BATCH_MAX_POINTS:
        raise TooManyPoints(max=settings.PATROL_BATCH_MAX_POINTS, n=len(points))
    now = clock.now()
    with transaction.atomic():
        patrol = _own(inspector, client_id, lock=True)
        window = Window(start=patrol.started_at, end=patrol.ended_at or now + _skew(), latest=now + _skew(),
                        extent=city_extent(), accuracy_max_m=settings.PATROL_ACCURACY_MAX_M)
        result = IngestResult(patrol)
        fresh = _fresh_points(patrol, points, window, result)
        if fresh:
            # The compiled INSERT of cases/compiled.py: bulk_create would build a model and a
            # GEOS point a row, which costs more than SQLite takes to store it.
            _POINT_ROWS.insert_many([Values(patrol_id=patrol.pk, seq=p.seq, recorded_at=p.recorded_at,
                                            position=ewkt_point(p.lon, p.lat), accuracy_m=p.accuracy_m, received_at=now)
                                     for p in fresh], ignore_conflicts=True)
            _move_totals(patrol, fresh)
        _store_gaps(patrol, gaps, window, result)
    return result


def _fresh_points(patrol: Patrol, points: Sequence[TrackPoint], window: Window, result: IngestResult) -> list[TrackPoint]:
    """The plausible points of the batch not stored yet, in seq order (refusals and
    duplicates noted on `result`)."""
    plausible: dict[int, TrackPoint] = {}
    for index, point in enumerate(points):
        why = refusal(point, window)
        if why is not None:
            result.refused.append(Refusal(index, point.seq, *why))
        elif point.seq in plausible:
            result.duplicates += 1
        else:
            plausible[point.seq] = point
    if plausible:
        # One range read on the (patrol, seq) unique index, not one parameter a point.
        stored = set(PatrolPoint.objects.filter(patrol_id=patrol.pk, seq__gte=min(plausible), seq__lte=max(plausible))
                     .values_list("seq", flat=True))
        again = stored & plausible.keys()
        for seq in again:
            del plausible[seq]
        result.duplicates += len(again)
    result.stored = len(plausible)
    return [plausible[seq] for seq in sorted(plausible)]


def _move_totals(patrol: Patrol, fresh: list[TrackPoint]) -> None:
    """One UPDATE: the count, the length and the last point. A batch older than the last
    stored point (the outbox sent a retried batch after a later one) has the whole track
    measured again, so the length is the same in whatever order batches arrive."""
    last = fresh[-1]
    if patrol.last_seq and fresh[0].seq < patrol.last_seq:
        track = [(p.x, p.y, t) for p, t in PatrolPoint.objects.filter(patrol_id=patrol.pk).order_by("seq")
                 .values_list("position", "recorded_at")]
        # bulk_create with ignore_conflicts stored them already: the read sees them.
        patrol.distance_m = length_m(track)
    else:
        before = [(patrol.last_position.x, patrol.last_position.y, patrol.last_point_at)] if patrol.last_seq else []
        patrol.distance_m += length_m(before + [(p.lon, p.lat, p.recorded_at) for p in fresh])
    patrol.point_count += len(fresh)
    changes = {"point_count": patrol.point_count, "distance_m": patrol.distance_m}
    if last.seq > patrol.last_seq:
        patrol.last_seq, patrol.last_point_at = last.seq, last.recorded_at
        patrol.last_position = Point(last.lon, last.lat, srid=4326)
        changes.update(last_seq=patrol.last_seq, last_point_at=patrol.last_point_at, last_position=patrol.last_position)
    Patrol.objects.filter(pk=patrol.pk).update(**changes)


def _store_gaps(patrol: Patrol, gaps: Sequence[TrackGap], window: Window, result: IngestResult) -> None:
    fresh: dict[dt.datetime, TrackGap] = {}
    for index, gap in enumerate(gaps):
        why = gap_refusal(gap, window)
        if why is not None:
            result.gaps_refused.append(Refusal(index, None, "outside_patrol", why))
        else:
            fresh.setdefault(gap.started_at, gap)
    if not fresh:
        return
    stored = set(PatrolGap.objects.filter(patrol_id=patrol.pk, started_at__in=list(fresh)).values_list("started_at", flat=True))
    new = [g for start_at, g in fresh.items() if start_at not in stored]
    PatrolGap.objects.bulk_create([PatrolGap(patrol_id=patrol.pk, started_at=g.started_at, ended_at=g.ended_at, reason=g.reason)
                                   for g in new], ignore_conflicts=True)
    result.gaps_stored = len(new)
