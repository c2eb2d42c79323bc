"""Hotspots: where problems gather (a heat layer of the last N days) and where the same
problem keeps coming back (grids with repeat cases of one category)."""

import datetime as dt

from django.db.models import Count, Max, Min
from django.utils import timezone

from maps.layers import counts_by_grid, filtered_cases, layer_cache
from urbanmgmt.catalog.models import in_language


def _recent(user, params, days: int):
    since = timezone.now() - dt.timedelta(days=days)
    return filtered_cases(user, params, default_open=False).filter(reported_at__gte=since), since


def heat(user, params, days: int) -> dict:
    """Cases reported in the last `days` days, counted per unit grid: [[lat, lon, n], …] at
    the grid's centre (a unit grid is the map's finest cell anyway)."""
    cases, since = _recent(user, params, days)
    cache = layer_cache()
    points = []
    for grid_id, n in sorted(counts_by_grid(cases).items()):
        place = cache.place("grid", grid_id)
        if place is not None:
            points.append([place.lat, place.lon, n])
    return {"since": timezone.localtime(since).isoformat(), "days": days,
            "max": max((p[2] for p in points), default=0), "points": points}


def repeat_grids(user, params, days: int, minimum: int, limit: int = 100) -> dict:
    """Grid × category pairs with at least `minimum` cases in the last `days` days."""
    cases, since = _recent(user, params, days)
    rows = (cases.exclude(category=None).order_by().values("grid_id", "grid__code", "category__service_code",
                                                           "category__name_zh", "category__name_en")
            .annotate(n=Count("id"), first=Min("reported_at"), last=Max("reported_at"))
            .filter(n__gte=minimum).order_by("-n", "grid__code")[:limit])
    cache = layer_cache()
    out = []
    for row in rows:
        community = cache.areas["community"].get(cache.community_of.get(row["grid_id"]))
        street = cache.areas["street"].get(cache.street_of.get(row["grid_id"]))
        grid = cache.place("grid", row["grid_id"])
        out.append({
            "grid": row["grid__code"], "community": community.name if community else "",
            "street": street.name if street else "", "category": row["category__service_code"],
            "category_name": in_language(row["category__name_zh"], row["category__name_en"] or ""), "count": row["n"],
            "first": timezone.localtime(row["first"]).isoformat(), "last": timezone.localtime(row["last"]).isoformat(),
            "lon": grid.lon if grid else None, "lat": grid.lat if grid else None,
        })
    return {"since": timezone.localtime(since).isoformat(), "days": days, "min": minimum, "grids": out}
