"""The REST API under /api/v1/: router, and one mapping of domain errors to HTTP answers."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.urls import include, path
from rest_framework import routers
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from urbanmgmt.api_guards import too_big_message
from urbanmgmt.cases.api import CaseViewSet
from urbanmgmt.catalog.api import CategoryViewSet, MajorClassViewSet
from urbanmgmt.errors import DomainError, OutOfRange
from urbanmgmt.grids.api import AreaViewSet, UnitGridViewSet
from urbanmgmt.org.api import DepartmentViewSet

router = routers.DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("grids", UnitGridViewSet, basename="grid")
router.register("majors", MajorClassViewSet, basename="major")
router.register("categories", CategoryViewSet, basename="category")
router.register("departments", DepartmentViewSet, basename="department")
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("kpi/", include("urbanmgmt.kpi.api_urls")),
    path("patrols/", include("urbanmgmt.patrols.api_urls")),
]


def exception_handler(exc, context):
    """Domain errors answer with their status, code and a message in the user's language;
    DRF's own errors get their code beside their message (field errors keep DRF's shape:
    clients show them by field)."""
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": too_big_message(), "code": "too_large"}, status=413)
    if isinstance(exc, OverflowError | DataError):
        # A number too large for the database, anywhere in the request: the client's input.
        exc = OutOfRange()
    if isinstance(exc, Http404):  # get_object_or_404's message names the model in English
        exc = NotFound()
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": str(exc), "code": exc.code}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response({"detail": exc.messages, "code": "invalid"}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and isinstance(response.data.get("detail"), str):
        response.data["code"] = getattr(response.data["detail"], "code", None) or "error"
    return response
