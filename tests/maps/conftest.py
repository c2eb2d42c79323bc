"""The map's per-process layer cache starts empty in every test."""

import pytest

from maps.layers import invalidate_layer_cache


@pytest.fixture(autouse=True)
def _fresh_layer():
    invalidate_layer_cache()
    yield
    invalidate_layer_cache()
