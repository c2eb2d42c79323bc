"""The KPI tests start in the default language: a request of an earlier test may have left
another one active on this thread (LocaleMiddleware activates the request's language and
nothing deactivates it after the response)."""

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language():
    with translation.override(settings.LANGUAGE_CODE):
        yield
