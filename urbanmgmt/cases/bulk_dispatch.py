"""Bulk dispatch (批量派遣): many filed cases sent to one department in one request.

Each case goes through services.dispatch, the one definition of the step (cases/steps.py):
its own transaction, its own row lock, its own compare-and-set on the version the
dispatcher saw, its own history event. A case someone changed meanwhile is a conflict, one
the step refuses now is refused with the step's reason; neither undoes the others.
"""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.cases.states import allowed_roles
from urbanmgmt.cases.steps import STEPS, begin, require_role
from urbanmgmt.errors import DomainError, InvalidInput, StaleVersion
from urbanmgmt.org.models import Department

MAX_CASES = 500  # a dispatcher's selection; the selection on the map is bounded the same way

DISPATCHED = "dispatched"
CONFLICT = "conflict"
REFUSED = "refused"


@dataclass
class ItemResult:
    """What became of one case of the request: `outcome` dispatched / conflict / refused,
    `code` the error's code (stale_version, forbidden_transition, not_allowed, not_found),
    `detail` the reason in the user's language, and the case's version and state now."""

    id: int
    outcome: str
    case_code: str = ""
    code: str = ""
    detail: str = ""
    version: int | None = None
    state: str | None = None
    due_at: object = None

    def as_dict(self) -> dict:
        return asdict(self)


def check_role(actor) -> None:
    """NotAllowed unless the actor's role may take the dispatch step (dispatcher, admin)."""
    require_role(actor, allowed_roles(STEPS["dispatch"]))


def check_request(actor, items: list[tuple[int, int]], department: Department, reason: str = "") -> None:
    """Refuse the whole request before any case is read: the actor's role (NotAllowed), an
    empty, oversized or repeating list, or a department the step refuses (InvalidInput)."""
    check_role(actor)
    if not items:
        raise InvalidInput(_("Select at least one case to dispatch."))
    if len(items) > MAX_CASES:
        raise InvalidInput(_("At most %(max)s cases can be dispatched at once; %(n)s were sent. Narrow the "
                             "selection."), max=MAX_CASES, n=len(items))
    ids = [pk for pk, _version in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("A case appears twice in the selection."))
    begin(STEPS["dispatch"], reason, {"department": department})


def dispatch_each(actor, items: list[tuple[int, int]], department: Department, reason: str = "") -> list[ItemResult]:
    """Dispatch each (case id, version seen) to `department` through services.dispatch, one
    transaction per case; returns one ItemResult per item, in their order. A case the actor
    may not see is refused as not found (whether it exists is not told)."""
    check_request(actor, items, department, reason)
    ids = [pk for pk, _version in items]
    cases = {case.pk: case for case in Case.objects.visible_to(actor).filter(pk__in=ids).only("id", "code")}
    results = []
    for pk, version in items:
        case = cases.get(pk)
        if case is None:
            results.append(ItemResult(pk, REFUSED, code="not_found",
                                      detail=_("No case with id %(id)s that you may see.") % {"id": pk}))
            continue
        results.append(_dispatch_one(actor, case, version, department, reason))
    return results


def _dispatch_one(actor, case: Case, version: int, department: Department, reason: str) -> ItemResult:
    try:
        done = services.dispatch(actor, case, version=version, department=department, reason=reason)
    except StaleVersion as conflict:
        now = Case.objects.only("version", "state").get(pk=case.pk)
        return ItemResult(case.pk, CONFLICT, case.code, conflict.code, str(conflict), now.version, now.state)
    except DomainError as refusal:
        now = Case.objects.only("version", "state").get(pk=case.pk)
        return ItemResult(case.pk, REFUSED, case.code, refusal.code, str(refusal), now.version, now.state)
    return ItemResult(case.pk, DISPATCHED, case.code, version=done.version, state=done.state, due_at=done.due_at)
