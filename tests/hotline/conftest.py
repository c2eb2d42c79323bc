import pytest

from urbanmgmt.hotline.classify import invalidate_classifier
from urbanmgmt.hotline.gazetteer import invalidate_gazetteer, places_from_areas
from urbanmgmt.hotline.suggest import invalidate_suggester


@pytest.fixture(autouse=True)
def _fresh_hotline_caches():
    invalidate_gazetteer()
    invalidate_classifier()
    invalidate_suggester()
    yield
    invalidate_gazetteer()
    invalidate_classifier()
    invalidate_suggester()


@pytest.fixture
def gazetteer(city):
    """The test city's districts, streets and communities as gazetteer places."""
    return places_from_areas("test layer")


@pytest.fixture
def bureaus(db):
    """The bureaus of fixtures/hotline/bureaus.json (the migration loads them; a test that
    flushed the database lost them)."""
    from urbanmgmt.hotline.bureaus import load_bureaus

    load_bureaus()
    invalidate_suggester()
