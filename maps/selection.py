"""What a dispatcher selects on the map for a bulk dispatch (批量派遣): the cases of a unit
grid clicked, of a lasso drawn, of the filtered list, or named by id (reloaded after a
conflict). Each comes with whether this user may dispatch it now and, if not, why (the
dispatch step's own judgement, steps.why_not), and with the department the ownership
register suggests for it. The dispatch itself is POST /api/v1/cases/dispatch-many/.
"""

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When
from django.utils.translation import gettext as _

from maps.layers import NAME_GRIDS_BELOW, filtered_cases, layer_cache
from urbanmgmt.cases import clock
from urbanmgmt.cases.bulk_dispatch import MAX_CASES
from urbanmgmt.cases.models import Case
from urbanmgmt.cases.steps import STEPS, why_not
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.geo import check_lon_lat
from urbanmgmt.org.services import suggest_departments

MAX_VERTICES = 500
MAX_IDS = MAX_CASES
FIELDS = ("id", "code", "state", "version", "address", "point", "reported_at", "category", "department", "grid",
          "community", "street", "district", "category__service_code", "category__major")


def parse_polygon(text: str):
    """`lon,lat,lon,lat,…` (WGS84, at least 3 corners, the ring closed here) as a valid
    geometry: a freehand lasso that crosses itself is repaired, not refused."""
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) % 2 or not 6 <= len(parts) <= 2 * MAX_VERTICES:
        raise InvalidInput(_("polygon must be %(min)s to %(max)s corners as lon,lat,lon,lat,…"),
                           min=3, max=MAX_VERTICES)
    ring = [check_lon_lat(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]
    # Only the areas: a repaired ring may also hold the lines where the lasso doubled back.
    shape = shapely.union_all([part for part in shapely.get_parts(shapely.make_valid(shapely.Polygon(ring)))
                               if part.area > 0])
    if shape.is_empty or shape.area == 0:
        raise InvalidInput(_("The lasso encloses no area; draw around the cases."))
    return GEOSGeometry(shape.wkt, srid=4326), shape.bounds


def parse_ids(text: str) -> list[int]:
    ids = [p.strip() for p in text.split(",") if p.strip()]
    if not ids or len(ids) > MAX_IDS or not all(p.isascii() and p.isdigit() and len(p) < 19 for p in ids):
        raise InvalidInput(_("ids must be 1 to %(max)s case ids, comma-separated."), max=MAX_IDS)
    return [int(p) for p in ids]


def selection(user, params) -> dict:
    """The cases of the selection (`grid`, `polygon`, `ids`, or none: the filtered list) that
    match the map's filters (ids: in any state), dispatchable ones first, at most MAX_CASES."""
    if params.get("ids"):
        cases = Case.objects.visible_to(user).filter(pk__in=parse_ids(params["ids"]))
    else:
        cases = filtered_cases(user, {k: v for k, v in params.items() if k not in ("polygon", "ids")})
    if params.get("polygon"):
        shape, bounds = parse_polygon(params["polygon"])
        grids = layer_cache().grids_in(bounds)
        if len(grids) < NAME_GRIDS_BELOW:  # the (grid, state) index narrows the search first
            cases = cases.in_grids(grids)
        cases = cases.filter(point__intersects=shape)
    step = STEPS["dispatch"]
    first = SqlCase(When(state__in=step.sources, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = list(cases.select_related("category").only(*FIELDS).order_by(first, "reported_at", "id")[:MAX_CASES + 1])
    now = clock.now()
    shown = rows[:MAX_CASES]
    refusals = [why_not(step, case, user, now) for case in shown]
    suggested = iter(suggest_departments([case for case, why in zip(shown, refusals, strict=True) if why is None]))
    out = []
    for case, why in zip(shown, refusals, strict=True):
        department = next(suggested) if why is None else None
        out.append({"id": case.pk, "code": case.code, "state": case.state, "version": case.version,
                    "category": case.category.service_code if case.category_id else None,
                    "address": case.address, "lon": round(case.point.x, 6), "lat": round(case.point.y, 6),
                    "selectable": why is None, "why": why or "", "suggested": department.code if department else None})
    return {"cases": out, "truncated": len(rows) > MAX_CASES, "limit": MAX_CASES}
