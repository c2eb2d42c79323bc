import pytest

from urbanmgmt.hotline.gazetteer import places_from_areas
from urbanmgmt.hotline.suggest import invalidate_suggester


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
