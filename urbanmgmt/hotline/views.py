"""The intake pages (受理员: dispatchers, admins): upload a ticket file and watch its import,
place the unplaced tickets on a map, review the low-confidence categories, export the
results back in the source's format. The pages' actions go through the ticket API."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie

from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import DomainError
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.hotline import knowledge, queues, training, uploads
from urbanmgmt.hotline.api import precision_rows
from urbanmgmt.hotline.export import FORMATS, tickets_of, write_results
from urbanmgmt.hotline.mapping import Mapping, load_mapping
from urbanmgmt.hotline.models import (
    Bureau,
    ClassifierVersion,
    HotlineTicket,
    ImportRun,
    Satisfaction,
    TicketState,
)
from urbanmgmt.hotline.services import INTAKE
from urbanmgmt.org.roles import MANAGER, require_role
from urbanmgmt.storage import MediaUnavailable
from urbanmgmt.uploads import UploadIncomplete, WholeBodyUploadHandler

MAPPING_MAX_BYTES = 1 << 20


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
    source = mapping.source_of(request.POST.get("source"))[:40]
    run = ImportRun.objects.create(source=source, filename=name, started_by=request.user, total=upload.size,
                                   file_format=uploads.format_of(name), mapping=mapping.data)
    try:
        uploads.start(run, Path(upload.temporary_file_path()), request.user)
    except MediaUnavailable as exc:  # nothing kept: no run waits for a file that is not there
        run.delete()
        return _upload_page(request, str(exc), status=exc.status)
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
    sources = sorted({settings.HOTLINE_DEFAULT_SOURCE, *HotlineTicket.objects.values_list("source", flat=True)
                      .order_by().distinct()[:50]})
    return render(request, "hotline/upload.html", {"error": error, "runs": runs, "limit": _megabytes(
        settings.HOTLINE_UPLOAD_MAX_BYTES), "formats": FORMATS, "sources": sources,
        "default_source": settings.HOTLINE_DEFAULT_SOURCE}, status=status)


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


def _next_of(listing: queues.Listing, current: HotlineTicket | None) -> str:
    """The link to the ticket after `current` in the list (skip: no decision taken)."""
    tickets = list(listing.page.object_list)
    after = [t for t in tickets[tickets.index(current) + 1:]] if current in tickets else []
    if after:
        return "?" + listing.query(ticket=after[0].pk, page=listing.page.number)
    if listing.page.has_next():
        return "?" + listing.query(page=listing.page.next_page_number())
    return ""


def _selected(listing: queues.Listing, pk: str | None) -> HotlineTicket | None:
    tickets = list(listing.page.object_list)
    chosen = next((t for t in tickets if str(t.pk) == pk), None)
    return chosen or (tickets[0] if tickets else None)


@ensure_csrf_cookie
@login_required
def unplaced(request):
    """The tickets waiting for a place, as a list to search and order; the chosen one (the
    first by default) on a map to click its place, skip, set aside or forward."""
    _intake(request)
    listing = queues.listing(HotlineTicket.objects.filter(state=TicketState.UNPLACED).select_related("case"),
                             request.GET)
    ticket = _selected(listing, request.GET.get("ticket"))
    set_aside = HotlineTicket.objects.filter(state=TicketState.SET_ASIDE).count()
    return render(request, "hotline/unplaced.html", {
        "listing": listing, "ticket": ticket, "next": _next_of(listing, ticket), "orders": _orders("doubt"),
        "districts": queues.districts(), "bureaus": Bureau.objects.filter(active=True), "set_aside": set_aside,
        "map": _map_config()})


def _orders(*left_out: str) -> list[tuple[str, str]]:
    return [(key, label) for key, label in queues.ORDERS.items() if key not in left_out]


@ensure_csrf_cookie
@login_required
def review(request):
    """Every ticket whose scope or category the classifier was unsure of, a page at a time
    (most likely wrong first unless the clerk chooses): one click on one of its three
    suggestions, or any category found by typing, or forwarded as not ours."""
    _intake(request)
    listing = queues.listing(HotlineTicket.objects.filter(needs_review=True).select_related("category", "case"),
                             request.GET, default_order="doubt")
    categories = list(Category.objects.filter(active=True).order_by("service_code")
                      .only("service_code", "name_zh", "name_en"))
    names = {c.service_code: c.name for c in categories}
    for ticket in listing.page:  # the stored suggestions name categories in Chinese
        ticket.suggestions = [{**s, "name": names.get(s["code"], s["name"])} if s.get("kind") == "category" else s
                              for s in ticket.suggestions or []]
    return render(request, "hotline/review.html", {
        "listing": listing, "orders": _orders(), "districts": queues.districts(), "categories": categories,
        "bureaus": Bureau.objects.filter(active=True)})


@login_required
def tickets(request):
    """Find a ticket by its number or its case's code (one exact match opens it), or list the
    tickets of a state (set aside, waiting for an answer, …) with the queues' search."""
    _intake(request)
    q = request.GET.get("q", "").strip()
    if q and not request.GET.get("page"):
        found = list(queues.exact(q)[:2])
        if len(found) == 1:
            return redirect("hotline-ticket", found[0].pk)
    state = request.GET.get("state", "")
    queryset = HotlineTicket.objects.select_related("case")
    if state in TicketState.values:
        queryset = queryset.filter(state=state)
    listing = queues.listing(queryset, request.GET)
    return render(request, "hotline/tickets.html", {
        "listing": listing, "state": state, "states": TicketState.choices, "orders": _orders("doubt"),
        "districts": queues.districts()})


@ensure_csrf_cookie
@login_required
def ticket_page(request, pk: int):
    """One ticket: what the citizen asked, its case, its history, the knowledge base entries
    that answer it best; answer the citizen (答复), from an entry in one click, and record the
    callback (回访)."""
    _intake(request)
    ticket = get_object_or_404(HotlineTicket.objects.select_related("case", "category", "bureau"), pk=pk)
    return render(request, "hotline/ticket.html", {
        "ticket": ticket, "history": queues.history(ticket), "satisfactions": Satisfaction.choices,
        "knowledge": knowledge.matches(ticket),
        "categories": Category.objects.filter(active=True).order_by("service_code")
        .only("service_code", "name_zh", "name_en")
        if ticket.state == TicketState.FORWARDED else (),
        # Answered at intake: a question waiting for its answer, or one not yet placed that
        # needs no case after all; an answered ticket is not offered a second answer.
        "can_answer": ticket.case_id is None and ticket.state in (TicketState.TO_ANSWER, TicketState.UNPLACED),
        "can_call_back": ticket.state in (TicketState.ANSWERED, TicketState.REPLIED, TicketState.OPEN)})


@login_required
def classifier_page(request):
    """Managers and intake: the newest classifier version's precision per category and
    bureau on decisions it did not learn from, and the state of the latest retraining."""
    require_role(request.user, MANAGER, *INTAKE, message=_("This page is for managers and intake staff."))
    version = ClassifierVersion.objects.defer("weights").order_by("-version").first()
    rows = precision_rows(version) if version else []
    return render(request, "hotline/classifier.html", {"version": version, "rows": rows,
                                                       "retraining": training.retraining(),
                                                       "retrain_after": settings.HOTLINE_RETRAIN_AFTER})
