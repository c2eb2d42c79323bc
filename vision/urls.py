"""The video analysts' pages under /vision/ (included by the project's URLconf by name)."""

from django.urls import path

from vision import views

urlpatterns = [
    path("", views.queue, name="vision-queue"),
    path("candidates/<int:pk>/review/", views.review_item, name="vision-review"),
    path("cameras/<int:pk>/", views.camera, name="vision-camera"),
]
