"""GIS file I/O (GeoPackage, Shapefile, GeoJSON) in a clean child process.

pyogrio's wheel carries its own GDAL with its own SQLite. In a process whose sqlite3 has
SpatiaLite loaded (every Django process on the embedded database), GDAL's GeoPackage driver
crashes the interpreter (seen with pyogrio 0.13 / GDAL 3.12 beside Debian's SQLite 3.40 and
SpatiaLite 5.0). So files are read and written by a spawned interpreter that never loads
Django or SpatiaLite. This module imports nothing of Django for that reason.
"""

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


def _read(path: str, layer: str | None):
    import geopandas as gpd

    return gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)


def _write(frame, path: str, layer: str | None, driver: str, mode: str = "w") -> None:
    kwargs = {"layer": layer} if layer else {}
    frame.to_file(path, driver=driver, mode=mode, **kwargs)


def _in_child(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def read_frame(path: Path, layer: str | None = None):
    """The layer of a GIS file as a GeoDataFrame (in the file's own CRS)."""
    return _in_child(_read, str(path), layer)


def write_frame(frame, path: Path, layer: str | None = None, driver: str = "GPKG") -> None:
    """Write a GeoDataFrame to a GIS file."""
    _in_child(_write, frame, str(path), layer, driver)


def write_frames(frames: Iterable, path: Path, layer: str | None = None, driver: str = "GPKG") -> None:
    """Write GeoDataFrames one after the other into one GIS file (the first makes it, the
    others are appended) by one child: a large export holds one frame at a time."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for n, frame in enumerate(frames):
            pool.submit(_write, frame, str(path), layer, driver, "a" if n else "w").result()
