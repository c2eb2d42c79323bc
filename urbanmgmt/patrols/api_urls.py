"""The patrols' API under /api/v1/patrols/."""

from django.urls import path

from urbanmgmt.patrols import api

urlpatterns = [
    path("", api.patrols, name="patrols"),
    path("today/", api.today, name="patrols-today"),
    path("<uuid:client_id>/", api.detail, name="patrol"),
    path("<uuid:client_id>/end/", api.end, name="patrol-end"),
    path("<uuid:client_id>/points/", api.points, name="patrol-points"),
]
