"""The pages of the platform's shell: home (who am I, where to go), health, media."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.static import serve

from urbanmgmt.api_guards import API_PREFIXES
from urbanmgmt.cases.access import may_see_media
from urbanmgmt.cases.models import Case
from urbanmgmt.cases.photos import media_signature_ok
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.kpi.api import MANAGERS
from urbanmgmt.org.roles import ADMIN, ANALYST, DISPATCHER, HANDLER, INSPECTOR, MANAGER, ROLES, has_role, roles_of
from urbanmgmt.storage import redirect_url


@login_required
def home(request):
    """Who am I and where may I go: each role is offered only the pages it may open."""
    roles = [ROLES[r] for r in ROLES if r in roles_of(request.user)]
    context = {
        "roles": roles,
        "open_cases": Case.objects.visible_to(request.user).open().count(),
        "grids": UnitGrid.objects.count(),
        "database": connection.vendor,
        "can_map": has_role(request.user, DISPATCHER, MANAGER, ADMIN),
        "can_workspace": has_role(request.user, HANDLER, ADMIN),
        "can_intake": has_role(request.user, DISPATCHER, ADMIN),  # 12345 intake pages
        "can_review": has_role(request.user, ANALYST, ADMIN),  # the video review queue
        "can_kpi": has_role(request.user, *MANAGERS),
        "can_collect": has_role(request.user, INSPECTOR),  # 城管通 signs in inspectors only
    }
    return render(request, "home.html", context)


def favicon(request):
    """/favicon.ico, asked for by browsers on the pages that name no icon (the admin, the API
    docs): the platform's own, from the static files."""
    response = HttpResponseRedirect(static("urbanmgmt/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def protected_media(request, path):
    """Evidence is served only to whoever may see what it belongs to (cases/access.py: its
    case or candidate; originals, with their EXIF, to the command centre), or to the holder of
    a fresh signed URL, which is handed out only to such users; never public. Refused: 404,
    whether or not the file exists. On object storage the answer is a redirect to a URL of the
    bucket that lives MEDIA_S3_URL_MAX_AGE_S (cached for less than that)."""
    signature = request.GET.get("sig")
    if signature:
        if not media_signature_ok(path, signature):
            raise Http404("expired or invalid media link")
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    elif not may_see_media(request.user, path):
        raise Http404("not yours to see")
    target = redirect_url(path)
    if target:
        response = HttpResponseRedirect(target)
        response["Cache-Control"] = f"private, max-age={settings.MEDIA_S3_URL_MAX_AGE_S // 2}"
        return response
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def permission_denied(request, exception, template_name="403.html"):
    """handler403: a page in the user's language saying why, with a way back; JSON under the API."""
    reason = str(exception) if exception is not None and str(exception) else ""
    if request.path.startswith(API_PREFIXES):
        return JsonResponse({"detail": reason or _("You do not have permission to perform this action."),
                             "code": "permission_denied"}, status=403, json_dumps_params={"ensure_ascii": False})
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) and referer else ""
    return render(request, template_name, {"reason": reason, "back": back}, status=403)
