from django.urls import path

from maps import views

urlpatterns = [
    path("map/", views.dispatch, name="dispatch-map"),
    path("workspace/", views.workspace, name="workspace"),
]
