from django.urls import path

from urbanmgmt.kpi import patrols, views

urlpatterns = [
    path("", views.dashboard, name="kpi-dashboard"),
    path("export.xlsx", views.export, name="kpi-export"),
    path("export/", views.ask_export, name="kpi-ask-export"),
    path("patrols/", patrols.page, name="kpi-patrols"),
    path("patrols/export.xlsx", patrols.export, name="kpi-patrols-export"),
    path("report/daily/", views.report, {"kind": "daily"}, name="kpi-daily"),
    path("report/monthly/", views.report, {"kind": "monthly"}, name="kpi-monthly"),
    path("report/daily/export/", views.ask_report, {"kind": "daily"}, name="kpi-daily-export"),
    path("report/monthly/export/", views.ask_report, {"kind": "monthly"}, name="kpi-monthly-export"),
]
