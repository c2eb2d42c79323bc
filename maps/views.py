"""The dispatcher's map page and the department workspace."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from maps.api import FORMAT_NAMES
from maps.builders import dispatch_map
from maps.patrols import STATE_LABELS
from urbanmgmt.cases.models import CaseMedia, Channel, RejectReason, State
from urbanmgmt.cases.states import TRANSITIONS, allowed_roles
from urbanmgmt.cases.steps import EVENTS, STEPS
from urbanmgmt.catalog.models import Category, Family
from urbanmgmt.org.models import Department
from urbanmgmt.org.names import link_names
from urbanmgmt.org.roles import ADMIN, COMMAND_CENTRE, HANDLER, ROLES, department_of, has_role, require_role
from urbanmgmt.storage import exports as kept


def _choices() -> dict:
    """The labels of the models' choices (in the user's language) and the options of the forms.

    The scripts' own words come from Django's JavaScript catalogue (djangojs.po); these are
    data: the same labels the server writes, defined once on the models."""
    return {
        "states": {value: str(label) for value, label in State.choices},
        "channels": {value: str(label) for value, label in Channel.choices},
        "actions": {name: str(t.label) for name, t in TRANSITIONS.items()},
        "events": {name: str(label) for name, label in EVENTS.items()},
        "reject_reasons": {value: str(label) for value, label in RejectReason.choices},
        "departments": list(Department.objects.order_by("code").values("code", "name", "name_en")),
        # The family with each: both families have a major class 市容环境, told apart by it.
        "categories": list(Category.objects.filter(active=True).order_by("service_code")
                           .values("service_code", "name_zh", "name_en", "family", "major__code", "major__name_zh",
                                   "major__name_en")),
        "families": {value: str(label) for value, label in Family.choices},
        "roles": {name: str(label) for name, label in ROLES.items()},
        "media_kinds": {value: str(label) for value, label in CaseMedia.Kind.choices},
    }


def category_groups(choices: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """The categories of `_choices` under headings "family · major class", in the user's
    language: (heading, [(service code, name)])."""
    english = (get_language() or "").startswith("en")
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in choices["categories"]:
        major = (english and c["major__name_en"]) or c["major__name_zh"]
        heading = f"{choices['families'].get(c['family'], c['family'])} · {major}"
        groups.setdefault(heading, []).append((c["service_code"], (english and c["name_en"]) or c["name_zh"]))
    return list(groups.items())


def ticket_steps(user) -> dict[str, list[str]]:
    """The states in which `user` may link and unlink 12345 tickets on a case: the steps' own
    roles and states (steps.STEPS, the rule the API applies), none where the role may not."""
    return {action: [str(state) for state in STEPS[action].sources] if has_role(user, *allowed_roles(STEPS[action])) else []
            for action in ("link", "unlink")}


@login_required
@ensure_csrf_cookie
def dispatch(request):
    """The grid dispatch map: grids coloured by their cases, the cases, their panel."""
    require_role(request.user, *COMMAND_CENTRE)
    built = dispatch_map()
    choices = _choices()
    context = {
        "map": built, "category_groups": category_groups(choices),
        "config": {"names": built.names, "poll_s": settings.MAP_POLL_S, "choices": choices,
                   "api": "/api/v1/", "workspace": False, "link_names": link_names(request.GET),
                   "ticket_steps": ticket_steps(request.user)},
        "states": State.choices, "channels": Channel.choices, "map_tiles": bool(settings.MAP_TILE_URL),
        "can_bulk": has_role(request.user, *allowed_roles(STEPS["dispatch"])),  # 批量派遣: who may dispatch
        "patrol_states": {key: str(label) for key, label in STATE_LABELS.items()},
        "patrol_limits": {"idle": settings.PATROL_IDLE_MINUTES, "offline": settings.PATROL_OFFLINE_MINUTES},
    }
    return render(request, "maps/dispatch.html", context)


@login_required
@ensure_csrf_cookie
def workspace(request):
    """A department's queue: to sign, due soon, overdue; sign, reply, extend, return."""
    require_role(request.user, HANDLER, ADMIN)
    department = Department.objects.filter(pk=department_of(request.user)).first()
    config = {"api": "/api/v1/", "choices": _choices(), "workspace": True,
              "department": department.code if department else None}
    return render(request, "maps/workspace.html", {
        "department": department, "config": config, "can_export": kept.may_export(request.user),
        "export_scopes": [("", _("Open cases:")), ("&open=all", _("All cases, closed ones too:"))],
        "export_formats": FORMAT_NAMES.items()})
