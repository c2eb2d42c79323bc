"""The exports a person asked for (urbanmgmt/storage/exports.py): the JSON a page polls while
one is made, and "my exports", the list of their recent ones with their files. Who sees what
is the exports module's one rule (`exports.visible_to`); anyone else gets 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path

from urbanmgmt.storage import exports


@login_required
def export_status(request, pk: int):
    """State, progress and error of an export job, and its download once done: for the
    person who asked for it (while they may export the same cases) and administrators only
    (404 to anyone else)."""
    job = exports.visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("no such export of yours")
    answer = JsonResponse(exports.status(job, request.user), json_dumps_params={"ensure_ascii": False})
    answer["Cache-Control"] = "private, no-store"
    return answer


@login_required
def my_exports(request):
    """The user's recent exports: what, state, size, when (the city's time), file, error."""
    if not exports.may_export(request.user):
        raise Http404("no exports for this role")
    return render(request, "exports/mine.html", {"exports": exports.recent(request.user)})


urlpatterns = [
    path("exports/", my_exports, name="my-exports"),
    path("exports/<int:pk>/", export_status, name="export-status"),
]
