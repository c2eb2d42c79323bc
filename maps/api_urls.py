"""/api/v1/map/: the dispatch map's layers, live changes, hotspots and exports."""

from django.urls import path

from maps import api

urlpatterns = [
    path("grids/", api.grid_layer, name="map-grids"),
    path("cases/", api.case_layer, name="map-cases"),
    path("changes/", api.case_changes, name="map-changes"),
    path("heat/", api.heat, name="map-heat"),
    path("repeats/", api.repeat_grids, name="map-repeats"),
    path("export/", api.export, name="map-export"),
    path("find/", api.find_by_number, name="map-find"),
    path("patrols/", api.patrol_layer, name="map-patrols"),
    path("patrols/track/", api.patrol_track, name="map-patrol-track"),
    path("queue/", api.department_queue, name="department-queue"),
    path("selection/", api.dispatch_selection, name="map-selection"),
]
