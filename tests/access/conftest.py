"""The access tests' media in a folder of their own (the live server answers /media/ through
the platform's view in every test: see tests/conftest.py)."""

import pytest


@pytest.fixture
def media_through_the_app(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
