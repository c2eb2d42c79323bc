from django.urls import path

from urbanmgmt.kpi import api

urlpatterns = [
    path("quota/", api.quota, name="kpi-quota"),
    path("valid-rate/", api.valid_rate, name="kpi-valid-rate"),
    path("evaluation/", api.evaluation, name="kpi-evaluation"),
    path("hotline/", api.hotline, name="kpi-hotline"),
    path("campaigns/", api.campaigns, name="kpi-campaigns"),
]
