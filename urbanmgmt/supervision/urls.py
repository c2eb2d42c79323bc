from django.urls import path, re_path

from urbanmgmt.supervision import api, views

app_name = "supervision"
urlpatterns = [
    path("supervision/", views.notice_list, name="list"),
    path("supervision/raise/", views.raise_notice, name="raise"),
    path("supervision/<int:pk>/", views.notice, name="notice"),
    re_path(r"^supervision/(?P<pk>[0-9]+)/(?P<action>answer|send_back|close)/$", views.step, name="step"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.mark_read, name="mark-read"),
    path("api/v1/notifications/", api.NotificationList.as_view(), name="api-notifications"),
    path("api/v1/notifications/read/", api.MarkRead.as_view(), name="api-mark-read"),
    path("api/v1/notifications/unread/", api.UnreadCount.as_view(), name="api-unread"),
]
