"""The intake pages (受理员: dispatchers, admins): upload a ticket file and watch its import,
place the unplaced tickets on a map, review the low-confidence categories, export the
results back in the source's format. The pages' actions go through the ticket API."""

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie

from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.hotline import uploads
from urbanmgmt.hotline.api import precision_rows
from urbanmgmt.hotline.export import FORMATS, tickets_of, write_results
from urbanmgmt.hotline.mapping import Mapping, load_mapping
from urbanmgmt.hotline.models import ClassifierVersion, HotlineTicket, ImportRun, TicketState
from urbanmgmt.hotline.services import INTAKE
from urbanmgmt.org.roles import MANAGER, require_role
from urbanmgmt.uploads import UploadIncomplete, WholeBodyUploadHandler

MAPPING_MAX_BYTES = 1 << 20
QUEUE_SHOWN = 50


def _map_config() -> dict:
    from django.contrib.gis.db.models import Extent

    extent = UnitGrid.objects.aggregate(e=Extent("geom"))["e"] or (118.9, 34.5, 119.5, 34.8)
    return {"bounds": list(extent), "tiles": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _intake(request) -> None:
    require_role(request.user, *INTAKE, message=_("These pages are for intake staff."))


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


@csrf_exempt  # the upload handlers are set before the token is read (csrf_protect below)
@login_required
def upload(request):
    """GET: the form and the latest imports; POST: stream the file to disk, start the import."""
    _intake(request)
    if request.method != "POST":
        return _upload_page(request)
    limit = settings.HOTLINE_UPLOAD_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _upload_page(request, _too_large(length), status=413)
    handler = uploads.CountingUploadHandler(request)
    # A body cut on the way is refused saying so (Django drops a file part that never ends,
    # and the page would ask for a file the user did choose).
    request.upload_handlers = [WholeBodyUploadHandler(request, max_bytes=limit), handler]
    try:
        return csrf_protect(_receive)(request, handler)
    except UploadIncomplete as exc:
        return _upload_page(request, str(exc), status=400)


def _too_large(size: int) -> str:
    return _("The file is larger than %(limit)s (%(size)s): split it into smaller files, or import it on the server "
             "with manage.py import_tickets.") % {"limit": _megabytes(settings.HOTLINE_UPLOAD_MAX_BYTES),
                                                  "size": _megabytes(size) if size else _("more")}


def _receive(request, handler):
    upload = request.FILES.get("file")
    if handler.too_large:
        return _upload_page(request, _too_large(0), status=413)
    if upload is None:
        return _upload_page(request, _("Choose a ticket file (CSV, XLSX or JSON)."), status=400)
    try:
        mapping = _mapping(request.FILES.get("mapping"))
    except DomainError as exc:
        return _upload_page(request, str(exc), status=400)
    name = Path(upload.name).name[:200]
    source = (request.POST.get("source") or mapping.source or Path(name).stem).strip()[:40]
    run = ImportRun.objects.create(source=source, filename=name, started_by=request.user, total=upload.size,
                                   file_format=uploads.format_of(name), mapping=mapping.data)
    target = uploads.upload_dir() / f"run{run.pk}{Path(name).suffix.lower()}"
    shutil.move(upload.temporary_file_path(), target)
    uploads.start(run, target, request.user)
    return redirect("hotline-import-run", run.pk)


def _mapping(upload) -> Mapping:
    if upload is None:
        return Mapping()
    if upload.size > MAPPING_MAX_BYTES:
        raise DomainError(_("The mapping file is larger than 1 MB: it names columns, it should be small."))
    suffix = ".json" if upload.name.lower().endswith(".json") else ".yaml"
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        return load_mapping(copy.name)


def _upload_page(request, error: str = "", status: int = 200):
    runs = ImportRun.objects.filter(started_by=request.user).order_by("-started_at")[:10]
    return render(request, "hotline/upload.html", {"error": error, "runs": runs, "limit": _megabytes(
        settings.HOTLINE_UPLOAD_MAX_BYTES), "formats": FORMATS}, status=status)


@login_required
def run_page(request, pk: int):
    _intake(request)
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "hotline/run.html", {"run": run, "formats": FORMATS})


@login_required
def run_status(request, pk: int):
    """The progress the page polls (uploads.status)."""
    _intake(request)
    return JsonResponse(uploads.status(get_object_or_404(ImportRun, pk=pk)))


@login_required
def run_rejects(request, pk: int):
    _intake(request)
    run = get_object_or_404(ImportRun, pk=pk)
    response = HttpResponse(run.rejects.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejects-{run.pk}.csv"'
    return response


@login_required
def run_export(request, pk: int):
    """The results of the run's source system's tickets, in that source's format (the file's
    format unless ?format= says otherwise), with the mapping the file came with."""
    _intake(request)
    run = get_object_or_404(ImportRun, pk=pk)
    fmt = request.GET.get("format") or run.file_format or "csv"
    if fmt not in FORMATS:
        fmt = "csv"
    out = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)
    write_results(tickets_of(run.source), Mapping(run.mapping), fmt, out, encoding=run.encoding)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"{run.source}-results.{fmt}")


@ensure_csrf_cookie
@login_required
def unplaced(request):
    """The oldest unplaced ticket, with its address and text, on a map to click its place."""
    _intake(request)
    queue = HotlineTicket.objects.filter(state=TicketState.UNPLACED).order_by("received_at", "id")
    return render(request, "hotline/unplaced.html", {"ticket": queue.first(), "waiting": queue.count(),
                                                     "map": _map_config()})


@ensure_csrf_cookie
@login_required
def review(request):
    """Tickets whose scope or category the classifier was unsure of, most likely wrong first:
    pick one of its three suggestions, or another category."""
    _intake(request)
    queue = HotlineTicket.objects.filter(needs_review=True).select_related("category").order_by(
        F("doubt").desc(nulls_last=True), "received_at", "id")
    categories = Category.objects.filter(active=True).order_by("service_code")
    return render(request, "hotline/review.html", {"tickets": queue[:QUEUE_SHOWN], "waiting": queue.count(),
                                                   "categories": categories})



@login_required
def classifier_page(request):
    """Managers and intake: the newest classifier version's precision per category and
    bureau on decisions it did not learn from."""
    require_role(request.user, MANAGER, *INTAKE, message=_("This page is for managers and intake staff."))
    version = ClassifierVersion.objects.defer("weights").order_by("-version").first()
    rows = precision_rows(version) if version else []
    return render(request, "hotline/classifier.html", {"version": version, "rows": rows})
