"""The map's layer endpoints under /api/v1/map/: GeoJSON by bounding box and zoom, the live
change feed, the heat layer, repeat-problem grids and GIS exports.

Every endpoint takes the case API's filters (state, channel, category, department,
reported_after/before, overdue, …) and answers only with cases the user may see.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from maps import exports, find, hotspots, layers, patrols, selection, workspace
from urbanmgmt.cases.bulk_dispatch import check_role
from urbanmgmt.errors import InvalidInput
from urbanmgmt.grids.geo import parse_bbox
from urbanmgmt.org.roles import ADMIN, COMMAND_CENTRE, HANDLER, INSPECTOR, require_role
from urbanmgmt.storage import exports as kept

GEOJSON = "application/geo+json"
FORMAT_NAMES = {"gpkg": "GeoPackage", "shp": "Shapefile", "geojson": "GeoJSON", "csv": "CSV"}

BBOX = OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north in WGS84 degrees")
ZOOM = OpenApiParameter("zoom", OpenApiTypes.INT, description="the map's zoom (0–22); it sets the level of detail")
FILTERS = [OpenApiParameter(name, OpenApiTypes.STR, description=text) for name, text in (
    ("state", "states, comma-separated (default: the open ones)"), ("channel", "inspector, video, hotline, other"),
    ("category", "service codes, comma-separated"), ("department", "department code"),
    ("reported_after", "ISO 8601"), ("reported_before", "ISO 8601"), ("overdue", "true: open, not suspended, past the deadline"),
    ("open", "true / false"))]


def parse_zoom(text: str | None, default: int = 12) -> int:
    if text in (None, ""):
        return default
    try:
        zoom = int(text)
    except ValueError:
        raise InvalidInput(_("zoom must be a whole number from 0 to 22.")) from None
    if not 0 <= zoom <= 22:
        raise InvalidInput(_("zoom must be a whole number from 0 to 22."))
    return zoom


def parse_days(text: str | None, default: int = 30) -> int:
    try:
        days = int(text) if text not in (None, "") else default
    except ValueError:
        raise InvalidInput(_("days must be a whole number from 1 to 366.")) from None
    if not 1 <= days <= 366:
        raise InvalidInput(_("days must be a whole number from 1 to 366."))
    return days


def _geojson(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type=GEOJSON)
    response["Cache-Control"] = "private, no-cache"
    return response


@extend_schema(parameters=[BBOX, ZOOM, OpenApiParameter("metric", OpenApiTypes.STR, enum=["open", "overdue"]),
                           *FILTERS], responses={(200, GEOJSON): OpenApiTypes.OBJECT})
@api_view(["GET"])
def grid_layer(request):
    """Unit grids (zoom ≥ 15), communities (13–14) or streets (≤ 12) in the box, each with the
    number of matching cases (`n`): open ones by default, overdue ones with `metric=overdue`."""
    params = request.query_params
    if params.get("metric", "open") not in ("open", "overdue"):
        raise InvalidInput(_("metric must be open or overdue."))
    return _geojson(layers.grid_layer(request.user, params, parse_bbox(params.get("bbox")), parse_zoom(params.get("zoom"))))


@extend_schema(parameters=[BBOX, ZOOM, OpenApiParameter("fit", OpenApiTypes.BOOL,
                                                         description="true: also the extent of all matching cases"),
                           *FILTERS], responses={(200, GEOJSON): OpenApiTypes.OBJECT})
@api_view(["GET"])
def case_layer(request):
    """Matching cases in the box: single cases (`mode: points`) when close enough or few
    enough, else counts per grid, community or street (`mode: clusters`). `cursor` is where
    the change feed takes over."""
    params = request.query_params
    fit = params.get("fit") or "false"
    if fit not in ("true", "false"):
        raise InvalidInput(_("fit must be true or false."))
    return _geojson(layers.case_layer(request.user, params, parse_bbox(params.get("bbox")), parse_zoom(params.get("zoom")),
                                      fit=fit == "true"))


@extend_schema(parameters=[OpenApiParameter("cursor", OpenApiTypes.DATETIME, required=True), *FILTERS],
               responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def case_changes(request):
    """Cases changed since `cursor`: `features` that match the filters (new or changed),
    `removed` ids that no longer do, the next `cursor`; `more: true` asks for a full reload."""
    text = request.query_params.get("cursor", "")
    cursor = parse_datetime(text.replace(" ", "+")) if text else None
    if cursor is None:
        raise InvalidInput(_("cursor must be an ISO 8601 time, as given by the last answer."))
    if cursor.tzinfo is None:
        raise InvalidInput(_("cursor must carry its UTC offset."))
    return Response(layers.changes(request.user, request.query_params, cursor))


@extend_schema(parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="the last N days (default 30)"),
                           *FILTERS], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def heat(request):
    """Where cases were reported in the last N days: [lat, lon, count] per unit grid."""
    params = request.query_params
    return Response(hotspots.heat(request.user, params, parse_days(params.get("days"))))


@extend_schema(parameters=[OpenApiParameter("days", OpenApiTypes.INT), OpenApiParameter("min", OpenApiTypes.INT),
                           *FILTERS], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def repeat_grids(request):
    """Grids where the same problem came back: at least `min` (default 3) cases of one
    category in the last N days, most first."""
    params = request.query_params
    try:
        minimum = int(params.get("min") or 3)
    except ValueError:
        raise InvalidInput(_("min must be a whole number of at least 2.")) from None
    if minimum < 2:
        raise InvalidInput(_("min must be a whole number of at least 2."))
    return Response(hotspots.repeat_grids(request.user, params, parse_days(params.get("days")), minimum))


@extend_schema(methods=["GET"], parameters=[OpenApiParameter("as", OpenApiTypes.STR, enum=list(exports.FORMATS),
                                            description="the file format (`format` is DRF's own parameter)"),
                           OpenApiParameter("layer", OpenApiTypes.STR, enum=["cases", "grids"]), BBOX, *FILTERS],
               responses={(200, mime.split(";")[0]): OpenApiTypes.OBJECT if fmt == "geojson" else OpenApiTypes.BINARY
                          for fmt, (_ext, mime) in exports.FORMATS.items()})
@extend_schema(methods=["POST"], request=None, responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
@api_view(["GET", "POST"])
def export(request):
    """The cases (or the grids with their counts) under the current filters as GeoPackage,
    Shapefile (zipped), GeoJSON or CSV. GET answers the file, up to EXPORT_IMMEDIATE_MAX_ROWS
    cases; POST (the same query) answers `download`, that GET's address, for such a small
    export, else 202 with the job making it in the background (its `status_url` to poll,
    its `download` once done; one job however often the same export is asked for). For those
    who may export (storage/exports.py), of the cases they see."""
    kept.require_exporter(request.user)
    params = request.query_params
    fmt = params.get("as", "gpkg")
    layer = params.get("layer", "cases")
    if fmt not in exports.FORMATS:
        raise InvalidInput(_("as (the file format) must be one of: %(formats)s.") % {"formats": ", ".join(exports.FORMATS)})
    if layer not in ("cases", "grids"):
        raise InvalidInput(_("layer must be cases or grids."))
    bbox = parse_bbox(params.get("bbox")) if params.get("bbox") else None
    rows = exports.case_count(request.user, params, bbox) if layer == "cases" else 0
    large = rows > settings.EXPORT_IMMEDIATE_MAX_ROWS
    if request.method == "POST":
        return _ask_export(request, layer, fmt, large)
    if large:
        raise kept.TooLargeForNow(_(
            "These are %(n)s cases, more than the %(max)s exported at once: ask for the export on the map (or POST "
            "this address); it is made in the background and kept under My exports.") % {
                "n": rows, "max": settings.EXPORT_IMMEDIATE_MAX_ROWS})
    path, _suffix = exports.export(request.user, params, layer, fmt, bbox)
    return FileResponse(exports.opened(path), as_attachment=True, content_type=exports.FORMATS[fmt][1],
                        filename=exports.download_name(layer, fmt, timezone.now()))


def _ask_export(request, layer: str, fmt: str, large: bool) -> Response:
    if not large:
        return Response({"download": f"{request.path}?{request.META.get('QUERY_STRING', '')}"})
    query = request.query_params.copy()
    bbox = query.pop("bbox", [""])[-1]
    for name in ("as", "layer"):
        query.pop(name, None)
    title = _("%(layer)s as %(format)s") % {"layer": _("Cases") if layer == "cases" else _("Grids"),
                                           "format": FORMAT_NAMES[fmt]}
    job = kept.ask(exports.make_export, request.user, title, query=urlencode(sorted(query.lists()), doseq=True),
                   layer=layer, fmt=fmt, bbox=bbox)
    return Response(kept.status(job, request.user), status=202)


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def department_queue(request):
    """The signed-in department's queue, most urgent first: `to_sign`, `overdue`, `due_soon`,
    `in_hand`, `waiting` (on the command centre), and `recent` replies."""
    require_role(request.user, HANDLER, ADMIN)
    return Response(workspace.queue(request.user))


@extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True,
                                            description="a case number (or id), a 12345 ticket number, or their beginning")],
               responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def find_by_number(request):
    """`cases` whose code (or id) is `q` or begins with it, `tickets` likewise by number with
    their case; exact matches first, each with where its case lies (`lon`, `lat`)."""
    return Response(find.find(request.user, request.query_params.get("q", "")[:64]))


@extend_schema(parameters=[
    OpenApiParameter("grid", OpenApiTypes.STR, description="a unit grid's code: its cases"),
    OpenApiParameter("polygon", OpenApiTypes.STR, description="a lasso: lon,lat,lon,lat,… (3 to 500 corners, WGS84)"),
    OpenApiParameter("ids", OpenApiTypes.STR, description="case ids, comma-separated (in any state; the filters are "
                                                           "not applied)"),
    *FILTERS], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def dispatch_selection(request):
    """The cases a bulk dispatch would take from a grid, a lasso, the filtered list (neither
    given) or a list of ids, dispatchable ones first (at most 500): each with `selectable`,
    `why` not (in the user's language), `version` and the `suggested` department."""
    check_role(request.user)
    return Response(selection.selection(request.user, request.query_params.dict()))


TRACK_VIEWERS = (INSPECTOR, *COMMAND_CENTRE)  # who may see any track at all (Patrol.objects.visible_to)


@extend_schema(responses={(200, GEOJSON): OpenApiTypes.OBJECT})
@api_view(["GET"])
def patrol_layer(request):
    """Each inspector's last fix and state (`on_patrol`, `idle`, `offline`, `off_duty`), whether
    it lies `outside` their grids, their name and the time of the last fix; `counts` per state.
    An inspector sees only themself; the command centre sees everyone."""
    require_role(request.user, *TRACK_VIEWERS)
    return _geojson(json.dumps(patrols.inspector_layer(request.user), ensure_ascii=False))


@extend_schema(parameters=[OpenApiParameter("inspector", OpenApiTypes.STR, required=True, description="username"),
                           OpenApiParameter("day", OpenApiTypes.DATE, description="the city's day (default today)")],
               responses={(200, GEOJSON): OpenApiTypes.OBJECT})
@api_view(["GET"])
def patrol_track(request):
    """One inspector's track on a day: runs of points (`kind: run`), gaps with their reason
    (`kind: gap`), start and end markers; 404 for an inspector whose track one may not see."""
    require_role(request.user, *TRACK_VIEWERS)
    text = request.query_params.get("day") or ""
    try:
        day = parse_date(text) if text else timezone.localdate()
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(_("day must be a date, YYYY-MM-DD."))
    found = patrols.day_track(request.user, request.query_params.get("inspector", ""), day)
    if found is None:
        raise Http404(_("No inspector by that name whose track you may see."))
    return _geojson(json.dumps(found, ensure_ascii=False))
