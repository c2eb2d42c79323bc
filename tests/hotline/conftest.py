import pytest

from urbanmgmt.hotline.classify import invalidate_classifier
from urbanmgmt.hotline.gazetteer import invalidate_gazetteer, places_from_areas


@pytest.fixture(autouse=True)
def _fresh_hotline_caches():
    invalidate_gazetteer()
    invalidate_classifier()
    yield
    invalidate_gazetteer()
    invalidate_classifier()


@pytest.fixture
def gazetteer(city):
    """The test city's districts, streets and communities as gazetteer places."""
    return places_from_areas("test layer")
