"""The hotline API under /api/v1/hotline/."""

from django.urls import include, path
from rest_framework import routers

from urbanmgmt.hotline.api import ClassifierVersionViewSet, TicketViewSet

router = routers.SimpleRouter()
router.register("tickets", TicketViewSet, basename="hotline-ticket")
router.register("classifier", ClassifierVersionViewSet, basename="hotline-classifier")

urlpatterns = [path("", include(router.urls))]
