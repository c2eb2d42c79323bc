"""The app shell, its service worker and manifest, served under /m/ (the worker's scope)."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def app(request):
    """The app shell; the hand-placement map's basemap tiles only when a setting names them
    (an offline city network has none: the inspector's grids are the base)."""
    return render(request, "collectors_app/app.html", {
        "map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        # How the phone records a patrol's track (patrol.js); the server checks the same limits.
        "patrol": {"every_s": settings.PATROL_POINT_EVERY_S, "every_m": settings.PATROL_POINT_EVERY_M,
                   "batch_max": settings.PATROL_BATCH_MAX_POINTS, "accuracy_max_m": settings.PATROL_ACCURACY_MAX_M}})


@never_cache
def service_worker(request):
    """sw.js from /m/ so that its scope is /m/; never cached, so an update reaches phones."""
    return _static("collectors_app/sw.js", "text/javascript")


def manifest(request):
    return _static("collectors_app/manifest.webmanifest", "application/manifest+json")


def _static(name: str, content_type: str):
    path = finders.find(name)
    if not path:
        raise Http404(name)
    response = FileResponse(open(path, "rb"), content_type=content_type)
    response["Service-Worker-Allowed"] = "/m/"
    return response
