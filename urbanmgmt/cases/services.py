"""The one way into the case table: a function per step of the closed loop (DOMAIN §4).

The rules of each step (states, roles, preconditions, fields, event) are the table of
cases/steps.py; here they are applied one transaction per step: the row locked, the version
the caller saw compared-and-set, the case and its CaseEvent written together (the SQL in
cases/rows.py). Errors are urbanmgmt.errors.DomainError subclasses with a message the user
can act on; when one is raised nothing has been written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from urbanmgmt.cases import clock, rows, steps
from urbanmgmt.cases.ledger import Ledger
from urbanmgmt.cases.models import OPEN_STATES, Case, CaseEvent, CaseMedia, InspectionTask, State
from urbanmgmt.cases.photos import Photo
from urbanmgmt.cases.rows import LockedReader, compare_and_set, ewkt_point
from urbanmgmt.cases.steps import (  # noqa: F401 (part of this module's interface)
    DEFAULT_DAYS,
    REPORTING_ROLES,
    REQUEST_TYPE_DAYS,
    STEPS,
    check_reporter,
    check_step,
    handling_deadline,
    handling_minutes,
    main_role,
    new_case,
)
from urbanmgmt.cases.worktime import at_minute
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, OutsideServiceArea, StaleVersion  # noqa: F401
from urbanmgmt.grids.services import grid_index
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department
from urbanmgmt.sqlchunks import filtered_in

# --- collect -----------------------------------------------------------------------------

@dataclass
class Evidence:
    """A photo to attach: the verified photo, what it shows, and any doubts about it."""

    photo: Photo
    kind: str = CaseMedia.Kind.BEFORE
    flags: list[str] = field(default_factory=list)


def report(actor, *, channel: str, point: Point, category: Category | None = None, description: str = "",
           address: str = "", request_type: str = "", external_ref: str | None = None,
           reported_at: dt.datetime | None = None, payload: dict | None = None,
           evidence: list[Evidence] = (), tickets: int = 0, reference_checked: bool = False) -> tuple[Case, bool]:
    """Create a case in state `reported` from any channel; returns (case, created).

    The point is placed in its unit grid (OutsideServiceArea when it lies in none). With an
    `external_ref` (a client UUID, a ticket id) the call is idempotent: a resend returns the
    case made the first time, also when two resends race. Photos are stored with the case in
    the same transaction (their files, named by hash, before it). `tickets`: the 12345
    tickets the case is made from (1 for a case a ticket makes). `reference_checked`: the caller
    has just looked `external_ref` up and found no case, so it is not asked again (a racing
    resend is still caught, by the unique index).
    """
    check_reporter(actor, channel, request_type)
    if external_ref and not reference_checked:
        existing = _by_reference(channel, external_ref)
        if existing:
            return existing, False
    case, place, now = new_case(actor, channel=channel, point=point, category=category, description=description,
                                address=address, request_type=request_type, external_ref=external_ref,
                                reported_at=reported_at, tickets=tickets)
    stored = [(item, item.photo.store()) for item in evidence]
    photos = {"photos": [item.photo.sha256 for item in evidence]} if evidence else {}
    try:
        with transaction.atomic():
            case.code = next_code(timezone.localtime(case.reported_at).year)
            rows.insert_case(case)
            if stored:
                rows.insert_media(case, actor, stored)
            rows.insert_events([rows.event_row(
                case.pk, now, actor, main_role(actor), "report", "", State.REPORTED, "",
                {**steps.report_payload(place.code, point.x, point.y, payload), **photos}, case.version)])
    except IntegrityError:
        existing = _by_reference(channel, external_ref) if external_ref else None
        if existing:
            return existing, False
        raise
    return case, True


def _by_reference(channel: str, external_ref: str) -> Case | None:
    # Asked on every report, mostly with no hit.
    pk = rows.case_id_by_reference(channel, external_ref)
    return Case.objects.get(pk=pk) if pk else None


def next_code(year: int) -> str:
    """Year + 7-digit sequence, from one UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL)."""
    return rows.case_codes(year, 1)[0]


# --- the transitions -------------------------------------------------------------------

def file(actor, case: Case, *, version: int, category: Category | None = None, reason: str = "") -> Case:
    """Accept a report as a valid case (立案); the category may be set or corrected here."""
    return _take("file", actor, case, version, reason, category=category)


def reject(actor, case: Case, *, version: int, reason_code: str, reason: str) -> Case:
    """Refuse a report (不予立案) with a reason code and a note; it counts as not valid."""
    return _take("reject", actor, case, version, reason, reason_code=reason_code)


def void(actor, case: Case, *, version: int, reason: str) -> Case:
    """Cancel a filed case that should not have been filed (作废; counts against 准确立案率)."""
    return _take("void", actor, case, version, reason)


def dispatch(actor, case: Case, *, version: int, department: Department, reason: str = "") -> Case:
    """Send a filed case to one department with its deadline in working time."""
    return _take("dispatch", actor, case, version, reason, department=department)


def sign(actor, case: Case, *, version: int) -> Case:
    """The department acknowledges the case (签收); late signing is allowed and recorded."""
    return _take("sign", actor, case, version)


def return_case(actor, case: Case, *, version: int, reason: str) -> Case:
    """The department says the case is not theirs (回退), within 1 working day of dispatch."""
    return _take("return", actor, case, version, reason)


def approve_return(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Accept a return: the case goes back to the dispatcher to be routed again."""
    return _take("approve_return", actor, case, version, reason)


def deny_return(actor, case: Case, *, version: int, reason: str) -> Case:
    """Refuse a return: the case stays with its department and its deadline."""
    return _take("deny_return", actor, case, version, reason)


def request_extension(actor, case: Case, *, version: int, days: float, reason: str) -> Case:
    """Ask once for more time, at least 1 working day before the deadline; the total time
    from dispatch may not exceed 10 working days; consultations are never extended."""
    return _take("request_extension", actor, case, version, reason, days=days)


def approve_extension(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Grant the pending extension: the deadline moves to the requested time."""
    return _take("approve_extension", actor, case, version, reason)


def deny_extension(actor, case: Case, *, version: int, reason: str) -> Case:
    """Refuse the pending extension; the deadline stays and no second request is possible."""
    return _take("deny_extension", actor, case, version, reason)


def handle(actor, case: Case, *, version: int, reply: str, evidence: list[Evidence] = ()) -> Case:
    """The department reports the problem fixed (处置反馈) with a reply note and, usually,
    photos after the work (kind "after")."""
    steps.begin(STEPS["handle"], "", {"reply": reply})  # no photo is stored for a refused reply
    stored = [(item, item.photo.store()) for item in evidence]
    return _take("handle", actor, case, version, "", reply=reply, photos=[item.photo.sha256 for item in evidence],
                 after=(lambda c, now: rows.insert_media(c, actor, stored)) if stored else None)


def send_for_check(actor, case: Case, *, version: int, checker=None, reason: str = "") -> Case:
    """Ask an inspector to verify on site that the problem is fixed (核查): a check task for
    the named inspector, or for any inspector of the case's grid."""
    return _take("send_for_check", actor, case, version, reason, checker=checker)


def request_verification(actor, case: Case, *, version: int, inspector=None, reason: str = "") -> Case:
    """Ask an inspector to verify on site that a reported problem is real (核实), typically a
    citizen's; the dispatcher then files or rejects it with the result in hand."""
    return _take("request_verification", actor, case, version, reason, inspector=inspector)


def complete_task(actor, task: InspectionTask, *, result: str, note: str = "", evidence: list[Evidence] = ()) -> Case:
    """An inspector reports from the site. Verify: the result is recorded for the dispatcher.
    Check: fixed → check passed; not fixed → rework (the note is the reason). One transaction."""
    steps.check_task_result(task, result, note)
    stored = [(item, item.photo.store()) for item in evidence]
    with transaction.atomic():
        task = InspectionTask.objects.select_for_update().get(pk=task.pk)
        case = Case.objects.get(pk=task.case_id)
        action = steps.task_step(actor, task, case, result)
        site = {"photos": [item.photo.sha256 for item in evidence], "task": task.pk, "result": result}
        case = _take(action, actor, case, case.version, note, site=site)
        rows.insert_media(case, actor, stored)
        task.done_at, task.done_by, task.result, task.note = clock.now(), actor, result, note.strip()
        rows.finish_tasks([task])
    return case


def check_pass(actor, case: Case, *, version: int, reason: str = "", site: dict | None = None) -> Case:
    """The inspector confirms on site that the problem is fixed (`site`: the task and photos)."""
    return _take("check_pass", actor, case, version, reason, site=site)


def check_fail(actor, case: Case, *, version: int, reason: str, site: dict | None = None) -> Case:
    """The inspector finds the problem not fixed: back to the department (返工), new deadline."""
    return _take("check_fail", actor, case, version, reason, site=site)


def close(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Close a checked case (结案), or a filed one that needs no dispatch, with a reason."""
    return _take("close", actor, case, version, reason)


def suspend(actor, case: Case, *, version: int, reason: str) -> Case:
    """Put a hard problem aside (挂账) with a reason; `resume` brings it back."""
    return _take("suspend", actor, case, version, reason)


def resume(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Bring a suspended case back to the state it was suspended from."""
    return _take("resume", actor, case, version, reason)


# --- 12345 tickets linked to cases --------------------------------------------------------

def link(actor, case: Case, *, version: int, ticket: str, why: dict, reason: str = "") -> Case:
    """Count one more 12345 ticket on an open case (a repeat complaint, 重复投诉); `why` is
    the reason of the link (distance, hours apart, category match, similarity, or a person's
    decision) and goes into the history with the ticket's reference."""
    return _take("link", actor, case, version, reason, ticket=ticket, why=why)


def unlink(actor, case: Case, *, version: int, ticket: str, reason: str) -> Case:
    """Take a ticket off a case it was linked to (the link was wrong); the caller gives the
    ticket its own case."""
    return _take("unlink", actor, case, version, reason, ticket=ticket)


def recategorize(actor, case: Case, *, version: int, category: Category, reason: str = "") -> Case:
    """Correct the category of a case not yet filed (e.g. intake staff reviewing a 12345
    ticket's classification); its urgency follows the category. Filing can also set it."""
    return _take("recategorize", actor, case, version, reason, category=category)


def corroborate(actor, case: Case, *, version: int, client_uuid: str, note: str = "",
                evidence: list[Evidence] = ()) -> tuple[Case, bool]:
    """An inspector adds photos (and a note) to an open case of the same problem instead of
    reporting it again (已有人上报); returns (case, added). Idempotent by the client's id: a
    resend finds the first one's event and adds nothing."""
    steps.begin(STEPS["corroborate"], note, {"client_uuid": client_uuid})  # no photo stored for a refusal
    done = CaseEvent.objects.filter(case_id=case.pk, action="corroborate", payload__client_uuid=str(client_uuid))
    if done.exists():
        return Case.objects.get(pk=case.pk), False
    stored = [(item, item.photo.store()) for item in evidence]
    case = _take("corroborate", actor, case, version, note, client_uuid=str(client_uuid),
                 photos=[item.photo.sha256 for item in evidence],
                 after=(lambda c, now: rows.insert_media(c, actor, stored)) if stored else None)
    return case, True


@dataclass
class NewReport:
    """One case to create in bulk: the arguments of `report` for one item."""

    point: Point
    category: Category | None = None
    description: str = ""
    address: str = ""
    request_type: str = ""
    external_ref: str | None = None
    reported_at: dt.datetime | None = None
    payload: dict = field(default_factory=dict)
    ticket_count: int = 0


def report_many(actor, channel: str, items: list[NewReport]) -> list[Case]:
    """`report` for many items in one transaction, for bulk imports: the same checks, case
    numbers, places and history as one call per item, with a few statements per batch
    instead of several per case. Returns the cases in the order of `items` (for an item
    whose external_ref already has a case, that case). All or nothing.

    An item's point may also be a (lon, lat) pair in WGS84: the case then holds it as EWKT
    text (a Point once read) and no GEOS object is made on the way (bulk imports)."""
    check_reporter(actor, channel, "")
    now = clock.now()
    existing = _by_references(channel, [item.external_ref for item in items if item.external_ref])
    coordinates = [item.point if isinstance(item.point, tuple) else (item.point.x, item.point.y) for item in items]
    places = grid_index().lookup_many([c[0] for c in coordinates], [c[1] for c in coordinates])
    out: list[Case] = []
    fresh: list[tuple[Case, dict]] = []
    for item, place, lonlat in zip(items, places, coordinates, strict=True):
        if item.external_ref and item.external_ref in existing:
            out.append(existing[item.external_ref])
            continue
        point = ewkt_point(*lonlat) if isinstance(item.point, tuple) else item.point
        case, place, _now = new_case(actor, channel=channel, point=point, category=item.category,
                                     description=item.description, address=item.address,
                                     request_type=item.request_type, external_ref=item.external_ref,
                                     reported_at=item.reported_at, tickets=item.ticket_count,
                                     place=_placed(place, item.request_type), now=now)
        if item.external_ref:
            existing[item.external_ref] = case  # the same reference twice in one batch: one case
        out.append(case)
        fresh.append((case, steps.report_payload(place.code, lonlat[0], lonlat[1], item.payload)))
    with transaction.atomic():
        _number([case for case, _payload in fresh])
        rows.insert_cases([case for case, _payload in fresh])
        role = main_role(actor)
        rows.insert_events([rows.event_row(case.pk, now, actor, role, "report", "", State.REPORTED, "", payload,
                                           case.version) for case, payload in fresh])
    return out


def _placed(place, request_type: str):
    # report's order of refusals: the request type, then the place
    steps.check_request_type(request_type)
    if place is None:
        raise OutsideServiceArea()
    return place


def _number(cases: list[Case]) -> None:
    """Case codes for new cases, the numbers of each year taken at once."""
    years: dict[int, list[Case]] = {}
    for case in cases:
        years.setdefault(timezone.localtime(case.reported_at).year, []).append(case)
    for year, of_year in years.items():
        for case, code in zip(of_year, rows.case_codes(year, len(of_year)), strict=True):
            case.code = code


def link_many(actor, links: list[tuple[int, str, dict]]) -> set[int]:
    """`link` for many (case id, ticket reference, why) at once, for bulk imports: each link
    is an event and a version of its case, taken by the same step as `link` and written
    compared-and-set on the version read. Cases no longer open are left alone; their ids
    are returned so that the caller can give those tickets cases of their own."""
    steps.require_role(actor, (R.DISPATCHER, R.ADMIN))
    if not links:
        return set()
    with transaction.atomic():
        cases = rows.locked_cases(sorted({case_id for case_id, _t, _w in links}), ("state", "version", "ticket_count"))
        closed = {pk for pk, case in cases.items() if case.state not in OPEN_STATES}
        closed |= {case_id for case_id, _t, _w in links if case_id not in cases}
        ledger = Ledger()
        for case_id, ticket, why in links:
            if case_id not in closed:
                case = cases[case_id]
                ledger.link(actor, case, version=case.version, ticket=ticket, why=why)
        ledger.flush()
    return closed


def _by_references(channel: str, refs: list[str]) -> dict[str, Case]:
    """The channel's cases that hold these references: looked up first (a batch of new items
    finds none), then only those found are loaded."""
    known = rows.known_references(channel, refs)
    return {case.external_ref: case
            for part in filtered_in(Case.objects.filter(channel=channel).order_by(), "external_ref", known)
            for case in part}


# --- the machinery ---------------------------------------------------------------------

def _take(action: str, actor, case: Case, version: int, reason: str = "",
          after: Callable[[Case, dt.datetime], None] | None = None, **args) -> Case:
    """Take a step of steps.STEPS: check its arguments, lock the row, decide, write the case
    (compare-and-set on the version) and its event, open its task, answer its tickets, and
    whatever `after` writes, in one transaction."""
    step = STEPS[action]
    args = steps.begin(step, reason, args)
    with transaction.atomic():
        current = locked(case.pk)
        now = clock.now()
        outcome = steps.decide(step, actor, current, version, args, now)
        if not compare_and_set(Case, current.pk, current.version, outcome.fields):
            raise StaleVersion(seen=version, current=current.version + 1)
        for name, value in outcome.fields.items():
            setattr(current, name, value)
        rows.insert_events([rows.event_row(current.pk, now, actor, outcome.role, action, outcome.from_state,
                                           current.state, args["reason"], outcome.payload, current.version)])
        if step.task:
            kind, inspector = step.task
            rows.insert_tasks([steps.new_task(current, kind, args.get(inspector), now)])
        if step.answers:
            rows.answer_tickets([(current, steps.answer_text(step, current, args), now)])
        if after:
            after(current, now)
    return current


def working_day_changed(sender, instance, **kwargs) -> None:
    """A WorkDay saved or deleted (signal receiver): the spans across it count again."""
    recount_handling_minutes([instance.date])


def recount_handling_minutes(days) -> int:
    """Count Case.handling_minutes again for the handled cases whose dispatch-to-reply span
    covers any of `days` (after the working calendar changed them); returns how many changed."""
    days = sorted(set(days))
    if not days:
        return 0
    first, last = at_minute(days[0], 0), at_minute(days[-1] + dt.timedelta(days=1), 0)
    changed = {}
    found = (Case.objects.filter(handled_at__gte=first, dispatched_at__lt=last)
             .values_list("pk", "dispatched_at", "handled_at", "handling_minutes").order_by().iterator(chunk_size=2000))
    for pk, dispatched_at, handled_at, stored in found:
        minutes = handling_minutes(dispatched_at, handled_at)
        if minutes != stored:
            changed[pk] = minutes
    rows.set_handling_minutes(changed)
    return len(changed)


# What the transitions read of a case: the rest stays deferred (loaded only if touched).
_LOCKED_CASE = LockedReader(
    Case,
    ("code", "state", "version", "channel", "request_type", "category", "department", "grid", "checker",
     "reported_at", "filed_at", "dispatched_at", "sign_due_at", "signed_at", "due_at", "original_due_at",
     "extension_requested_until", "handled_at", "checked_at", "closed_at", "extension_count", "return_count",
     "rework_count", "ticket_count", "state_before_suspension", "reject_reason"),
    "category", ("family", "code", "name_zh", "urgency", "deadline_value", "deadline_unit", "major"),
)


def locked(pk: int) -> Case:
    """The case as the transitions need it, its row locked for this transaction."""
    return _LOCKED_CASE.get(pk)


def actions_for(actor, case: Case) -> list[str]:
    """The actions of the transition endpoint this person's roles allow in the case's state
    (for the API and the map; steps.available also judges the preconditions)."""
    roles = R.roles_of(actor)
    return [action for action, step in STEPS.items()
            if step.endpoint and case.state in step.sources and roles & {*step.roles, R.ADMIN}]
