"""Importing a unit-grid layer (GeoPackage, Shapefile, GeoJSON) with a validation report.

The layer is read whole through geopandas, its columns mapped onto ours, reprojected to
WGS84 and validated (invalid or multi-part polygons, duplicate codes, overlaps, gaps inside
a district, inconsistent nesting). Any error refuses the whole import; otherwise the areas
and grids are written in one transaction and the layer's version is bumped.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from urbanmgmt.grids.gisio import read_frame
from urbanmgmt.grids.models import Area, GridLayerVersion, UnitGrid

FIELDS = (
    "grid_code", "community_code", "community_name", "street_code", "street_name",
    "district_code", "district_name",
)
# Overlaps and holes smaller than this (m²) are rounding, not errors.
AREA_TOLERANCE_M2 = 1.0
MAX_LISTED = 20


@dataclass
class GridReport:
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, message: str) -> None:
        self.errors.append(message)

    def lines(self) -> list[str]:
        out = [f"rows read: {self.rows}"]
        out += [f"ERROR {m}" for m in self.errors]
        out += [f"warning {m}" for m in self.warnings]
        if self.ok:
            out.append(f"grids created: {self.created}, updated: {self.updated}")
        return out


def read_layer(path: Path, mapping: dict[str, str], layer: str | None, source_srid: int | None) -> gpd.GeoDataFrame:
    """The file as a GeoDataFrame in WGS84 with our column names (mapping: ours → theirs)."""
    try:
        frame = read_frame(path, layer)
    except Exception as exc:  # noqa: BLE001 — GDAL's errors come back from the child as they are
        raise ValueError(str(exc)) from exc
    if frame.crs is None:
        if source_srid is None:
            raise ValueError("the file names no coordinate reference system; give --srid")
        frame = frame.set_crs(source_srid)
    frame = frame.to_crs(4326)
    renames = {theirs: ours for ours, theirs in mapping.items() if theirs in frame.columns}
    missing = [theirs for ours, theirs in mapping.items() if theirs not in frame.columns]
    if missing:
        raise ValueError(f"columns named in the mapping are missing from the file: {', '.join(missing)}")
    frame = frame.rename(columns=renames)
    if "grid_code" not in frame.columns:
        raise ValueError("no grid code column: map one with --map grid_code=COLUMN")
    frame["grid_code"] = frame["grid_code"].astype(str).str.strip()
    # Codes follow CJ/T 213 (district 6 + street 3 + community 3 + sequence), so a layer
    # that carries only grid codes still nests correctly.
    for column, width in (("community_code", 12), ("street_code", 9), ("district_code", 6)):
        if column not in frame.columns:
            frame[column] = frame["grid_code"].str[:width]
        frame[column] = frame[column].astype(str).str.strip()
    for level in ("community", "street", "district"):
        if f"{level}_name" not in frame.columns:
            frame[f"{level}_name"] = frame[f"{level}_code"]
    return frame


def validate(frame: gpd.GeoDataFrame, report: GridReport) -> None:
    """Fill the report with every problem of the layer; write nothing."""
    report.rows = len(frame)
    polygons = []
    for i, (code, geom) in enumerate(zip(frame["grid_code"], frame.geometry, strict=True)):
        where = f"row {i + 1} (grid {code})"
        if geom is None or geom.is_empty:
            report.error(f"{where}: no geometry")
        elif geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        elif geom.geom_type != "Polygon":
            report.error(f"{where}: a grid must be one polygon, not {geom.geom_type}")
        if geom is not None and not geom.is_empty and not geom.is_valid:
            report.error(f"{where}: invalid polygon ({shapely.is_valid_reason(geom)})")
        if not code or code.lower() == "nan":
            report.error(f"{where}: empty grid code")
        polygons.append(geom if geom is not None and geom.geom_type == "Polygon" else None)
    frame["geometry"] = gpd.GeoSeries(polygons, crs=4326, index=frame.index)

    duplicates = frame["grid_code"][frame["grid_code"].duplicated(keep=False)].unique()
    for code in duplicates[:MAX_LISTED]:
        report.error(f"duplicate grid code {code}")
    _check_nesting(frame, report)
    if report.errors:
        return  # geometry checks below need valid, unique polygons
    metric = frame.to_crs(settings.METRIC_SRID)
    _check_overlaps(metric, report)
    _check_gaps(metric, report)


def _check_nesting(frame: gpd.GeoDataFrame, report: GridReport) -> None:
    for child, parent in (("community_code", "street_code"), ("street_code", "district_code")):
        parents = frame.groupby(child)[parent].nunique()
        for code in parents[parents > 1].index[:MAX_LISTED]:
            report.error(f"{child.split('_')[0]} {code} lies in more than one {parent.split('_')[0]}")


def _check_overlaps(metric: gpd.GeoDataFrame, report: GridReport) -> None:
    geoms = metric.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if not len(left):
        return
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    codes = metric["grid_code"].values
    bad = [(codes[a], codes[b], area) for a, b, area in zip(left, right, overlap, strict=True) if area > AREA_TOLERANCE_M2]
    for a, b, area in bad[:MAX_LISTED]:
        report.error(f"grids {a} and {b} overlap by {area:.1f} m²")
    if len(bad) > MAX_LISTED:
        report.error(f"… and {len(bad) - MAX_LISTED} more overlaps")


def _check_gaps(metric: gpd.GeoDataFrame, report: GridReport) -> None:
    for district, group in metric.groupby("district_code"):
        union = shapely.union_all(group.geometry.values)
        parts = getattr(union, "geoms", [union])
        holes = [shapely.Polygon(ring) for part in parts for ring in part.interiors]
        gaps = [h for h in holes if h.area > AREA_TOLERANCE_M2]
        for hole in gaps[:MAX_LISTED]:
            x, y = hole.representative_point().coords[0]
            report.error(f"district {district}: a gap of {hole.area:.0f} m² between grids near "
                         f"x={x:.0f}, y={y:.0f} (EPSG:{settings.METRIC_SRID})")
        if len(parts) > 1:
            report.warnings.append(f"district {district}: the grids form {len(parts)} separate pieces")


@transaction.atomic
def write_layer(frame: gpd.GeoDataFrame, report: GridReport) -> None:
    """Upsert the areas and grids of a validated layer, recompute area boundaries."""
    areas = _upsert_areas(frame)
    metric_area = frame.to_crs(settings.METRIC_SRID).area.round().astype(int).values
    existing = {g.code: g for g in UnitGrid.objects.filter(code__in=list(frame["grid_code"]))}
    new, changed = [], []
    for row, area_m2 in zip(frame.itertuples(index=False), metric_area, strict=True):
        geom = GEOSGeometry(memoryview(row.geometry.wkb), srid=4326)
        values = {
            "geom": geom,
            "community": areas[row.community_code],
            "street": areas[row.street_code],
            "district": areas[row.district_code],
            "area_m2": int(area_m2),
        }
        grid = existing.get(row.grid_code)
        if grid is None:
            new.append(UnitGrid(code=row.grid_code, **values))
        else:
            for name, value in values.items():
                setattr(grid, name, value)
            changed.append(grid)
    UnitGrid.objects.bulk_create(new, batch_size=500)
    UnitGrid.objects.bulk_update(changed, ["geom", "community", "street", "district", "area_m2"], batch_size=500)
    report.created, report.updated = len(new), len(changed)
    _recompute_area_boundaries(areas.values())
    GridLayerVersion.bump()


def _upsert_areas(frame: gpd.GeoDataFrame) -> dict[str, Area]:
    areas: dict[str, Area] = {}
    levels = (
        (Area.Level.DISTRICT, "district", None),
        (Area.Level.STREET, "street", "district_code"),
        (Area.Level.COMMUNITY, "community", "street_code"),
    )
    for level, prefix, parent_column in levels:
        columns = [f"{prefix}_code", f"{prefix}_name"] + ([parent_column] if parent_column else [])
        for values in frame[columns].drop_duplicates(f"{prefix}_code").itertuples(index=False):
            code, name = values[0], values[1]
            parent = areas[values[2]] if parent_column else None
            area, _ = Area.objects.update_or_create(
                code=code, defaults={"level": level, "name": name, "parent": parent}
            )
            areas[code] = area
    return areas


def _recompute_area_boundaries(areas) -> None:
    members = defaultdict(list)
    rows = UnitGrid.objects.values_list("community_id", "street_id", "district_id", "geom")
    for community_id, street_id, district_id, geom in rows:
        shape = shapely.from_wkb(bytes(geom.wkb))
        for area_id in (community_id, street_id, district_id):
            members[area_id].append(shape)
    for area in areas:
        union = shapely.union_all(members.get(area.id, []))
        if union.is_empty:
            continue
        multi = GEOSGeometry(memoryview(union.wkb), srid=4326)
        area.geom = multi if multi.geom_type == "MultiPolygon" else MultiPolygon(multi, srid=4326)
        area.save(update_fields=["geom"])


def import_grids(path: Path, mapping: dict[str, str] | None = None, layer: str | None = None,
                 source_srid: int | None = None, dry_run: bool = False) -> GridReport:
    """Read, validate and (unless dry_run or refused) write a grid layer; the report says which."""
    report = GridReport()
    try:
        frame = read_layer(Path(path), mapping or {}, layer, source_srid)
    except (ValueError, OSError) as exc:
        report.error(f"cannot read {path}: {exc}")
        return report
    validate(frame, report)
    if report.ok and not dry_run:
        write_layer(frame, report)
        from urbanmgmt.grids.services import invalidate_grid_index

        invalidate_grid_index()
    return report
