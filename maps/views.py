"""The dispatcher's map page and the department workspace."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie

from maps.builders import dispatch_map
from urbanmgmt.cases.models import Channel, RejectReason, State
from urbanmgmt.cases.states import TRANSITIONS
from urbanmgmt.catalog.models import Category
from urbanmgmt.org.models import Department
from urbanmgmt.org.roles import ADMIN, DISPATCHER, HANDLER, MANAGER, department_of, require_role

MAP_ROLES = (DISPATCHER, MANAGER, ADMIN)

# The words of the pages' scripts, translated here (the scripts have no catalogue of their own).
STRINGS = {
    "offline": _("The server cannot be reached. Nothing was changed; try again."),
    "error": _("Error"), "loading": _("Loading…"), "case_title": _("Case"), "close_panel": _("Close the panel"),
    "state": _("State"), "channel": _("Channel"), "category": _("Category"), "place": _("Place"),
    "address": _("Address"), "department": _("Department"), "reported_at": _("Reported"),
    "sign_due": _("To sign by"), "due": _("Deadline"), "overdue": _("overdue"), "tickets": _("12345 tickets"),
    "version": _("Version"), "reject_reason": _("Rejection reason"), "reply": _("Department reply"),
    "extension_asked": _("Extension asked until"), "actions": _("Next steps"),
    "linked_tickets": _("Linked 12345 tickets"), "video_candidates": _("Video candidates"),
    "no_photos": _("No photos."), "photo": _("Photo"), "history": _("History"),
    "suggested_department": _("Suggested department (ownership register)"),
    "none_suggested": _("The register has no owner for this place and category."), "none": _("None."),
    "ticket_id": _("Ticket number"), "link": _("Link ticket"), "unlink": _("Unlink"),
    "unlinked_from_panel": _("Unlinked on the dispatch map"), "saved": _("Saved."), "snapshot": _("Snapshot"),
    "no_actions": _("Nothing for you to do on this case now."), "choose": _("— choose —"),
    "keep_category": _("keep the category"), "field_reason": _("Reason"), "field_reply": _("What was done"),
    "field_department": _("Department"), "field_category": _("Category"), "field_reason_code": _("Reason"),
    "field_days": _("Working days"), "field_photos": _("Photos after handling"), "submit": _("Submit"),
    "cancel": _("Cancel"), "sending": _("Sending…"),
    "conflict_title": _("Someone else changed this case first."),
    "refused_title": _("Not done:"), "reload_case": _("Load the latest version"),
    "overdue_cases": _("overdue cases"), "open_cases": _("open cases"), "grid_layer": _("Grids by cases"),
    "open_case": _("Open the case"), "truncated": _("%s cases here: showing the newest; zoom in for the rest."),
    "cases_in_view": _("%s cases in view."), "cases_counted": _("%s cases in view (counted by area; zoom in)."),
    "new_cases": _("%s new case(s) arrived."), "changed_elsewhere": _("This case has changed since you opened it."),
    "to_sign": _("To sign (within 2 working hours)"), "overdue_list": _("Overdue"), "due_soon": _("Due soon"),
    "in_hand": _("In hand"), "waiting": _("Waiting for the command centre"), "recent": _("Recently replied"),
    "own_case": _("the ticket's own case"), "linked_by_hand": _("linked by hand"),
    "why_distance": _("%s m apart"), "why_community": _("same community (address only)"),
    "why_hours": _("%s h apart"), "why_same_category": _("same category"), "why_same_major": _("same major class"),
    "why_similarity": _("text similarity %s"),
    "fixed_filters": _("Also filtered by:"), "clear": _("Clear"),
    "empty_queue": _("Nothing here."), "sign_late": _("late to sign"), "updated": _("Updated at"),
}


def _vocabulary() -> dict:
    """Labels the page's script shows (in the user's language) and the choices of its forms."""
    return {
        "states": {value: str(label) for value, label in State.choices},
        "channels": {value: str(label) for value, label in Channel.choices},
        "actions": {name: str(t.label) for name, t in TRANSITIONS.items()},
        "needs_reason": [name for name, t in TRANSITIONS.items() if t.needs_reason],
        "reject_reasons": {value: str(label) for value, label in RejectReason.choices},
        "departments": list(Department.objects.order_by("code").values("code", "name")),
        "categories": list(Category.objects.filter(active=True).order_by("service_code")
                           .values("service_code", "name_zh", "major__name_zh")),
        "t": {key: str(text) for key, text in STRINGS.items()},
    }


@login_required
@ensure_csrf_cookie
def dispatch(request):
    """The grid dispatch map: grids coloured by their cases, the cases, their panel."""
    require_role(request.user, *MAP_ROLES)
    built = dispatch_map()
    context = {
        "map": built,
        "config": {"names": built.names, "poll_s": settings.MAP_POLL_S, "vocabulary": _vocabulary(),
                   "api": "/api/v1/", "workspace": False},
        "states": State.choices, "channels": Channel.choices,
    }
    return render(request, "maps/dispatch.html", context)


@login_required
@ensure_csrf_cookie
def workspace(request):
    """A department's queue: to sign, due soon, overdue; sign, reply, extend, return."""
    require_role(request.user, HANDLER, ADMIN)
    department = Department.objects.filter(pk=department_of(request.user)).first()
    config = {"api": "/api/v1/", "vocabulary": _vocabulary(), "workspace": True,
              "department": department.code if department else None}
    return render(request, "maps/workspace.html", {"department": department, "config": config})
