"""grid_for_point: one grid per point, by spatial index, fresh after a new layer."""

import pytest
from django.contrib.gis.geos import Point

from tests.builders import grid_features, point_in, write_layer
from urbanmgmt.errors import InvalidInput, OutsideServiceArea
from urbanmgmt.grids.importer import import_grids
from urbanmgmt.grids.services import grid_for_point, grid_index, grids_containing

pytestmark = pytest.mark.django_db


def test_a_point_is_placed_in_its_grid(city):
    place = grid_for_point(point_in(0.5, 0.5))
    assert place.code == "32070600600101"
    assert grids_containing(point_in(0.5, 0.5)).get().code == place.code


def test_a_point_on_a_shared_edge_gets_exactly_one_grid(city):
    edge = point_in(1.0, 0.5)
    assert grid_for_point(edge).code == grids_containing(edge).first().code


def test_a_point_outside_every_grid_is_refused(city):
    with pytest.raises(OutsideServiceArea):
        grid_for_point(Point(121.5, 31.2, srid=4326))


@pytest.mark.parametrize("lon,lat", [(float("nan"), 34.6), (119.2, float("inf")), (200, 34.6), (119.2, -91)])
def test_impossible_coordinates_are_refused(city, lon, lat):
    with pytest.raises(InvalidInput):
        grid_for_point(Point(lon, lat, srid=4326))


def test_the_bulk_lookup_agrees_with_the_single_one(city):
    points = [point_in(c + 0.3, r + 0.6) for c in range(6) for r in range(4)] + [Point(121.5, 31.2)]
    many = grid_index().lookup_many([p.x for p in points], [p.y for p in points])
    assert [p.code for p in many[:-1]] == [grid_for_point(p).code for p in points[:-1]]
    assert many[-1] is None


def test_the_index_follows_a_new_layer(city, tmp_path):
    far = point_in(20.5, 0.5)
    with pytest.raises(OutsideServiceArea):
        grid_for_point(far)
    features = grid_features(1, 1)
    features[0]["geometry"]["coordinates"] = [[list(point_in(20 + dx, dy).coords) for dx, dy in
                                               ((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))]]
    props = features[0]["properties"]
    props.update(grid_code="32079900100101", community_code="320799001001", street_code="320799001",
                 district_code="320799")
    assert import_grids(write_layer(tmp_path / "new.geojson", features)).ok
    assert grid_for_point(far).code == "32079900100101"
