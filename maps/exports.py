"""GIS exports of the map's cases and grids under its filters: GeoPackage, Shapefile
(zipped, UTF-8), GeoJSON and CSV, built with GeoPandas and written by `gisio` (in a clean
child process, see there). Column names fit the Shapefile's ten characters in every format,
so one export reads the same whichever format a GIS colleague asks for."""

import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.utils import timezone

from maps.layers import counts_by_grid, filtered_cases, layer_cache
from urbanmgmt.cases.models import is_overdue
from urbanmgmt.grids.gisio import write_frame
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


def cases_frame(user, params, bbox=None) -> gpd.GeoDataFrame:
    cases = filtered_cases(user, params)
    if bbox is not None:
        cases = cases.in_grids(layer_cache().grids_in(bbox))
    fields = list(CASE_COLUMNS.values())
    rows = list(cases.order_by("reported_at", "id").values_list(*fields, "point"))
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
    """Write the export to a temporary file; (its path, the suffix for the download's name)."""
    frame = cases_frame(user, params, bbox) if layer == "cases" else grids_frame(user, params, bbox)
    folder = Path(tempfile.mkdtemp(prefix="urbanmgmt-export-"))
    suffix = FORMATS[fmt][0]
    if fmt == "csv":
        path = folder / f"{layer}.csv"
        # With a BOM, so that Excel on a Chinese Windows opens it as UTF-8.
        frame.drop(columns="geometry").assign(wkt=frame.geometry.to_wkt()).to_csv(path, index=False,
                                                                                 encoding="utf-8-sig")
    elif fmt == "geojson":
        path = folder / f"{layer}.geojson"
        path.write_text(frame.to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
    elif fmt == "gpkg":
        path = folder / f"{layer}.gpkg"
        write_frame(frame, path, layer=layer, driver="GPKG")
    else:
        shapes = folder / "shp"
        shapes.mkdir()
        write_frame(frame, shapes / f"{layer}.shp", driver="ESRI Shapefile")
        path = folder / f"{layer}.shp.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(shapes.iterdir()):
                archive.write(part, part.name)
    return path, suffix


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
