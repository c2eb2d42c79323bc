"""GIS exports of the map's cases and grids under its filters: GeoPackage, Shapefile
(zipped, UTF-8), GeoJSON and CSV, built with GeoPandas and written by `gisio` (in a clean
child process, see there). Column names fit the Shapefile's ten characters in every format,
so one export reads the same whichever format a GIS colleague asks for."""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.utils import timezone

from maps.layers import counts_by_grid, filtered_cases, layer_cache
from urbanmgmt.cases.models import is_overdue
from urbanmgmt.grids.gisio import write_frames
from urbanmgmt.grids.models import UnitGrid

# format → (file suffix of the download, content type)
FORMATS = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "shp": (".shp.zip", "application/zip"),
    "geojson": (".geojson", "application/geo+json"),
    "csv": (".csv", "text/csv; charset=utf-8"),
}

CASE_COLUMNS = {  # column → queryset field
    "code": "code", "channel": "channel", "state": "state", "cat_code": "category__service_code",
    "category": "category__name_zh", "dept": "department__name", "grid": "grid__code",
    "community": "community__name", "street": "street__name", "address": "address", "descr": "description",
    "reported": "reported_at", "dispatched": "dispatched_at", "due": "due_at", "closed": "closed_at",
    "tickets": "ticket_count",
}
TIME_COLUMNS = ("reported", "dispatched", "due", "closed")
FRAME_ROWS = 2_000  # cases per frame of an export: 10,000 made a 100,000-case GeoPackage add ~50 MB to the worker, 2,000 ~10 MB


def cases_frame(user, params, bbox=None) -> gpd.GeoDataFrame:
    """The cases under the filters as one frame (a large export uses case_frames)."""
    return pd.concat(list(case_frames(user, params, bbox)), ignore_index=True)


def case_frames(user, params, bbox=None) -> Iterator[gpd.GeoDataFrame]:
    """The cases under the filters as frames of FRAME_ROWS cases (at least one, maybe empty),
    read from the database a frame at a time: a year of a large city's cases is never in
    memory at once."""
    rows_per_frame = FRAME_ROWS
    cases = filtered_cases(user, params)
    if bbox is not None:
        cases = cases.in_grids(layer_cache().grids_in(bbox))
    rows = []
    sent = False
    for row in cases.order_by("reported_at", "id").values_list(*CASE_COLUMNS.values(), "point").iterator(
            chunk_size=rows_per_frame):
        rows.append(row)
        if len(rows) == rows_per_frame:
            yield _case_frame(rows)
            rows, sent = [], True
    if rows or not sent:
        yield _case_frame(rows)


def _case_frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    fields = list(CASE_COLUMNS.values())
    frame = pd.DataFrame([row[:-1] for row in rows], columns=list(CASE_COLUMNS), dtype=object)
    now, due, state = timezone.now(), fields.index("due_at"), fields.index("state")
    frame["overdue"] = [is_overdue(r[state], r[due], now) for r in rows]
    for column in TIME_COLUMNS:
        frame[column] = [timezone.localtime(v).strftime("%Y-%m-%d %H:%M:%S") if v else None for v in frame[column]]
    frame["descr"] = [(text or "")[:254] for text in frame["descr"]]
    lons = [row[-1].x for row in rows]
    lats = [row[-1].y for row in rows]
    frame["lon"], frame["lat"] = lons, lats
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")


def grids_frame(user, params, bbox=None) -> gpd.GeoDataFrame:
    cache = layer_cache()
    ids = cache.grids_in(bbox) if bbox is not None else None
    cases = filtered_cases(user, params)
    open_counts = counts_by_grid(cases, ids)
    overdue_counts = counts_by_grid(cases.overdue(timezone.now()), ids)
    grids = UnitGrid.objects.order_by("code")
    if ids is not None:
        grids = grids.filter(id__in=ids)
    rows = list(grids.values_list("id", "code", "community__name", "street__name", "district__name", "area_m2", "geom"))
    frame = pd.DataFrame([{"code": r[1], "community": r[2], "street": r[3], "district": r[4], "area_m2": r[5],
                           "cases": open_counts.get(r[0], 0), "overdue": overdue_counts.get(r[0], 0)} for r in rows])
    geometry = [shapely.from_wkb(bytes(r[6].wkb)) for r in rows]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def export(user, params, layer: str, fmt: str, bbox=None) -> tuple[Path, str]:
    """Write the export to a temporary file, a frame of cases at a time; (its path, the
    suffix for the download's name)."""
    frames = case_frames(user, params, bbox) if layer == "cases" else iter([grids_frame(user, params, bbox)])
    folder = Path(tempfile.mkdtemp(prefix="urbanmgmt-export-"))
    suffix = FORMATS[fmt][0]
    if fmt == "csv":
        path = folder / f"{layer}.csv"
        for n, frame in enumerate(frames):
            # With a BOM, so that Excel on a Chinese Windows opens it as UTF-8.
            frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt()).to_csv(
                path, index=False, mode="a" if n else "w", header=not n, encoding="utf-8" if n else "utf-8-sig")
    elif fmt == "geojson":
        path = folder / f"{layer}.geojson"
        _write_geojson(frames, path)
    elif fmt == "gpkg":
        path = folder / f"{layer}.gpkg"
        write_frames(frames, path, layer=layer, driver="GPKG")
    else:
        shapes = folder / "shp"
        shapes.mkdir()
        write_frames(frames, shapes / f"{layer}.shp", driver="ESRI Shapefile")
        path = folder / f"{layer}.shp.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(shapes.iterdir()):
                archive.write(part, part.name)
    return path, suffix


def _write_geojson(frames: Iterator[gpd.GeoDataFrame], path: Path) -> None:
    """One FeatureCollection from several frames: the first frame's collection (its members
    but the features), then every frame's features."""
    with path.open("w", encoding="utf-8") as out:
        for n, frame in enumerate(frames):
            collection = json.loads(frame.to_json(ensure_ascii=False, drop_id=True))
            features = collection.pop("features")
            if not n:
                out.write(json.dumps(collection, ensure_ascii=False)[:-1] + ', "features": [')
            for k, feature in enumerate(features):
                out.write(("," if n or k else "") + json.dumps(feature, ensure_ascii=False))
        out.write("]}")


class _Removing:
    """A file object that deletes its folder once the response has been sent."""

    def __init__(self, path: Path):
        self.path = path
        self.file = open(path, "rb")  # noqa: SIM115 — closed by the response

    def read(self, *args):
        return self.file.read(*args)

    def seek(self, *args):
        return self.file.seek(*args)

    def tell(self):
        return self.file.tell()

    def close(self):
        self.file.close()
        shutil.rmtree(self.path.parent, ignore_errors=True)


def opened(path: Path):
    return _Removing(path)
