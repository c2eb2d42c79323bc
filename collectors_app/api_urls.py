"""The app's API under /api/v1/collect/."""

from django.urls import path

from collectors_app import api, casework

urlpatterns = [
    path("me/", api.me, name="collect-me"),
    path("grids/", api.my_grids, name="collect-grids"),
    path("categories/frequent/", api.frequent_categories, name="collect-frequent"),
    path("reports/", api.reports, name="collect-reports"),
    path("reports/<int:pk>/", casework.report_detail, name="collect-report"),
    path("nearby/", casework.nearby, name="collect-nearby"),
    path("cases/<int:pk>/evidence/", casework.add_evidence, name="collect-evidence"),
    path("counts/", casework.counts, name="collect-counts"),
    path("tasks/", api.tasks, name="collect-tasks"),
    path("tasks/<int:pk>/complete/", api.complete_task, name="collect-task-complete"),
]
