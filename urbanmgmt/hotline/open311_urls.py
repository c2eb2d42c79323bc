"""Open311 GeoReport v2 under /open311/v2/."""

from django.urls import path
from django.views.generic import RedirectView

from urbanmgmt.hotline import open311

urlpatterns = [
    path("", RedirectView.as_view(url="discovery.json"), name="open311-root"),
    path("discovery.<str:fmt>", open311.discovery, name="open311-discovery"),
    path("services.<str:fmt>", open311.services, name="open311-services"),
    path("services/<str:code>.<str:fmt>", open311.service_definition, name="open311-service"),
    path("requests.<str:fmt>", open311.requests_view, name="open311-requests"),
    path("requests/<int:pk>.<str:fmt>", open311.request_detail, name="open311-request"),
    path("tokens/<str:token_id>.<str:fmt>", open311.token, name="open311-token"),
]
