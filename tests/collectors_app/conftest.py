import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Evidence files of a test go to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")

