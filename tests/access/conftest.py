"""The live server as production serves: /media/ through the platform's view, not from disk.

Django's LiveServerThread wraps the site in a handler that serves every file under
MEDIA_ROOT at MEDIA_URL to anyone, before any view runs; gunicorn (`make run`) has no such
handler, so there /media/ is protected_media. Turning that handler off makes the live server
answer as the real one does.
"""

import pytest


@pytest.fixture
def media_through_the_app(monkeypatch, settings, tmp_path):
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)
    settings.MEDIA_ROOT = str(tmp_path / "media")
