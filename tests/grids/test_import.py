"""import_grids: formats, mapping, reprojection and a validation that refuses bad layers whole."""

import copy
import json

import geopandas as gpd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from tests.builders import grid_features, square, write_layer
from urbanmgmt.grids.gisio import write_frame
from urbanmgmt.grids.importer import import_grids
from urbanmgmt.grids.models import Area, GridLayerVersion, UnitGrid

pytestmark = pytest.mark.django_db




def test_the_test_city_was_imported_with_its_nesting(city):
    assert UnitGrid.objects.count() == 24
    street = Area.objects.get(code="320706006")
    assert street.level == "street" and street.parent.code == "320706" and street.name == "新海街道"
    grid = UnitGrid.objects.get(code="32070600600101")
    assert grid.community.code == "320706006001" and grid.street == street
    assert 9900 < grid.area_m2 < 10100
    assert street.geom is not None and street.geom.area > 0


def test_the_demo_layer_validates(city):
    report = import_grids(settings.FIXTURES_DIR / "demo" / "haizhou_grids.geojson", dry_run=True)
    assert report.ok, report.lines()
    assert report.rows > 3000


def _refused(tmp_path, features, words):
    before = (UnitGrid.objects.count(), GridLayerVersion.current())
    report = import_grids(write_layer(tmp_path / "bad.geojson", features))
    assert not report.ok
    assert any(words in error for error in report.errors), report.errors
    assert (UnitGrid.objects.count(), GridLayerVersion.current()) == before


def _new_layer(cols=2, rows=2):
    features = copy.deepcopy(grid_features(cols, rows))
    for feature in features:  # a separate district, so they do not clash with the test city
        props = feature["properties"]
        for key in ("grid_code", "community_code", "street_code"):
            props[key] = "320799" + props[key][6:]
        props["district_code"] = "320799"
    return features


def test_an_invalid_polygon_refuses_the_import(city, tmp_path):
    features = _new_layer()
    ring = features[0]["geometry"]["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # a bow tie
    _refused(tmp_path, features, "invalid polygon")


def test_duplicate_codes_refuse_the_import(city, tmp_path):
    features = _new_layer()
    features[1]["properties"]["grid_code"] = features[0]["properties"]["grid_code"]
    _refused(tmp_path, features, "duplicate grid code")


def test_overlapping_grids_refuse_the_import(city, tmp_path):
    features = _new_layer()
    features[0]["geometry"]["coordinates"] = [square(0, 0, size=150)]
    _refused(tmp_path, features, "overlap")


def test_a_gap_inside_the_district_refuses_the_import(city, tmp_path):
    features = copy.deepcopy(grid_features(3, 3))
    for feature in features:
        props = feature["properties"]
        for key in ("grid_code", "community_code", "street_code"):
            props[key] = "320799" + props[key][6:]
        props["district_code"] = "320799"
    del features[4]  # the centre of a 3 × 3 block
    _refused(tmp_path, features, "gap")


def test_a_community_in_two_streets_refuses_the_import(city, tmp_path):
    features = _new_layer(2, 4)  # two grids per community
    features[0]["properties"]["street_code"] = "320799999"
    _refused(tmp_path, features, "more than one street")


def test_a_geopackage_in_utm_with_other_column_names_is_mapped_and_reprojected(city, tmp_path):
    features = _new_layer()
    frame = gpd.GeoDataFrame(
        {"WGBM": [f["properties"]["grid_code"] for f in features],
         "SQMC": [f["properties"]["community_name"] for f in features]},
        geometry=[shape(f["geometry"]) for f in features], crs=4326,
    )
    path = tmp_path / "grids.gpkg"
    write_frame(frame.to_crs(32650), path, "wangge", "GPKG")
    call_command("import_grids", str(path), "--layer", "wangge", "--map", "grid_code=WGBM",
                 "--map", "community_name=SQMC")
    grid = UnitGrid.objects.get(code=features[0]["properties"]["grid_code"])
    assert grid.geom.srid == 4326 and 119 < grid.geom.centroid.x < 120
    assert grid.community.name == features[0]["properties"]["community_name"]
    assert grid.street.code == grid.code[:9] and grid.district.code == "320799"


def test_a_shapefile_is_read_too(city, tmp_path):
    features = _new_layer()
    frame = gpd.GeoDataFrame({"grid_code": [f["properties"]["grid_code"] for f in features]},
                             geometry=[shape(f["geometry"]) for f in features], crs=4326)
    write_frame(frame, tmp_path / "grids.shp", driver="ESRI Shapefile")
    assert import_grids(tmp_path / "grids.shp").created == 4


def test_the_command_fails_loudly_and_writes_a_report(city, tmp_path):
    features = _new_layer()
    features[1]["properties"]["grid_code"] = features[0]["properties"]["grid_code"]
    path = write_layer(tmp_path / "bad.geojson", features)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_grids", str(path), "--report", str(tmp_path / "report.json"))
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["errors"]


def test_an_unknown_mapping_column_is_reported(city, tmp_path):
    path = write_layer(tmp_path / "ok.geojson", _new_layer())
    report = import_grids(path, mapping={"grid_code": "NOPE"})
    assert not report.ok and "NOPE" in report.errors[0]


def test_a_reimport_updates_instead_of_duplicating(city, tmp_path):
    path = write_layer(tmp_path / "ok.geojson", _new_layer())
    assert import_grids(path).created == 4
    again = import_grids(path)
    assert (again.created, again.updated) == (0, 4)
