"""The video API under /api/v1/vision/."""

from django.urls import path

from vision import api

urlpatterns = [
    path("ingest/", api.ingest, name="vision-ingest"),
    path("health/", api.health, name="vision-health"),
    path("worker/config/", api.worker_config, name="vision-worker-config"),
    path("candidates/", api.candidates, name="vision-candidates"),
    path("candidates/reject/", api.reject_many, name="vision-reject-many"),
    path("candidates/<int:pk>/confirm/", api.confirm, name="vision-confirm"),
    path("candidates/<int:pk>/reject/", api.reject, name="vision-reject"),
    path("precision/", api.precision, name="vision-precision"),
]
