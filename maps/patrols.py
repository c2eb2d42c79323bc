"""The dispatch map's patrol layers: where each inspector is (their last fix and state) and
one inspector's track for a day.

States of an inspector, from their open patrol (urbanmgmt/patrols/models.py):

- off_duty: no open patrol;
- offline: an open patrol without a point for PATROL_OFFLINE_MINUTES (the phone locked, no
  signal);
- idle: open for at least PATROL_IDLE_MINUTES, and every point of the last
  PATROL_IDLE_MINUTES within PATROL_IDLE_RADIUS_M of the last fix;
- on_patrol: otherwise.

`outside` says the last fix lies in none of the inspector's assigned grids (Profile.grids);
it is null when the inspector has no grids. The positions come from Patrol.last_position
(kept by the ingest); only the idle test reads points, those of the last few minutes, by the
recorded_at index, and measures in metres (settings.METRIC_SRID).
"""

import datetime as dt

import numpy as np
from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, Transform
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.names import person_names
from urbanmgmt.patrols.models import GapReason, Patrol, PatrolGap, PatrolPoint, inspectors_visible_to

STATES = ("on_patrol", "idle", "offline", "off_duty")
STATE_LABELS = {"on_patrol": pgettext_lazy("patrol state", "On patrol"), "idle": pgettext_lazy("patrol state", "Idle"),
                "offline": pgettext_lazy("patrol state", "Offline"), "off_duty": pgettext_lazy("patrol state", "Off duty")}


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _moved_m(patrol_ids: list[int], since: dt.datetime) -> dict[int, float]:
    """{patrol: the farthest any point since `since` lies from the patrol's last fix, in metres}."""
    srid = settings.METRIC_SRID
    rows = (PatrolPoint.objects.filter(patrol_id__in=patrol_ids, recorded_at__gte=since)
            .annotate(away=Distance(Transform("position", srid), Transform(F("patrol__last_position"), srid)))
            .values("patrol_id").annotate(far=Max("away")).order_by())
    return {row["patrol_id"]: float(getattr(row["far"], "m", row["far"]) or 0) for row in rows}


def state_of(patrol: dict | None, moved: dict[int, float], now: dt.datetime) -> str:
    """One inspector's state from their open patrol's row (None: off duty)."""
    if patrol is None:
        return "off_duty"
    last = patrol["last_point_at"] or patrol["started_at"]
    if now - last > dt.timedelta(minutes=settings.PATROL_OFFLINE_MINUTES):
        return "offline"
    idle = dt.timedelta(minutes=settings.PATROL_IDLE_MINUTES)
    if now - patrol["started_at"] >= idle and moved.get(patrol["id"], 0.0) <= settings.PATROL_IDLE_RADIUS_M:
        return "idle"
    return "on_patrol"


def inspector_layer(user, now: dt.datetime | None = None) -> dict:
    """GeoJSON: each visible inspector's last fix (null geometry when off duty with no patrol
    today), state, whether outside their grids, name and time of the last fix."""
    now = now or timezone.now()
    inspectors = list(inspectors_visible_to(user).order_by("username").values_list("pk", "username"))
    ids = [pk for pk, _name in inspectors]
    in_own_grid = UnitGrid.objects.filter(inspectors__user=OuterRef("inspector"), geom__contains=OuterRef("last_position"))
    has_grids = UnitGrid.objects.filter(inspectors__user=OuterRef("inspector"))
    today = day_start(timezone.localdate(now))
    # The open patrol, else the latest one ended today (its last fix: where the round ended).
    rows = (Patrol.objects.filter(inspector_id__in=ids).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=today))
            .annotate(inside=Exists(in_own_grid), has_grids=Exists(has_grids))
            .order_by("inspector_id", "-started_at")
            .values("id", "inspector_id", "started_at", "ended_at", "last_point_at", "last_position", "inside",
                    "has_grids", "point_count", "distance_m"))
    latest: dict[int, dict] = {}
    for row in rows:
        known = latest.get(row["inspector_id"])
        if known is None or (known["ended_at"] is not None and row["ended_at"] is None):
            latest[row["inspector_id"]] = row
    open_ids = [r["id"] for r in latest.values() if r["ended_at"] is None]
    moved = _moved_m(open_ids, now - dt.timedelta(minutes=settings.PATROL_IDLE_MINUTES)) if open_ids else {}
    names = person_names([name for _pk, name in inspectors])
    features, counts = [], dict.fromkeys(STATES, 0)
    for pk, username in inspectors:
        row = latest.get(pk)
        state = state_of(row if row and row["ended_at"] is None else None, moved, now)
        counts[state] += 1
        point = row["last_position"] if row else None
        outside = None if not row or point is None or not row["has_grids"] else not row["inside"]
        features.append({
            "type": "Feature", "id": pk,
            "geometry": {"type": "Point", "coordinates": [round(point.x, 6), round(point.y, 6)]} if point else None,
            "properties": {"username": username, "name": names.get(username, username), "state": state,
                           "outside": outside, "last_fix_at": _iso(row["last_point_at"]) if row else None,
                           "patrol": row["id"] if row else None,
                           "started_at": _iso(row["started_at"]) if row else None,
                           "distance_m": round(row["distance_m"]) if row else None}})
    return {"type": "FeatureCollection", "at": _iso(now), "counts": counts,
            "outside": sum(1 for f in features if f["properties"]["outside"]), "features": features}


def _line(coords: list) -> dict:
    return {"type": "LineString", "coordinates": coords} if len(coords) > 1 else {"type": "Point", "coordinates": coords[0]}


def _feature(geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _patrol_features(patrol: dict, times: np.ndarray, coords: list, gaps: list[dict]) -> list[dict]:
    """One patrol's day: its runs of points (solid), its gaps (dashed, with their reason) and
    its start and end markers. A run is cut where a gap lies between two points."""
    features = []
    cuts = [int(np.searchsorted(times, np.datetime64(g["started_at"].replace(tzinfo=None)), side="right"))
            for g in gaps]
    bounds = sorted({0, len(coords), *cuts})
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b > a:
            features.append(_feature(_line(coords[a:b]), kind="run", patrol=patrol["id"], points=b - a))
    labels = dict(GapReason.choices)
    for gap, cut in zip(gaps, cuts, strict=True):
        ends = [coords[i] for i in (cut - 1, cut) if 0 <= i < len(coords)]
        features.append(_feature(_line(ends) if ends else None, kind="gap", patrol=patrol["id"], reason=gap["reason"],
                                 reason_label=str(labels.get(gap["reason"], gap["reason"])),
                                 **{"from": _iso(gap["started_at"]), "to": _iso(gap["ended_at"])}))
    if coords:
        features.append(_feature({"type": "Point", "coordinates": coords[0]}, kind="start", patrol=patrol["id"],
                                 at=_iso(patrol["started_at"])))
        features.append(_feature({"type": "Point", "coordinates": coords[-1]}, kind="end" if patrol["ended_at"] else "last",
                                 patrol=patrol["id"], at=_iso(patrol["ended_at"] or patrol["last_point_at"])))
    return features


def day_track(user, username: str, day: dt.date) -> dict | None:
    """GeoJSON: one inspector's patrols on a local day as lines cut at the gaps, the gaps with
    their reason, start and end markers; None when `user` may not see that inspector's track."""
    start, end = day_start(day), day_start(day + dt.timedelta(days=1))
    inspector = inspectors_visible_to(user).filter(username=username).values_list("pk", flat=True).first()
    if inspector is None:
        return None
    patrols = list(Patrol.objects.visible_to(user).filter(inspector_id=inspector, started_at__lt=end)
                   .filter(Q(ended_at__gte=start) | Q(ended_at__isnull=True))
                   .order_by("started_at").values("id", "started_at", "ended_at", "last_point_at", "distance_m",
                                                  "point_count"))
    ids = [p["id"] for p in patrols]
    points: dict[int, list] = {}
    for patrol_id, moment, position in (PatrolPoint.objects.filter(patrol_id__in=ids, recorded_at__gte=start,
                                                                    recorded_at__lt=end)
                                        .order_by("patrol_id", "recorded_at").values_list("patrol_id", "recorded_at",
                                                                                          "position")):
        points.setdefault(patrol_id, []).append((moment, [round(position.x, 6), round(position.y, 6)]))
    gaps: dict[int, list] = {}
    for gap in (PatrolGap.objects.filter(patrol_id__in=ids, started_at__lt=end, ended_at__gt=start)
                .order_by("started_at").values("patrol_id", "started_at", "ended_at", "reason")):
        gaps.setdefault(gap["patrol_id"], []).append(gap)
    features = []
    for patrol in patrols:
        fixes = points.get(patrol["id"], [])
        times = np.array([m.astimezone(dt.UTC).replace(tzinfo=None) for m, _c in fixes], dtype="datetime64[us]")
        features += _patrol_features(patrol, times, [c for _m, c in fixes], [
            {**g, "started_at": g["started_at"].astimezone(dt.UTC)} for g in gaps.get(patrol["id"], [])])
    name = person_names([username]).get(username, username)
    return {"type": "FeatureCollection", "username": username, "name": name, "day": day.isoformat(),
            "patrols": [{"id": p["id"], "started_at": _iso(p["started_at"]), "ended_at": _iso(p["ended_at"]),
                         "points": len(points.get(p["id"], [])), "distance_m": round(p["distance_m"])}
                        for p in patrols],
            "features": features}
