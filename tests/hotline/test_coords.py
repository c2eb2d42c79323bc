"""The GCJ-02 → WGS84 conversion written out gives prcoords' own floats, bit for bit."""

import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanmgmt.errors import InvalidInput
from urbanmgmt.hotline.coords import gcj_wgs_bored, to_wgs84

china_lon = st.floats(min_value=72.004, max_value=137.8347, allow_nan=False)
china_lat = st.floats(min_value=0.8293, max_value=55.8271, allow_nan=False)


@settings(max_examples=3000, deadline=None)
@given(china_lon, china_lat)
def test_the_written_out_inverse_is_prcoords_to_the_last_bit(lon, lat):
    expected = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    assert gcj_wgs_bored(lon, lat) == (expected.lon, expected.lat)


@pytest.mark.parametrize("lonlat", [(119.2216, 34.5965), (119.17, 34.6), (121.4737, 31.2304), (87.6168, 43.8256)])
def test_to_wgs84_of_gcj02_is_prcoords(lonlat):
    lon, lat = lonlat
    expected = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    assert to_wgs84(lon, lat, "gcj02") == (expected.lon, expected.lat)
    assert to_wgs84(str(lon), str(lat), "gcj02") == (expected.lon, expected.lat)


def test_gcj02_outside_china_is_refused():
    with pytest.raises(InvalidInput):
        to_wgs84(2.35, 48.85, "gcj02")
