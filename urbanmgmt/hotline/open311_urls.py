"""Open311 GeoReport v2 under /open311/v2/; any other path under it answers the spec's
error list (JSON 404), never Django's HTML page."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from urbanmgmt.hotline import open311

urlpatterns = [
    path("", RedirectView.as_view(url="discovery.json"), name="open311-root"),
    path("discovery.<str:fmt>", open311.Discovery.as_view(), name="open311-discovery"),
    path("services.<str:fmt>", open311.Services.as_view(), name="open311-services"),
    path("services/<str:code>.<str:fmt>", open311.ServiceDefinition.as_view(), name="open311-service"),
    path("requests.<str:fmt>", open311.Requests.as_view(), name="open311-requests"),
    path("requests/<str:pk>.<str:fmt>", open311.RequestDetail.as_view(), name="open311-request"),
    path("tokens/<str:token_id>.<str:fmt>", open311.Token.as_view(), name="open311-token"),
    re_path(r"^.*$", open311.not_found),
]
