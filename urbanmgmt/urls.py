from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from urbanmgmt import views
from urbanmgmt.form_actions import posted_here

# The catalogue changes only with a new release: browsers revalidate it and get a 304.
CATALOGUE_SINCE = timezone.now()

admin.site.site_header = format_lazy("urbanmgmt · {}", _("Digital urban management"))
admin.site.site_title = "urbanmgmt"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", posted_here("home")(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The scripts' words (djangojs.po) in the request's language: every page and 城管通 load it.
    path("jsi18n/", last_modified(lambda request: CATALOGUE_SINCE)(JavaScriptCatalog.as_view()),
         name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/collect/", include("collectors_app.api_urls")),  # the channels, by name only
    path("api/v1/vision/", include("vision.api_urls")),
    path("api/v1/map/", include("maps.api_urls")),
    path("api/v1/hotline/", include("urbanmgmt.hotline.api_urls")),
    path("open311/v2/", include("urbanmgmt.hotline.open311_urls")),
    path("hotline/", include("urbanmgmt.hotline.urls")),
    path("", include("urbanmgmt.supervision.urls")),  # 督办 pages, notifications and their API count
    path("api/v1/", include("urbanmgmt.api")),
    path("m/", include("collectors_app.urls")),
    path("kpi/", include("urbanmgmt.kpi.urls")),
    path("", include("urbanmgmt.export_views")),  # the exports made in the background: /exports/
    path("vision/", include("vision.urls")),
    path("", include("maps.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start script is served apart (?script), so the page needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Redoc styles itself with <style> elements it writes without a nonce, and searches in a
    # worker made from a blob: that page alone allows both.
    path("api/redoc/", csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
        SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Evidence goes only to whoever may see its case or candidate (cases/access.py), never public.
    path("media/<path:path>", views.protected_media, name="media"),
]

# JSON answers for API clients under /api/ and /open311/, the usual pages elsewhere.
handler400 = "urbanmgmt.api_guards.bad_request"
handler403 = "urbanmgmt.views.permission_denied"
handler404 = "urbanmgmt.api_guards.not_found"
handler500 = "urbanmgmt.api_guards.server_error"

