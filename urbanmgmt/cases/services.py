"""The one way into the case table: a function per step of the closed loop (DOMAIN §4).

Every function checks the case's state and the actor's role, locks the row, refuses a
stale `version` (the version the caller saw), and writes the case and its CaseEvent in one
transaction. Errors are urbanmgmt.errors.DomainError subclasses with a message the user can
act on; when one is raised nothing has been written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock, worktime
from urbanmgmt.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseMedia,
    Channel,
    InspectionTask,
    RejectReason,
    RequestType,
    State,
)
from urbanmgmt.cases.photos import Photo
from urbanmgmt.cases.rows import LockedReader, RowInserter, Values, compare_and_set, ewkt_point
from urbanmgmt.cases.states import TRANSITIONS, Transition, allowed_roles
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, OutsideServiceArea, StaleVersion
from urbanmgmt.grids.services import grid_for_point, grid_index
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department

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
           evidence: list[Evidence] = (), tickets: int = 0) -> tuple[Case, bool]:
    """Create a case in state `reported` from any channel; returns (case, created).

    The point is placed in its unit grid (OutsideServiceArea when it lies in none). With an
    `external_ref` (a client UUID, a ticket id) the call is idempotent: a resend returns the
    case made the first time, also when two resends race. Photos are stored with the case in
    the same transaction (their files, named by hash, before it). `tickets`: the 12345
    tickets the case is made from (1 for a case a ticket makes).
    """
    check_reporter(actor, channel, request_type)
    if external_ref:
        existing = _by_reference(channel, external_ref)
        if existing:
            return existing, False
    case, place, now = new_case(actor, channel=channel, point=point, category=category, description=description,
                                address=address, request_type=request_type, external_ref=external_ref,
                                reported_at=reported_at, tickets=tickets)
    at = case.reported_at
    stored = [(item, item.photo.store()) for item in evidence]
    try:
        with transaction.atomic():
            case.code = next_code(timezone.localtime(at).year)
            _CASE_ROWS.insert(case)
            _attach(case, actor, stored)
            _record(case, actor, "report", "", State.REPORTED, "",
                    {"grid": place.code, "point": [point.x, point.y], **(payload or {}),
                     **({"photos": [item.photo.sha256 for item in evidence]} if evidence else {})}, at=now)
    except IntegrityError:
        existing = _by_reference(channel, external_ref) if external_ref else None
        if existing:
            return existing, False
        raise
    return case, True


def check_reporter(actor, channel: str, request_type: str) -> None:
    """A report's channel, the reporter's role for it and the request type (also for cases/bulk.py)."""
    if channel not in REPORTING_ROLES:
        raise InvalidInput(_("Unknown channel %(channel)s."), channel=channel)
    _require_role(actor, REPORTING_ROLES[channel] + (R.ADMIN,))
    if request_type and request_type not in RequestType.values:
        raise InvalidInput(_("Unknown request type %(type)s."), type=request_type)


def new_case(actor, *, channel: str, point: Point, category: Category | None, description: str, address: str,
             request_type: str, external_ref: str | None, reported_at: dt.datetime | None,
             tickets: int) -> tuple[Case, object, dt.datetime]:
    """The Case a report makes, not yet written (no code), with its grid place and the
    clock's time; a report time in the future is refused (also for cases/bulk.py)."""
    place = grid_for_point(point)
    now = clock.now()
    at = reported_at or now
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput(_("The report time lies in the future."))
    case = Case(
        channel=channel, external_ref=external_ref or None, request_type=request_type, category=category,
        urgency=category.urgency if category else "normal", point=point, grid_id=place.grid_id,
        community_id=place.community_id, street_id=place.street_id, district_id=place.district_id,
        address=address[:200], description=description, reporter=actor if channel == Channel.INSPECTOR else None,
        state=State.REPORTED, reported_at=at, ticket_count=tickets,
    )
    return case, place, now


def _by_reference(channel: str, external_ref: str) -> Case | None:
    # Asked on every report, mostly with no hit: one probe of the unique (channel,
    # external_ref) index. (Through the ORM the model's default ORDER BY made SQLite walk
    # the date index instead, slower as the table grows, and the query cost more to build
    # than to run.)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case WHERE channel = %s AND external_ref = %s", [channel, external_ref])
        row = cursor.fetchone()
    return Case.objects.get(pk=row[0]) if row else None


def _attach(case: Case, actor, stored: list[tuple[Evidence, dict]]) -> None:
    CaseMedia.objects.bulk_create([
        CaseMedia(case=case, kind=item.kind, file=paths["file"], display=paths["display"],
                  thumbnail=paths["thumbnail"], sha256=item.photo.sha256, metadata=item.photo.metadata(),
                  flags=item.flags, uploaded_by=actor if actor and actor.is_authenticated else None)
        for item, paths in stored
    ])


def next_code(year: int) -> str:
    """Year + 7-digit sequence, from one UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL)."""
    return f"{year}{_reserve_codes(year, 1):07d}"


# --- the transitions -------------------------------------------------------------------

def file(actor, case: Case, *, version: int, category: Category | None = None, reason: str = "") -> Case:
    """Accept a report as a valid case (立案); the category may be set or corrected here."""
    def change(c, now):
        chosen = category or c.category
        if chosen is None:
            raise InvalidInput(_("Choose a category before filing the case."))
        return {"filed_at": now, "category": chosen, "urgency": chosen.urgency}
    return _apply(actor, case, "file", version, reason, change)


def reject(actor, case: Case, *, version: int, reason_code: str, reason: str) -> Case:
    """Refuse a report (不予立案) with a reason code and a note; it counts as not valid."""
    if reason_code not in RejectReason.values:
        raise InvalidInput(_("Unknown rejection reason %(code)s."), code=reason_code)
    return _apply(actor, case, "reject", version, reason,
                  lambda c, now: {"rejected_at": now, "reject_reason": reason_code},
                  {"reason_code": reason_code}, after=lambda c, now: _answer_tickets(c, reason, now))


def void(actor, case: Case, *, version: int, reason: str) -> Case:
    """Cancel a filed case that should not have been filed (作废; counts against 准确立案率)."""
    return _apply(actor, case, "void", version, reason, lambda c, now: {})


def dispatch(actor, case: Case, *, version: int, department: Department, reason: str = "") -> Case:
    """Send a filed case to one department with its deadline in working time."""
    if department is None or not department.active:
        raise InvalidInput(_("Choose an active department to dispatch to."))

    def change(c, now):
        due = handling_deadline(c, now)
        return {"department": department, "dispatched_at": now, "due_at": due, "original_due_at": due,
                "sign_due_at": worktime.add_working_hours(now, settings.SIGN_WITHIN_WORKING_HOURS),
                "signed_at": None, "extension_requested_until": None}
    return _apply(actor, case, "dispatch", version, reason, change, {"department": department.code})


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


def sign(actor, case: Case, *, version: int) -> Case:
    """The department acknowledges the case (签收); late signing is allowed and recorded."""
    def change(c, now):
        if c.signed_at:
            raise ForbiddenTransition(_("This case was already signed for."))
        return {"signed_at": now}
    return _apply(actor, case, "sign", version, "", change,
                  lambda c, f: {"on_time": f["signed_at"] <= c.sign_due_at if c.sign_due_at else True})


def return_case(actor, case: Case, *, version: int, reason: str) -> Case:
    """The department says the case is not theirs (回退), within 1 working day of dispatch."""
    def change(c, now):
        if worktime.working_days_between(c.dispatched_at, now) > settings.RETURN_WITHIN_WORKING_DAYS:
            raise ForbiddenTransition(_("The time to return this case (%(days)s working day after dispatch) "
                                        "has passed; ask the dispatcher."), days=settings.RETURN_WITHIN_WORKING_DAYS)
        return {"return_count": c.return_count + 1}
    return _apply(actor, case, "return", version, reason, change)


def approve_return(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Accept a return: the case goes back to the dispatcher to be routed again."""
    return _apply(actor, case, "approve_return", version, reason,
                  lambda c, now: {"department": None, "due_at": None, "sign_due_at": None, "signed_at": None},
                  lambda c, f: {"misrouted": True})


def deny_return(actor, case: Case, *, version: int, reason: str) -> Case:
    """Refuse a return: the case stays with its department and its deadline."""
    return _apply(actor, case, "deny_return", version, reason, lambda c, now: {})


def request_extension(actor, case: Case, *, version: int, days: float, reason: str) -> Case:
    """Ask once for more time, at least 1 working day before the deadline; the total time
    from dispatch may not exceed 10 working days; consultations are never extended."""
    return _apply(actor, case, "request_extension", version, reason, lambda c, now: extension_change(c, now, days),
                  lambda c, f: {"days": float(days), "until": f["extension_requested_until"].isoformat()})


def extension_change(c: Case, now: dt.datetime, days: float) -> dict:
    """The fields an extension request of `days` changes, or why it is refused (also the
    bulk path's rule, cases/bulk.py)."""
    if c.request_type == RequestType.CONSULTATION:
        raise ForbiddenTransition(_("Consultations are not extended."))
    if c.extension_count or c.extension_requested_until:
        raise ForbiddenTransition(_("An extension may be requested only once for a case."))
    if days is None or not 0 < float(days) <= settings.EXTENSION_MAX_TOTAL_WORKING_DAYS:
        raise InvalidInput(_("Give the extra time as a positive number of working days."))
    if worktime.working_days_between(now, c.due_at) < settings.EXTENSION_MIN_NOTICE_WORKING_DAYS:
        raise ForbiddenTransition(_("An extension must be requested at least %(days)s working day before "
                                    "the deadline."), days=settings.EXTENSION_MIN_NOTICE_WORKING_DAYS)
    until = worktime.add_working_days(c.due_at, float(days))
    total = worktime.working_days_between(c.dispatched_at, until)
    if total > settings.EXTENSION_MAX_TOTAL_WORKING_DAYS + 1e-9:
        raise ForbiddenTransition(_("With this extension the case would take %(total).1f working days; at "
                                    "most %(max)s are allowed."), total=total,
                                  max=settings.EXTENSION_MAX_TOTAL_WORKING_DAYS)
    return {"extension_requested_until": until, "extension_count": c.extension_count + 1}


def approve_extension(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Grant the pending extension: the deadline moves to the requested time."""
    def change(c, now):
        if not c.extension_requested_until:
            raise ForbiddenTransition(_("No extension is pending for this case."))
        return {"due_at": c.extension_requested_until, "extension_requested_until": None}
    return _apply(actor, case, "approve_extension", version, reason, change,
                  lambda c, f: {"due_at": f["due_at"].isoformat()})


def deny_extension(actor, case: Case, *, version: int, reason: str) -> Case:
    """Refuse the pending extension; the deadline stays and no second request is possible."""
    def change(c, now):
        if not c.extension_requested_until:
            raise ForbiddenTransition(_("No extension is pending for this case."))
        return {"extension_requested_until": None}
    return _apply(actor, case, "deny_extension", version, reason, change)


def handle(actor, case: Case, *, version: int, reply: str, evidence: list[Evidence] = ()) -> Case:
    """The department reports the problem fixed (处置反馈) with a reply note and, usually,
    photos after the work (kind "after")."""
    if not (reply or "").strip():
        raise InvalidInput(_("Write a reply saying what was done."))
    stored = [(item, item.photo.store()) for item in evidence]
    def change(c, now):
        return {"handled_at": now, "reply": reply.strip(), "signed_at": c.signed_at or now,
                "extension_requested_until": None}
    def payload(c, fields):
        photos = {"photos": [item.photo.sha256 for item in evidence]} if evidence else {}
        return {"on_time": c.due_at is None or fields["handled_at"] <= c.due_at, **photos}
    return _apply(actor, case, "handle", version, "", change, payload,
                  after=(lambda c, now: _attach(c, actor, stored)) if stored else None)


def send_for_check(actor, case: Case, *, version: int, checker=None, reason: str = "") -> Case:
    """Ask an inspector to verify on site that the problem is fixed (核查): a check task for
    the named inspector, or for any inspector of the case's grid."""
    if checker is not None and not R.has_role(checker, R.INSPECTOR):
        raise InvalidInput(_("The checker must be an inspector."))
    return _apply(actor, case, "send_for_check", version, reason,
                  lambda c, now: {"checker": checker}, {"checker": checker.get_username() if checker else None},
                  after=lambda c, now: _new_task(c, InspectionTask.Kind.CHECK, checker, now))


def request_verification(actor, case: Case, *, version: int, inspector=None, reason: str = "") -> Case:
    """Ask an inspector to verify on site that a reported problem is real (核实), typically a
    citizen's; the dispatcher then files or rejects it with the result in hand."""
    if inspector is not None and not R.has_role(inspector, R.INSPECTOR):
        raise InvalidInput(_("Verification must be asked of an inspector."))
    return _apply(actor, case, "request_verification", version, reason, lambda c, now: {},
                  {"inspector": inspector.get_username() if inspector else None},
                  after=lambda c, now: _new_task(c, InspectionTask.Kind.VERIFY, inspector, now))


def _new_task(case: Case, kind: str, inspector, now: dt.datetime) -> None:
    hours = settings.VERIFY_WITHIN_WORKING_HOURS if kind == InspectionTask.Kind.VERIFY else settings.CHECK_WITHIN_WORKING_HOURS
    InspectionTask.objects.create(case=case, kind=kind, inspector=inspector, created_at=now,
                                  due_at=worktime.add_working_hours(now, hours))


def complete_task(actor, task: InspectionTask, *, result: str, note: str = "", evidence: list[Evidence] = ()) -> Case:
    """An inspector reports from the site. Verify: the result is recorded for the dispatcher.
    Check: fixed → check passed; not fixed → rework (the note is the reason). One transaction."""
    if result not in InspectionTask.RESULTS[task.kind]:
        raise InvalidInput(_("“%(result)s” is not a result of this task."), result=result)
    if result == InspectionTask.Result.NOT_FIXED and not note.strip():
        raise InvalidInput(_("Say what is still wrong."))
    stored = [(item, item.photo.store()) for item in evidence]
    with transaction.atomic():
        task = InspectionTask.objects.select_for_update().get(pk=task.pk)
        if task.done_at:
            raise ForbiddenTransition(_("This task was already completed."))
        if task.inspector_id and task.inspector_id != actor.pk and not R.has_role(actor, R.ADMIN):
            raise NotAllowed(_("This task was given to another inspector."))
        case = Case.objects.get(pk=task.case_id)
        if case.state != InspectionTask.OPEN_CASE_STATE[task.kind]:
            raise ForbiddenTransition(_("The case has moved on; this task is no longer needed."))
        site = {"photos": [item.photo.sha256 for item in evidence], "task": task.pk, "result": result}
        if task.kind == InspectionTask.Kind.VERIFY:
            case = _apply(actor, case, "verify", case.version, note, lambda c, now: {}, site)
        elif result == InspectionTask.Result.FIXED:
            case = check_pass(actor, case, version=case.version, reason=note, site=site)
        else:
            case = check_fail(actor, case, version=case.version, reason=note, site=site)
        _attach(case, actor, stored)
        InspectionTask.objects.filter(pk=task.pk).update(done_at=clock.now(), done_by=actor, result=result,
                                                         note=note.strip())
    return case


def check_pass(actor, case: Case, *, version: int, reason: str = "", site: dict | None = None) -> Case:
    """The inspector confirms on site that the problem is fixed (`site`: the task and photos)."""
    return _apply(actor, case, "check_pass", version, reason, lambda c, now: {"checked_at": now}, site)


def check_fail(actor, case: Case, *, version: int, reason: str, site: dict | None = None) -> Case:
    """The inspector finds the problem not fixed: back to the department (返工), new deadline."""
    return _apply(actor, case, "check_fail", version, reason,
                  lambda c, now: {"rework_count": c.rework_count + 1, "checked_at": now, "handled_at": None,
                                  "due_at": handling_deadline(c, now)}, site)


def close(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Close a checked case (结案), or a filed one that needs no dispatch, with a reason."""
    def change(c, now):
        if c.state == State.FILED and not reason.strip():
            raise InvalidInput(_("Say why this case is closed without dispatch."))
        return {"closed_at": now}
    return _apply(actor, case, "close", version, reason, change,
                  after=lambda c, now: _answer_tickets(c, c.reply or reason, now))


def _answer_tickets(case: Case, text: str, now: dt.datetime) -> None:
    """Back to the citizen: every 12345 ticket of the case gets the outcome and its time
    (through the reverse relation the hotline app adds; nothing when it is not installed)."""
    tickets = getattr(case, "tickets", None)
    if tickets is not None and text:
        tickets.filter(replied_at__isnull=True).update(reply=text, replied_at=now, updated_at=now, state="replied")


def suspend(actor, case: Case, *, version: int, reason: str) -> Case:
    """Put a hard problem aside (挂账) with a reason; `resume` brings it back."""
    return _apply(actor, case, "suspend", version, reason,
                  lambda c, now: {"suspended_at": now, "state_before_suspension": c.state})


def resume(actor, case: Case, *, version: int, reason: str = "") -> Case:
    """Bring a suspended case back to the state it was suspended from."""
    return _apply(actor, case, "resume", version, reason,
                  lambda c, now: {"state": c.state_before_suspension or State.FILED, "state_before_suspension": ""})


# --- 12345 tickets linked to cases --------------------------------------------------------

_LINK = Transition("link", _("Link a 12345 ticket"), tuple(OPEN_STATES), None, (R.DISPATCHER,))
_UNLINK = Transition("unlink", _("Unlink a 12345 ticket"), tuple(State.values), None, (R.DISPATCHER,), True)


def link(actor, case: Case, *, version: int, ticket: str, why: dict, reason: str = "") -> Case:
    """Count one more 12345 ticket on an open case (a repeat complaint, 重复投诉); `why` is
    the reason of the link (distance, hours apart, category match, similarity, or a person's
    decision) and goes into the history with the ticket's reference."""
    return _apply(actor, case, _LINK, version, reason,
                  lambda c, now: {"ticket_count": c.ticket_count + 1}, {"ticket": ticket, "why": why})


def unlink(actor, case: Case, *, version: int, ticket: str, reason: str) -> Case:
    """Take a ticket off a case it was linked to (the link was wrong); the caller gives the
    ticket its own case."""
    def change(c, now):
        if c.ticket_count < 1:
            raise ForbiddenTransition(_("This case has no linked ticket to take off."))
        return {"ticket_count": c.ticket_count - 1}
    return _apply(actor, case, _UNLINK, version, reason, change, {"ticket": ticket})


_RECATEGORIZE = Transition("recategorize", _("Change the category"), (State.REPORTED,), None, (R.DISPATCHER,))


def recategorize(actor, case: Case, *, version: int, category: Category, reason: str = "") -> Case:
    """Correct the category of a case not yet filed (e.g. intake staff reviewing a 12345
    ticket's classification); its urgency follows the category. Filing can also set it."""
    if category is None:
        raise InvalidInput(_("Choose a category."))

    def change(c, now):
        return {"category": category, "urgency": category.urgency}
    return _apply(actor, case, _RECATEGORIZE, version, reason, change,
                  lambda c, fields: {"from_category": c.category_id, "category": category.pk,
                                    "service_code": category.service_code})


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
    text (a Point once read) and no GEOS object is made on the way (bulk imports). The
    cases are built without Model.__init__ (field defaults, then the values) and the
    events are written from plain rows: this is the hot path of a 12345 import."""
    if channel not in REPORTING_ROLES:
        raise InvalidInput(_("Unknown channel %(channel)s."), channel=channel)
    _require_role(actor, REPORTING_ROLES[channel] + (R.ADMIN,))
    now = clock.now()
    refs = [item.external_ref for item in items if item.external_ref]
    existing = _by_references(channel, refs)
    coordinates = [item.point if isinstance(item.point, tuple) else (item.point.x, item.point.y) for item in items]
    places = grid_index().lookup_many([c[0] for c in coordinates], [c[1] for c in coordinates])
    out: list[Case | None] = []
    fresh: list[tuple[Case, NewReport, object, tuple]] = []
    request_types = frozenset(RequestType.values)
    for item, place, lonlat in zip(items, places, coordinates, strict=True):
        if item.external_ref and item.external_ref in existing:
            out.append(existing[item.external_ref])
            continue
        if item.request_type and item.request_type not in request_types:
            raise InvalidInput(_("Unknown request type %(type)s."), type=item.request_type)
        if place is None:
            raise OutsideServiceArea()
        at = item.reported_at or now
        if at > now + dt.timedelta(minutes=5):
            raise InvalidInput(_("The report time lies in the future."))
        category = item.category
        case = _blank_case()
        case.__dict__.update(
            channel=channel, external_ref=item.external_ref or None, request_type=item.request_type,
            category_id=category.pk if category else None, urgency=category.urgency if category else "normal",
            point=ewkt_point(*lonlat) if isinstance(item.point, tuple) else item.point, grid_id=place.grid_id,
            community_id=place.community_id, street_id=place.street_id, district_id=place.district_id,
            address=item.address[:200], description=item.description, state=State.REPORTED, reported_at=at,
            ticket_count=item.ticket_count)
        case._state.fields_cache["category"] = category
        if item.external_ref:
            existing[item.external_ref] = case  # the same reference twice in one batch: one case
        out.append(case)
        fresh.append((case, item, place, lonlat))
    with transaction.atomic():
        years: dict[int, list[Case]] = {}
        for case, *_rest in fresh:
            years.setdefault(timezone.localtime(case.reported_at).year, []).append(case)
        for year, cases in years.items():
            last = _reserve_codes(year, len(cases))
            for offset, case in enumerate(cases):
                case.code = f"{year}{last - len(cases) + 1 + offset:07d}"
        _CASE_ROWS.insert_many([case for case, *_rest in fresh])
        ids = {}
        codes = [case.code for case, *_rest in fresh]
        for chunk in range(0, len(codes), 500):
            ids.update(Case.objects.filter(code__in=codes[chunk:chunk + 500]).order_by().values_list("code", "pk"))
        for case, *_rest in fresh:
            case.pk = ids[case.code]
            case._state.adding, case._state.db = False, "default"
        role, actor_id = main_role(actor), actor.pk if actor and actor.is_authenticated else None
        _EVENT_ROWS.insert_many([
            Values(case_id=case.pk, at=now, actor_id=actor_id, actor_role=role, action="report", from_state="",
                   to_state=State.REPORTED, reason="", version=case.version,
                   payload={"grid": place.code, "point": [lonlat[0], lonlat[1]], **item.payload})
            for case, item, place, lonlat in fresh])
    return out


def _blank_case() -> Case:
    """A Case with every field at its default, made without Model.__init__ (which costs
    more than writing the row; no pre_init or post_init receiver is connected to Case)."""
    case = Case.__new__(Case)
    case.__dict__.update(_CASE_DEFAULTS)
    for name, default in _CASE_CALLABLE_DEFAULTS:
        case.__dict__[name] = default()
    case._state = ModelState()
    return case


def link_many(actor, links: list[tuple[int, str, dict]]) -> set[int]:
    """`link` for many (case id, ticket reference, why) at once, for bulk imports: each link
    is an event and a version of its case. Cases no longer open are left alone; their ids
    are returned so that the caller can give those tickets cases of their own."""
    _require_role(actor, (R.DISPATCHER, R.ADMIN))
    if not links:
        return set()
    now = clock.now()
    ids = sorted({case_id for case_id, _t, _w in links})
    with transaction.atomic():
        current = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            rows = Case.objects.filter(pk__in=part).values_list("pk", "state", "version", "ticket_count")
            if connection.features.has_select_for_update:
                rows = rows.select_for_update()
            current.update({pk: [state, version, count] for pk, state, version, count in rows})
        closed = {pk for pk in ids if pk not in current or current[pk][0] not in OPEN_STATES}
        role, events = main_role(actor), []
        for case_id, ticket, why in links:
            if case_id in closed:
                continue
            state = current[case_id]
            state[1] += 1
            state[2] += 1
            events.append(CaseEvent(case_id=case_id, at=now, actor=actor if actor and actor.is_authenticated else None,
                                    actor_role=role, action="link", from_state=state[0], to_state=state[0],
                                    reason="", payload={"ticket": ticket, "why": why}, version=state[1]))
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE cases_case SET version = %s, ticket_count = %s, updated_at = %s WHERE id = %s",
                [(current[pk][1], current[pk][2], Case._meta.get_field("updated_at").get_db_prep_save(now, connection),
                  pk) for pk in ids if pk not in closed])
        _EVENT_ROWS.insert_many(events)
    return closed


def _by_references(channel: str, refs: list[str]) -> dict[str, Case]:
    found: dict[str, Case] = {}
    for chunk in range(0, len(refs), 500):
        for case in Case.objects.filter(channel=channel, external_ref__in=refs[chunk:chunk + 500]).order_by():
            found[case.external_ref] = case
    return found


def _reserve_codes(year: int, count: int) -> int:
    """Take `count` case numbers of `year` at once; returns the last one taken."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_casesequence SET last = last + %s WHERE year = %s RETURNING last", [count, year])
        row = cursor.fetchone()
        if row is None:
            cursor.execute("INSERT INTO cases_casesequence (year, last) VALUES (%s, %s)", [year, count])
            row = (count,)
    return row[0]


# --- the machinery ---------------------------------------------------------------------

def _apply(actor, case: Case, action: str | Transition, version: int, reason: str,
           change: Callable[[Case, dt.datetime], dict], payload=None,
           after: Callable[[Case, dt.datetime], None] | None = None) -> Case:
    """Lock, check state, role and version, apply `change`, write case and event atomically
    (and whatever `after` writes with them)."""
    transition = action if isinstance(action, Transition) else TRANSITIONS[action]
    action = transition.action
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise InvalidInput(_("Give a reason for this action."))
    with transaction.atomic():
        current = locked(case.pk)
        check_step(transition, current, version)
        role = _check_actor(actor, transition, current)
        now = clock.now()
        fields = step_fields(transition, current, change, now)
        to_state = fields["state"]
        if not compare_and_set(Case, current.pk, current.version, fields):
            raise StaleVersion(seen=version, current=current.version + 1)
        extra = payload(current, fields) if callable(payload) else (payload or {})
        from_state = current.state
        for name, value in fields.items():
            setattr(current, name, value)
        _record(current, actor, action, from_state, to_state, reason, extra, at=now, role=role)
        if after:
            after(current, now)
    return current


def check_step(transition: Transition, case: Case, version: int) -> None:
    """Refuse a stale version, or a state the transition does not start from (also for cases/bulk.py)."""
    if version is None or int(version) != case.version:
        raise StaleVersion(seen=version, current=case.version)
    if case.state not in transition.sources:
        raise ForbiddenTransition(
            _("“%(action)s” is not possible while the case is %(state)s."),
            action=transition.label, state=case.get_state_display())


def step_fields(transition: Transition, case: Case, change: Callable[[Case, dt.datetime], dict],
                now: dt.datetime) -> dict:
    """What a transition writes: the fields `change` returns, the new state, version and time."""
    fields = change(case, now)
    to_state = fields.pop("state", None) or transition.target or case.state
    fields.update(state=to_state, version=case.version + 1, updated_at=now)
    if "handled_at" in fields:
        fields["handling_minutes"] = handling_minutes(fields.get("dispatched_at", case.dispatched_at),
                                                      fields["handled_at"])
    return fields


def handling_minutes(dispatched_at: dt.datetime | None, handled_at: dt.datetime | None) -> float | None:
    """Case.handling_minutes: the working minutes from the dispatch to the reply (None until both)."""
    if dispatched_at is None or handled_at is None:
        return None
    return round(worktime.working_minutes_between(dispatched_at, handled_at), 3)


def working_day_changed(sender, instance, **kwargs) -> None:
    """A WorkDay saved or deleted (signal receiver): the spans across it count again."""
    recount_handling_minutes([instance.date])


def recount_handling_minutes(days) -> int:
    """Count Case.handling_minutes again for the handled cases whose dispatch-to-reply span
    covers any of `days` (after the working calendar changed them); returns how many changed."""
    days = sorted(set(days))
    if not days:
        return 0
    first, last = worktime.at_minute(days[0], 0), worktime.at_minute(days[-1] + dt.timedelta(days=1), 0)
    changed = []
    rows = (Case.objects.filter(handled_at__gte=first, dispatched_at__lt=last)
            .values_list("pk", "dispatched_at", "handled_at", "handling_minutes").order_by().iterator(chunk_size=2000))
    for pk, dispatched_at, handled_at, stored in rows:
        minutes = handling_minutes(dispatched_at, handled_at)
        if minutes != stored:
            changed.append(Case(pk=pk, handling_minutes=minutes))
    Case.objects.bulk_update(changed, ["handling_minutes"], batch_size=1000)
    return len(changed)


# What the transitions read of a case: the rest stays deferred (loaded only if touched).
_CASE_ROWS = RowInserter(Case)
_EVENT_ROWS = RowInserter(CaseEvent)
_CASE_CALLABLE_DEFAULTS = [(f.attname, f.default) for f in Case._meta.concrete_fields
                           if f.has_default() and callable(f.default)]
_CASE_DEFAULTS = {f.attname: f.get_default() for f in Case._meta.concrete_fields
                  if (f.attname, f.default) not in _CASE_CALLABLE_DEFAULTS}
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


def _record(case: Case, actor, action: str, from_state: str, to_state: str, reason: str, payload: dict,
            at: dt.datetime, role: str = "") -> CaseEvent:
    event = CaseEvent(
        case=case, at=at, actor=actor if actor and actor.is_authenticated else None,
        actor_role=role or main_role(actor), action=action, from_state=from_state, to_state=to_state,
        reason=reason, payload=payload, version=case.version,
    )
    _EVENT_ROWS.insert(event)
    return event


def main_role(actor) -> str:
    """The role an event records for an actor acting without a stated role: their first in R.ROLES."""
    roles = R.roles_of(actor)
    return next((r for r in R.ROLES if r in roles), "")


def _require_role(actor, roles: tuple[str, ...]) -> None:
    if not R.has_role(actor, *roles):
        raise NotAllowed()


def _check_actor(actor, transition: Transition, case: Case) -> str:
    """The role the actor acts in; NotAllowed when none of theirs may make this move."""
    roles = R.roles_of(actor)
    if R.ADMIN in roles:
        return R.ADMIN
    for role in transition.roles:
        if role not in roles:
            continue
        if role == R.HANDLER and R.department_of(actor) != case.department_id:
            raise NotAllowed(_("Only a handler of the department this case is dispatched to may do this."))
        if role == R.INSPECTOR and not _may_check(actor, case):
            raise NotAllowed(_("Only the inspector asked to check this case, or one assigned to its grid, "
                               "may do this."))
        return role
    raise NotAllowed(_("Your role does not allow “%(action)s”."), action=transition.label)


def _may_check(actor, case: Case) -> bool:
    """The inspector named for the case's open task (or as its checker), else any of its grid."""
    named = InspectionTask.objects.filter(case_id=case.pk, done_at__isnull=True, inspector__isnull=False)
    if case.checker_id or named.exists():
        return case.checker_id == actor.pk or named.filter(inspector=actor).exists()
    return case.grid.inspectors.filter(user=actor).exists()


def actions_for(actor, case: Case) -> list[str]:
    """The actions this person could take on this case now (for the API and the map)."""
    roles = R.roles_of(actor)
    out = []
    for action, transition in TRANSITIONS.items():
        if case.state in transition.sources and roles & set(allowed_roles(transition)):
            out.append(action)
    return out
