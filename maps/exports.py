"""GIS exports of the map's cases and grids under its filters: GeoPackage, Shapefile
(zipped, UTF-8), GeoJSON and CSV, built with GeoPandas and written by `gisio` (in a clean
child process, see there). Column names fit the Shapefile's ten characters in every format,
so one export reads the same whichever format a GIS colleague asks for."""

import datetime as dt
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from maps.layers import counts_by_grid, filtered_cases, layer_cache
from urbanmgmt.cases.models import is_overdue
from urbanmgmt.catalog.models import category_names
from urbanmgmt.grids.geo import parse_bbox
from urbanmgmt.grids.gisio import write_frames
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background, progress
from urbanmgmt.storage import exports as kept

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
    """The cases under the filters as one frame (a large export uses case_frames)."""
    return pd.concat(list(case_frames(user, params, bbox)), ignore_index=True)


def _cases(user, params, bbox=None):
    cases = filtered_cases(user, params)
    return cases if bbox is None else cases.in_grids(layer_cache().grids_in(bbox))


def case_count(user, params, bbox=None) -> int:
    """How many cases an export of the cases under the filters holds."""
    return _cases(user, params, bbox).count()


def case_frames(user, params, bbox=None) -> Iterator[gpd.GeoDataFrame]:
    """The cases under the filters as frames of EXPORT_FRAME_ROWS cases (at least one, maybe
    empty), in the order they were reported, read from the database a frame at a time: a year
    of a large city's cases is never in memory at once."""
    # 10,000 rows a frame made a 100,000-case GeoPackage add ~50 MB to the worker, 2,000 ~10 MB.
    rows_per_frame = settings.EXPORT_FRAME_ROWS
    cases = _cases(user, params, bbox).order_by("reported_at", "id")
    columns = (*CASE_COLUMNS.values(), "point", "reported_at", "id")
    after, first = Q(), True
    while True:
        # A query per frame, each after the last row of the one before: no cursor stays open
        # while the frame is written and the job's progress recorded (SQLite would lock).
        rows = list(cases.filter(after).values_list(*columns)[:rows_per_frame])
        if rows or first:
            yield _case_frame([row[:-2] for row in rows])
        first = False
        if len(rows) < rows_per_frame:
            return
        at, last = rows[-1][-2:]
        after = Q(reported_at__gt=at) | Q(reported_at=at, id__gt=last)


def _case_frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    fields = list(CASE_COLUMNS.values())
    frame = pd.DataFrame([row[:-1] for row in rows], columns=list(CASE_COLUMNS), dtype=object)
    now, due, state = timezone.now(), fields.index("due_at"), fields.index("state")
    frame["overdue"] = [is_overdue(r[state], r[due], now) for r in rows]
    for column in TIME_COLUMNS:
        frame[column] = [timezone.localtime(v).strftime("%Y-%m-%d %H:%M:%S") if v else None for v in frame[column]]
    frame["descr"] = [(text or "")[:254] for text in frame["descr"]]
    names = category_names()  # the export's language (an English one says so)
    frame["category"] = [names.get(code, name) for code, name in zip(frame["cat_code"], frame["category"], strict=True)]
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


Progress = Callable[[int, int], None]  # (rows written, rows in all)


def export(user, params, layer: str, fmt: str, bbox=None, folder: Path | None = None,
           progress: Progress | None = None) -> tuple[Path, str]:
    """Write the export to a file in `folder` (a temporary one by default), a frame of cases at
    a time, telling `progress` how many rows are written after each; (its path, the suffix for
    the download's name)."""
    if layer == "cases":
        frames = case_frames(user, params, bbox)
        if progress is not None:
            frames = _counted(frames, case_count(user, params, bbox), progress)
    else:
        frames = iter([grids_frame(user, params, bbox)])
    folder = folder or Path(tempfile.mkdtemp(prefix="urbanmgmt-export-"))
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


def _counted(frames: Iterator[gpd.GeoDataFrame], total: int, progress: Progress) -> Iterator[gpd.GeoDataFrame]:
    """The frames as they are; `progress` hears of each once the writer asks for the next."""
    done = 0
    progress(0, total)
    for frame in frames:
        yield frame
        done += len(frame)
        progress(done, max(total, done))


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


def download_name(layer: str, fmt: str, at: dt.datetime) -> str:
    """urbanmgmt-cases-20261203-0930.gpkg: the layer and the city's time it was asked at."""
    return f"urbanmgmt-{layer}-{timezone.localtime(at):%Y%m%d-%H%M}{FORMATS[fmt][0]}"


@background()
def make_export(job: Job, user_id: int, language: str, title: str, query: str, layer: str, fmt: str,
                bbox: str = "") -> dict:
    """A large export in the background: the cases (or grids) the user `user_id` sees under
    the filters of `query` (the map's query string), kept for them in the media store; the
    job's progress counts the rows written. Idempotent: an attempt writes the whole file
    again, over the same name (storage/exports.py)."""
    def build(user, folder: Path) -> Path:
        box = parse_bbox(bbox) if bbox else None
        return export(user, QueryDict(query), layer, fmt, box, folder,
                      lambda done, total: progress(job, done, total))[0]

    return kept.make(job, user_id, language, download_name(layer, fmt, job.created_at), build)


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
