"""Every step of the closed loop, defined once (DOMAIN §4).

A `Step` says from which states an action starts, where it leads, who may take it, what it
needs (of its arguments, `inputs`; of the case as it is now, `guard`), which fields it sets
and what its history event says. `decide` applies those rules to a case in memory and
returns what to write; it writes nothing. The writers are services.py (one transaction per
step, the row locked, a compare-and-set on the version) and bulk.Ledger (many steps in
memory, written in batches, each case compared-and-set on the version it was read at): both
run every step through `begin` and `decide`, so neither restates a rule.

`available(case, user)` lists the steps a person may take on a case now: state, role and
the preconditions that depend on the case, not on the arguments still to be given.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models.base import ModelState
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from urbanmgmt.cases import clock, worktime
from urbanmgmt.cases.models import OPEN_STATES, Case, Channel, InspectionTask, RejectReason, RequestType, State
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, StaleVersion
from urbanmgmt.grids.services import grid_for_point
from urbanmgmt.moments import check_moment
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Profile

# Who may report through which channel (administrators through every one).
REPORTING_ROLES = {
    Channel.INSPECTOR: (R.INSPECTOR,),
    Channel.VIDEO: (R.ANALYST,),
    Channel.HOTLINE: (R.DISPATCHER,),
    Channel.OTHER: (R.DISPATCHER,),
}
# 12345 handling deadlines by request type, in working days (DOMAIN §5).
REQUEST_TYPE_DAYS = {RequestType.CONSULTATION: 1, RequestType.HELP: 5, RequestType.COMPLAINT: 5,
                     RequestType.SUGGESTION: 5}
DEFAULT_DAYS = 5

Arguments = dict  # a step's keyword arguments, and "reason" (stripped)


def _nothing(*args) -> dict:
    return {}


@dataclass(frozen=True)
class Step:
    action: str
    label: object
    sources: tuple[str, ...]
    target: str | None  # None: the step decides (stays, or returns to an earlier state)
    roles: tuple[str, ...]
    needs_reason: bool = False
    inputs: Callable[[Arguments], None] | None = None  # refuses bad arguments before the case is read
    guard: Callable[[Case, dt.datetime], None] | None = None  # refuses while the case is not ready for it
    fields: Callable[[Case, dt.datetime, Arguments], dict] = _nothing  # what it sets (may refuse, given args)
    payload: Callable[[Case, dict, Arguments], dict] = _nothing  # its event's payload, given the fields set
    answers: bool = False  # the case's 12345 tickets get the outcome (`answer_text`)
    task: tuple[str, str] | None = None  # (kind, argument naming the inspector) of the task it opens
    endpoint: bool = True  # taken through POST /api/v1/cases/{id}/{action}/ (states.TRANSITIONS)


@dataclass
class Outcome:
    """What a step does to a case: the role acted in, the fields to write, the event."""

    step: Step
    role: str
    from_state: str
    fields: dict
    payload: dict


# --- deadlines and the extension rule ----------------------------------------------------

def handling_deadline(case: Case, start: dt.datetime) -> dt.datetime:
    """The deadline of a case dispatched at `start`: by 12345 request type, else by category."""
    if case.request_type:
        return worktime.add_working_days(start, REQUEST_TYPE_DAYS[case.request_type])
    if case.category is not None:
        value = float(case.category.deadline_value)
        if case.category.deadline_unit == "hours":
            return worktime.add_working_hours(start, value)
        return worktime.add_working_days(start, value)
    return worktime.add_working_days(start, DEFAULT_DAYS)


def handling_minutes(dispatched_at: dt.datetime | None, handled_at: dt.datetime | None) -> float | None:
    """Case.handling_minutes: the working minutes from the dispatch to the reply (None until both)."""
    if dispatched_at is None or handled_at is None:
        return None
    return round(worktime.working_minutes_between(dispatched_at, handled_at), 3)


def _extension_allowed(c: Case, now: dt.datetime) -> None:
    if c.request_type == RequestType.CONSULTATION:
        raise ForbiddenTransition(_("Consultations are not extended."))
    if c.extension_count or c.extension_requested_until:
        raise ForbiddenTransition(_("An extension may be requested only once for a case."))
    if worktime.working_days_between(now, c.due_at) < settings.EXTENSION_MIN_NOTICE_WORKING_DAYS:
        raise ForbiddenTransition(_("An extension must be requested at least %(days)s working day before "
                                    "the deadline."), days=settings.EXTENSION_MIN_NOTICE_WORKING_DAYS)


def _extension_fields(c: Case, now: dt.datetime, a: Arguments) -> dict:
    days = a.get("days")
    if days is None or not 0 < float(days) <= settings.EXTENSION_MAX_TOTAL_WORKING_DAYS:
        raise InvalidInput(_("Give the extra time as a positive number of working days."))
    until = worktime.add_working_days(c.due_at, float(days))
    total = worktime.working_days_between(c.dispatched_at, until)
    if total > settings.EXTENSION_MAX_TOTAL_WORKING_DAYS + 1e-9:
        raise ForbiddenTransition(_("With this extension the case would take %(total).1f working days; at "
                                    "most %(max)s are allowed."), total=total,
                                  max=settings.EXTENSION_MAX_TOTAL_WORKING_DAYS)
    return {"extension_requested_until": until, "extension_count": c.extension_count + 1}


# --- what each step needs and sets -------------------------------------------------------

def _file(c: Case, now: dt.datetime, a: Arguments) -> dict:
    chosen = a.get("category") or c.category
    if chosen is None:
        raise InvalidInput(_("Choose a category before filing the case."))
    return {"filed_at": now, "category": chosen, "urgency": chosen.urgency}


def _category_change(c: Case, f: dict, a: Arguments) -> dict:
    """A step that may change the category: the category before and after, when it changed
    (the history names both)."""
    chosen = f.get("category")
    if chosen is None or chosen.pk == c.category_id:
        return {}
    before = c.category.service_code if c.category_id else None
    return {"from_category": c.category_id, "from_service_code": before, "category": chosen.pk,
            "service_code": chosen.service_code}


def _known_reject_reason(a: Arguments) -> None:
    if a.get("reason_code") not in RejectReason.values:
        raise InvalidInput(_("Unknown rejection reason %(code)s."), code=a.get("reason_code"))


def _active_department(a: Arguments) -> None:
    department = a.get("department")
    if department is None or not department.active:
        raise InvalidInput(_("Choose an active department to dispatch to."))


def _dispatch(c: Case, now: dt.datetime, a: Arguments) -> dict:
    due = handling_deadline(c, now)
    return {"department": a["department"], "dispatched_at": now, "due_at": due, "original_due_at": due,
            "sign_due_at": worktime.add_working_hours(now, settings.SIGN_WITHIN_WORKING_HOURS),
            "signed_at": None, "extension_requested_until": None}


def _not_signed(c: Case, now: dt.datetime) -> None:
    if c.signed_at:
        raise ForbiddenTransition(_("This case was already signed for."))


def _within_return_time(c: Case, now: dt.datetime) -> None:
    if worktime.working_days_between(c.dispatched_at, now) > settings.RETURN_WITHIN_WORKING_DAYS:
        raise ForbiddenTransition(_("The time to return this case (%(days)s working day after dispatch) "
                                    "has passed; ask the dispatcher."), days=settings.RETURN_WITHIN_WORKING_DAYS)


def _extension_pending(c: Case, now: dt.datetime) -> None:
    if not c.extension_requested_until:
        raise ForbiddenTransition(_("No extension is pending for this case."))


def _has_reply(a: Arguments) -> None:
    if not (a.get("reply") or "").strip():
        raise InvalidInput(_("Write a reply saying what was done."))


ANSWERED_IN_WORDS = frozenset({RequestType.CONSULTATION, RequestType.SUGGESTION})


def needs_after_photo(c: Case) -> bool:
    """Whether a reply that `c` is fixed must bring a photo taken after the work: a problem at a
    place must (settings.HANDLE_NEEDS_PHOTO), a 12345 consultation or suggestion is answered
    in words. Asked where a reply comes in with its photos (the case API's handle)."""
    return settings.HANDLE_NEEDS_PHOTO and c.request_type not in ANSWERED_IN_WORDS


def _handle(c: Case, now: dt.datetime, a: Arguments) -> dict:
    return {"handled_at": now, "reply": a["reply"].strip(), "signed_at": c.signed_at or now,
            "extension_requested_until": None}


def _handle_payload(c: Case, f: dict, a: Arguments) -> dict:
    """On time or not, the photos after, and the reply (the case's `reply` is the last one: a
    rework's history keeps each)."""
    photos = {"photos": a["photos"]} if a.get("photos") else {}
    return {"on_time": c.due_at is None or f["handled_at"] <= c.due_at, "reply": f["reply"], **photos}


def _an_inspector(name: str, message) -> Callable[[Arguments], None]:
    def check(a: Arguments) -> None:
        if a.get(name) is not None and not R.has_role(a[name], R.INSPECTOR):
            raise InvalidInput(message)
    return check


def _username(name: str) -> Callable[[Case, dict, Arguments], dict]:
    return lambda c, f, a: {name: a[name].get_username() if a.get(name) else None}


def _close(c: Case, now: dt.datetime, a: Arguments) -> dict:
    if c.state == State.FILED and not a["reason"]:
        raise InvalidInput(_("Say why this case is closed without dispatch."))
    return {"closed_at": now}


def _has_ticket(c: Case, now: dt.datetime) -> None:
    if c.ticket_count < 1:
        raise ForbiddenTransition(_("This case has no linked ticket to take off."))


def _a_category(a: Arguments) -> None:
    if a.get("category") is None:
        raise InvalidInput(_("Choose a category."))


def _site(c: Case, f: dict, a: Arguments) -> dict:
    return a.get("site") or {}


def _a_client_id(a: Arguments) -> None:
    if not str(a.get("client_uuid") or "").strip():
        raise InvalidInput(_("A report id is missing."))


def _corroboration(c: Case, f: dict, a: Arguments) -> dict:
    # The client's id makes a resend find its first event instead of adding the photos twice.
    return {"client_uuid": str(a["client_uuid"]), "photos": list(a.get("photos") or [])}


S = State
_STEPS = [
    Step("file", pgettext_lazy("case step", "File"), (S.REPORTED,), S.FILED, (R.DISPATCHER,), fields=_file,
         payload=_category_change),
    Step("reject", pgettext_lazy("case step", "Reject"), (S.REPORTED,), S.REJECTED, (R.DISPATCHER,), True,
         inputs=_known_reject_reason, fields=lambda c, now, a: {"rejected_at": now, "reject_reason": a["reason_code"]},
         payload=lambda c, f, a: {"reason_code": a["reason_code"]}, answers=True),
    Step("request_verification", pgettext_lazy("case step", "Ask for on-site verification"), (S.REPORTED,), None, (R.DISPATCHER,),
         inputs=_an_inspector("inspector", _("Verification must be asked of an inspector.")),
         payload=_username("inspector"), task=(InspectionTask.Kind.VERIFY, "inspector")),
    Step("verify", _("Verified on site"), (S.REPORTED,), None, (R.INSPECTOR,), payload=_site),
    Step("void", pgettext_lazy("case step", "Void"), (S.FILED,), S.VOIDED, (R.DISPATCHER,), True),
    Step("dispatch", pgettext_lazy("case step", "Dispatch"), (S.FILED,), S.DISPATCHED, (R.DISPATCHER,), inputs=_active_department,
         fields=_dispatch, payload=lambda c, f, a: {"department": a["department"].code}),
    Step("sign", pgettext_lazy("case step", "Sign"), (S.DISPATCHED,), None, (R.HANDLER,), guard=_not_signed,
         fields=lambda c, now, a: {"signed_at": now},
         payload=lambda c, f, a: {"on_time": f["signed_at"] <= c.sign_due_at if c.sign_due_at else True}),
    Step("return", pgettext_lazy("case step", "Return as misrouted"), (S.DISPATCHED,), S.RETURNED, (R.HANDLER,), True,
         guard=_within_return_time, fields=lambda c, now, a: {"return_count": c.return_count + 1}),
    Step("approve_return", _("Approve return"), (S.RETURNED,), S.FILED, (R.DISPATCHER,),
         fields=lambda c, now, a: {"department": None, "due_at": None, "sign_due_at": None, "signed_at": None},
         payload=lambda c, f, a: {"misrouted": True, "department": c.department.code if c.department_id else None}),
    Step("deny_return", _("Deny return"), (S.RETURNED,), S.DISPATCHED, (R.DISPATCHER,), True),
    Step("request_extension", pgettext_lazy("case step", "Request extension"), (S.DISPATCHED,), None, (R.HANDLER,), True,
         guard=_extension_allowed, fields=_extension_fields,
         payload=lambda c, f, a: {"days": float(a["days"]), "until": f["extension_requested_until"].isoformat()}),
    Step("approve_extension", _("Approve extension"), (S.DISPATCHED,), None, (R.DISPATCHER,),
         guard=_extension_pending,
         fields=lambda c, now, a: {"due_at": c.extension_requested_until, "extension_requested_until": None},
         payload=lambda c, f, a: {"due_at": f["due_at"].isoformat()}),
    Step("deny_extension", _("Deny extension"), (S.DISPATCHED,), None, (R.DISPATCHER,), True,
         guard=_extension_pending, fields=lambda c, now, a: {"extension_requested_until": None}),
    Step("handle", pgettext_lazy("case step", "Reply as handled"), (S.DISPATCHED,), S.HANDLED, (R.HANDLER,), inputs=_has_reply,
         fields=_handle, payload=_handle_payload),
    Step("send_for_check", pgettext_lazy("case step", "Send for check"), (S.HANDLED,), S.CHECKING, (R.DISPATCHER,),
         inputs=_an_inspector("checker", _("The checker must be an inspector.")),
         fields=lambda c, now, a: {"checker": a.get("checker")}, payload=_username("checker"),
         task=(InspectionTask.Kind.CHECK, "checker")),
    Step("check_pass", _("Check passed"), (S.CHECKING,), S.CHECKED, (R.INSPECTOR,),
         fields=lambda c, now, a: {"checked_at": now}, payload=_site),
    Step("check_fail", pgettext_lazy("case step", "Check failed: rework"), (S.CHECKING,), S.DISPATCHED, (R.INSPECTOR,), True,
         fields=lambda c, now, a: {"rework_count": c.rework_count + 1, "checked_at": now, "handled_at": None,
                                   "due_at": handling_deadline(c, now)}, payload=_site),
    Step("close", pgettext_lazy("case step", "Close"), (S.CHECKED, S.FILED), S.CLOSED, (R.DISPATCHER,), fields=_close,
         answers=True),
    Step("suspend", pgettext_lazy("case step", "Suspend"), (S.FILED, S.DISPATCHED, S.RETURNED, S.HANDLED), S.SUSPENDED,
         (R.DISPATCHER,), True, fields=lambda c, now, a: {"suspended_at": now, "state_before_suspension": c.state}),
    Step("resume", _("Resume"), (S.SUSPENDED,), None, (R.DISPATCHER,),
         fields=lambda c, now, a: {"state": c.state_before_suspension or S.FILED, "state_before_suspension": ""}),
    Step("link", _("Link a 12345 ticket"), tuple(OPEN_STATES), None, (R.DISPATCHER,),
         fields=lambda c, now, a: {"ticket_count": c.ticket_count + 1},
         payload=lambda c, f, a: {"ticket": a["ticket"], "why": a["why"]}, endpoint=False),
    Step("unlink", _("Unlink a 12345 ticket"), tuple(S.values), None, (R.DISPATCHER,), True, guard=_has_ticket,
         fields=lambda c, now, a: {"ticket_count": c.ticket_count - 1},
         payload=lambda c, f, a: {"ticket": a["ticket"]}, endpoint=False),
    Step("recategorize", _("Change the category"), (S.REPORTED,), None, (R.DISPATCHER,), inputs=_a_category,
         fields=lambda c, now, a: {"category": a["category"], "urgency": a["category"].urgency},
         payload=_category_change, endpoint=False),
    # An inspector finds the problem already reported (已有人上报): their photos join that case.
    Step("corroborate", _("Add evidence to a reported problem"), tuple(OPEN_STATES), None,
         (R.INSPECTOR,), inputs=_a_client_id, payload=_corroboration, endpoint=False),
]
STEPS: dict[str, Step] = {step.action: step for step in _STEPS}
# What the history calls each step once taken (a step's label is the command on its button:
# "File", "Dispatch"; its event reads "Filed", "Dispatched"), and the report that opens a case.
EVENTS = {
    "report": pgettext_lazy("case event", "Reported"),
    "file": pgettext_lazy("case event", "Filed"),
    "reject": pgettext_lazy("case event", "Rejected"),
    "request_verification": pgettext_lazy("case event", "Verification asked"),
    "verify": pgettext_lazy("case event", "Verified on site"),
    "void": pgettext_lazy("case event", "Voided"),
    "dispatch": pgettext_lazy("case event", "Dispatched"),
    "sign": pgettext_lazy("case event", "Signed for"),
    "return": pgettext_lazy("case event", "Returned as misrouted"),
    "approve_return": pgettext_lazy("case event", "Return approved"),
    "deny_return": pgettext_lazy("case event", "Return denied"),
    "request_extension": pgettext_lazy("case event", "Extension requested"),
    "approve_extension": pgettext_lazy("case event", "Extension approved"),
    "deny_extension": pgettext_lazy("case event", "Extension denied"),
    "handle": pgettext_lazy("case event", "Replied as handled"),
    "send_for_check": pgettext_lazy("case event", "Sent for check"),
    "check_pass": pgettext_lazy("case event", "Check passed"),
    "check_fail": pgettext_lazy("case event", "Check failed: rework"),
    "close": pgettext_lazy("case event", "Closed"),
    "suspend": pgettext_lazy("case event", "Suspended"),
    "resume": pgettext_lazy("case event", "Resumed"),
    "link": pgettext_lazy("case event", "12345 ticket linked"),
    "unlink": pgettext_lazy("case event", "12345 ticket unlinked"),
    "recategorize": pgettext_lazy("case event", "Category changed"),
    "corroborate": pgettext_lazy("case event", "Evidence added"),
}
# The services' function of a step where its name is not the action's (`return` is a keyword).
FUNCTIONS = {"return_case": "return"}


def answer_text(step: Step, case: Case, a: Arguments) -> str:
    """What the 12345 tickets of a case are answered with when `step` ends it (rejection
    reason, or the department's reply when it is closed)."""
    return (case.reply or a["reason"]) if step.action == "close" else a["reason"]


# --- the runner -------------------------------------------------------------------------

def begin(step: Step, reason: str | None, args: Arguments) -> Arguments:
    """The arguments of a step checked before anything is read (InvalidInput); returns
    them with the reason stripped."""
    if step.inputs:
        step.inputs(args)
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise InvalidInput(_("Give a reason for this action."))
    return {**args, "reason": reason}


def decide(step: Step, actor, case: Case, version: int, args: Arguments, now: dt.datetime) -> Outcome:
    """The step applied to `case` as it is now (read under lock, or held in memory by the
    one writer of a batch): version, state, role, preconditions, then the fields it sets
    (state, version and time included) and its event's payload. Raises when refused."""
    check_step(step, case, version)
    role = acting_role(actor, step, case)
    if step.guard:
        step.guard(case, now)
    fields = step.fields(case, now, args)
    to_state = fields.pop("state", None) or step.target or case.state
    fields.update(state=to_state, version=case.version + 1, updated_at=now)
    if "handled_at" in fields:
        fields["handling_minutes"] = handling_minutes(fields.get("dispatched_at", case.dispatched_at),
                                                      fields["handled_at"])
    return Outcome(step, role, case.state, fields, step.payload(case, fields, args))


def check_step(step: Step, case: Case, version: int) -> None:
    """Refuse a stale version, or a state the step does not start from."""
    if version is None or int(version) != case.version:
        raise StaleVersion(seen=version, current=case.version)
    if case.state not in step.sources:
        raise ForbiddenTransition(_("“%(action)s” is not possible while the case is %(state)s."),
                                  action=step.label, state=case.get_state_display())


def acting_role(actor, step: Step, case: Case) -> str:
    """The role the actor takes the step in; NotAllowed when none of theirs may."""
    roles = R.roles_of(actor)
    if R.ADMIN in roles:
        return R.ADMIN
    for role in step.roles:
        if role not in roles:
            continue
        if role == R.HANDLER and R.department_of(actor) != case.department_id:
            raise NotAllowed(_("Only a handler of the department this case is dispatched to may do this."))
        if role == R.INSPECTOR and not may_check(actor, case):
            raise NotAllowed(_("Only the inspector asked to check this case, or one assigned to its grid, "
                               "may do this."))
        return role
    raise NotAllowed(_("Your role does not allow “%(action)s”."), action=step.label)


def may_check(actor, case: Case) -> bool:
    """The inspector named for the case's open task (or as its checker), else any of its grid."""
    named = InspectionTask.objects.filter(case_id=case.pk, done_at__isnull=True, inspector__isnull=False)
    if case.checker_id or named.exists():
        return case.checker_id == actor.pk or named.filter(inspector=actor).exists()
    return Profile.objects.filter(user=actor, grids=case.grid_id).exists()


def check_reporter(actor, channel: str, request_type: str) -> None:
    """A report's preconditions on its channel, the reporter's role for it and its request type."""
    if channel not in REPORTING_ROLES:
        raise InvalidInput(_("Unknown channel %(channel)s."), channel=channel)
    require_role(actor, (*REPORTING_ROLES[channel], R.ADMIN))
    check_request_type(request_type)


_REQUEST_TYPES = frozenset(RequestType.values)  # (the enum builds its list again at each .values)


def check_request_type(request_type: str) -> None:
    if request_type and request_type not in _REQUEST_TYPES:
        raise InvalidInput(_("Unknown request type %(type)s."), type=request_type)


def report_payload(grid_code: str, lon: float, lat: float, extra: dict | None) -> dict:
    """The payload of a report's event: where it was placed, and what the channel adds."""
    return {"grid": grid_code, "point": [lon, lat], **(extra or {})}


def main_role(actor) -> str:
    """The role an event records for an actor acting without a stated role: their first in R.ROLES."""
    roles = R.roles_of(actor)
    return next((r for r in R.ROLES if r in roles), "")


def require_role(actor, roles: tuple[str, ...]) -> None:
    if not R.has_role(actor, *roles):
        raise NotAllowed()


def check_task_result(task: InspectionTask, result: str, note: str) -> None:
    """What an inspector reports from the site must be a result of the task; "not fixed" says what."""
    if result not in InspectionTask.RESULTS[task.kind]:
        raise InvalidInput(_("“%(result)s” is not a result of this task."), result=result)
    if result == InspectionTask.Result.NOT_FIXED and not note.strip():
        raise InvalidInput(_("Say what is still wrong."))


def task_step(actor, task: InspectionTask, case: Case, result: str) -> str:
    """The step completing `task` takes on its case (verify, check_pass or check_fail), or
    why the actor may not complete it now."""
    if task.done_at:
        raise ForbiddenTransition(_("This task was already completed."))
    if task.inspector_id and task.inspector_id != actor.pk and not R.has_role(actor, R.ADMIN):
        raise NotAllowed(_("This task was given to another inspector."))
    if case.state != InspectionTask.OPEN_CASE_STATE[task.kind]:
        raise ForbiddenTransition(_("The case has moved on; this task is no longer needed."))
    if task.kind == InspectionTask.Kind.VERIFY:
        return "verify"
    return "check_pass" if result == InspectionTask.Result.FIXED else "check_fail"


def new_task(case: Case, kind: str, inspector, now: dt.datetime) -> InspectionTask:
    """The inspection task a step opens (not yet written), due in its working hours."""
    hours = settings.VERIFY_WITHIN_WORKING_HOURS if kind == InspectionTask.Kind.VERIFY else \
        settings.CHECK_WITHIN_WORKING_HOURS
    return InspectionTask(case=case, kind=kind, inspector=inspector, created_at=now,
                          due_at=worktime.add_working_hours(now, hours))


def new_case(actor, *, channel: str, point, category, description: str, address: str, request_type: str,
             external_ref: str | None, reported_at: dt.datetime | None, tickets: int, place=None,
             now: dt.datetime | None = None) -> tuple[Case, object, dt.datetime]:
    """The Case a report makes, not yet written (no code), with its grid place and the
    clock's time. `point`: a GEOS Point, or EWKT text (bulk imports); `place`: its grid
    place when already looked up. Refused: an unknown request type, a point in no grid, a
    report time in the future or before the earliest day. Built without Model.__init__ (which costs more than writing
    the row; no pre_init or post_init receiver is connected to Case)."""
    check_request_type(request_type)
    if place is None:
        place = grid_for_point(point)
    now = now or clock.now()
    at = reported_at or now
    check_moment(at, now)
    case = Case.__new__(Case)
    case.__dict__.update(_CASE_DEFAULTS)
    for name, default in _CASE_CALLABLE_DEFAULTS:
        case.__dict__[name] = default()
    case._state = ModelState()
    reporter = actor if channel == Channel.INSPECTOR else None
    case.__dict__.update(
        channel=channel, external_ref=external_ref or None, request_type=request_type,
        category_id=category.pk if category else None, urgency=category.urgency if category else "normal",
        point=point, grid_id=place.grid_id, community_id=place.community_id, street_id=place.street_id,
        district_id=place.district_id, address=address[:200], description=description,
        reporter_id=reporter.pk if reporter else None, state=State.REPORTED, reported_at=at, ticket_count=tickets)
    case._state.fields_cache["category"] = category
    if reporter is not None:
        case._state.fields_cache["reporter"] = reporter
    return case, place, now


_CASE_CALLABLE_DEFAULTS = [(f.attname, f.default) for f in Case._meta.concrete_fields
                           if f.has_default() and callable(f.default)]
_CASE_DEFAULTS = {f.attname: f.get_default() for f in Case._meta.concrete_fields
                  if (f.attname, f.default) not in _CASE_CALLABLE_DEFAULTS}


def available(case: Case, user, now: dt.datetime | None = None) -> list[str]:
    """The steps `user` may take on `case` now: its state allows them, the user's role (and
    department, or grid for an inspector) does, and the case meets their preconditions
    (a pending extension, not yet signed, the return window…). What depends on arguments
    still to be given (a reason, a category, the days of an extension) is not judged."""
    now = now or clock.now()
    return [step.action for step in _STEPS if case.state in step.sources
            and R.roles_of(user) & {*step.roles, R.ADMIN} and why_not(step, case, user, now) is None]


def why_not(step: Step, case: Case, user, now: dt.datetime | None = None) -> str | None:
    """Why `user` may not take `step` on `case` as it is now, in the user's language (the
    refusal `decide` would raise: state, role, preconditions); None when they may. The
    judgement of `available`, for one step, with its reason (the bulk dispatch's selection)."""
    try:
        check_step(step, case, case.version)
        acting_role(user, step, case)
        if step.guard:
            step.guard(case, now or clock.now())
    except (NotAllowed, ForbiddenTransition) as refusal:
        return str(refusal)
    return None
