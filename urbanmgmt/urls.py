from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from urbanmgmt import views

admin.site.site_header = "urbanmgmt 数字化城管"
admin.site.site_title = "urbanmgmt"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/collect/", include("collectors_app.api_urls")),  # the channels, by name only
    path("api/v1/vision/", include("vision.api_urls")),
    path("api/v1/map/", include("maps.api_urls")),
    path("api/v1/hotline/", include("urbanmgmt.hotline.api_urls")),
    path("open311/v2/", include("urbanmgmt.hotline.open311_urls")),
    path("hotline/", include("urbanmgmt.hotline.urls")),
    path("api/v1/", include("urbanmgmt.api")),
    path("m/", include("collectors_app.urls")),
    path("kpi/", include("urbanmgmt.kpi.urls")),
    path("vision/", include("vision.urls")),
    path("", include("maps.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("healthz", views.healthz, name="healthz"),
    # Uploaded evidence is for signed-in staff only, never public.
    path("media/<path:path>", views.protected_media, name="media"),
]

# JSON answers for API clients under /api/ and /open311/, the usual pages elsewhere.
handler400 = "urbanmgmt.api_guards.bad_request"
handler404 = "urbanmgmt.api_guards.not_found"
handler500 = "urbanmgmt.api_guards.server_error"

