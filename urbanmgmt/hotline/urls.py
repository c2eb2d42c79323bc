"""The intake pages under /hotline/."""

from django.urls import path

from urbanmgmt.hotline import views

urlpatterns = [
    path("import/", views.upload, name="hotline-import"),
    path("import/<int:pk>/", views.run_page, name="hotline-import-run"),
    path("import/<int:pk>/status/", views.run_status, name="hotline-import-status"),
    path("import/<int:pk>/rejects.csv", views.run_rejects, name="hotline-import-rejects"),
    path("import/<int:pk>/results/", views.run_export, name="hotline-import-results"),
    path("unplaced/", views.unplaced, name="hotline-unplaced"),
    path("review/", views.review, name="hotline-review"),
    path("tickets/", views.tickets, name="hotline-tickets"),
    path("tickets/<int:pk>/", views.ticket_page, name="hotline-ticket"),
    path("classifier/", views.classifier_page, name="hotline-classifier"),
]
