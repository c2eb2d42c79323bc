from django.urls import path

from urbanmgmt.kpi import views

urlpatterns = [
    path("", views.dashboard, name="kpi-dashboard"),
    path("export.xlsx", views.export, name="kpi-export"),
    path("report/daily/", views.report, {"kind": "daily"}, name="kpi-daily"),
    path("report/monthly/", views.report, {"kind": "monthly"}, name="kpi-monthly"),
]
