"""The app shell under /m/ (included by the project's URLconf by name)."""

from django.urls import path

from collectors_app import views

urlpatterns = [
    path("", views.app, name="collector-app"),
    path("sw.js", views.service_worker, name="collector-sw"),
    path("manifest.webmanifest", views.manifest, name="collector-manifest"),
]
