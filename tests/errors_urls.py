"""The platform's addresses and two that fail, for the tests of the server error's page."""

from django.urls import path

from urbanmgmt.urls import handler400, handler403, handler404, handler500  # noqa: F401
from urbanmgmt.urls import urlpatterns as platform


def fail(request):
    raise RuntimeError("a bug met by a test")


urlpatterns = [path("failing/", fail), path("api/v1/failing/", fail), *platform]
