from django.urls import path

from urbanmgmt.kpi import views

urlpatterns = [
    path("", views.dashboard, name="kpi-dashboard"),
    path("export.xlsx", views.export, name="kpi-export"),
]
