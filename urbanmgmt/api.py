"""The REST API under /api/v1/: router, and one mapping of domain errors to HTTP answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path
from rest_framework import routers
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from urbanmgmt.cases.api import CaseViewSet
from urbanmgmt.catalog.api import CategoryViewSet, MajorClassViewSet
from urbanmgmt.errors import DomainError
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
]


def exception_handler(exc, context):
    """Domain errors answer with their status, code and a message in the user's language."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": str(exc), "code": exc.code}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response({"detail": exc.messages, "code": "invalid"}, status=400)
    return drf_exception_handler(exc, context)
