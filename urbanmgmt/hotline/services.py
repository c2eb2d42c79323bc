"""What intake staff do to one ticket: place it, classify it, forward it out of scope (转办),
link or unlink it, answer it, record the citizen's callback. Case changes go through
urbanmgmt/cases/services.py; every classification or forwarding is kept as a labelled
example that the classifier learns from (training.py)."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock
from urbanmgmt.cases import services as cases
from urbanmgmt.cases.models import Case, Channel, RejectReason, State
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed
from urbanmgmt.grids.geo import parse_lon_lat, to_metric
from urbanmgmt.grids.services import grid_for_point, grid_index
from urbanmgmt.hotline import training
from urbanmgmt.hotline.departments import suggest_for
from urbanmgmt.hotline.importer import compared_text, ticket_description
from urbanmgmt.hotline.linking import OpenCases, window
from urbanmgmt.hotline.models import (
    Bureau,
    CategoryMethod,
    Decision,
    HotlineTicket,
    KnowledgeEntry,
    PlaceMethod,
    Satisfaction,
    TicketEvent,
    TicketState,
)
from urbanmgmt.org import roles as R
from urbanmgmt.webhooks import outbox as webhooks

INTAKE = (R.DISPATCHER, R.ADMIN)


def _intake(actor) -> None:
    if not R.has_role(actor, *INTAKE):
        raise NotAllowed(_("Only intake staff (受理员) may change 12345 tickets."))


def _locked(ticket: HotlineTicket) -> HotlineTicket:
    return HotlineTicket.objects.select_for_update().get(pk=ticket.pk)


def _step(ticket: HotlineTicket, kind: str, actor, *, value: str = "", note: str = "", **fields) -> TicketEvent:
    """A step of the ticket's own history (TicketEvent), taken now by `actor`."""
    return TicketEvent.objects.create(ticket=ticket, kind=kind, value=value, note=(note or "").strip()[:4000],
                                      actor=actor, at=fields.pop("at", None) or clock.now(), **fields)


@transaction.atomic
def place(actor, ticket: HotlineTicket, lon, lat) -> HotlineTicket:
    """Place an unplaced ticket by hand on the map, then link it or give it its case."""
    _intake(actor)
    ticket = _locked(ticket)
    if ticket.state != TicketState.UNPLACED:
        raise ForbiddenTransition(_("This ticket is already placed."))
    point = parse_lon_lat(lon, lat)
    where = grid_for_point(point)
    ticket.grid_id = where.grid_id
    ticket.point, ticket.place_method, ticket.place_confidence = point, PlaceMethod.HAND, 1.0
    suggest_for([ticket], [ticket.category], [where])
    return _to_case(actor, ticket)


@transaction.atomic
def classify(actor, ticket: HotlineTicket, category: Category) -> HotlineTicket:
    """Intake staff set the category (the review list); an own case not yet filed follows.
    A ticket that was out of scope is taken back in (the clerk overrules the forwarding):
    it is linked or given its case, or waits to be placed."""
    _intake(actor)
    ticket = _locked(ticket)
    was_out = ticket.in_scope is False
    kind = Decision.KEPT if was_out else (
        Decision.ACCEPTED if ticket.category_id == category.pk else Decision.CORRECTED)
    ticket.category, ticket.category_confidence, ticket.category_method, ticket.needs_review = (
        category, 1.0, CategoryMethod.HAND, False)
    training.record(ticket, kind, actor, in_scope=True, category=category)
    if was_out:
        ticket.in_scope, ticket.scope_confidence, ticket.bureau, ticket.forward_reason = True, 1.0, None, ""
    if ticket.point is not None:  # the register's department, now that the category is known
        suggest_for([ticket], [category], [grid_index().lookup(ticket.point.x, ticket.point.y)])
    if was_out:
        if ticket.point is None:
            ticket.state = TicketState.UNPLACED
            ticket.save()
            return ticket
        return _to_case(actor, ticket)
    ticket.save(update_fields=["category", "category_confidence", "category_method", "needs_review", "department",
                               "updated_at"])
    case = ticket.case
    if ticket.owns_case and case.state == State.REPORTED and case.category_id != category.pk:
        cases.recategorize(actor, case, version=case.version, category=category,
                           reason=str(_("12345 ticket %(ticket)s reclassified") % {"ticket": ticket.reference}))
    return ticket


@transaction.atomic
def forward(actor, ticket: HotlineTicket, bureau: Bureau, reason: str = "") -> HotlineTicket:
    """Forward a ticket that is not city management (转办) to `bureau` with the reason: it
    never stays a 城管 case. Its own case, not yet filed and with no other ticket, is
    rejected as out of scope; a link to another case is undone."""
    _intake(actor)
    ticket = _locked(ticket)
    if ticket.state in (TicketState.ANSWERED, TicketState.REPLIED):
        raise ForbiddenTransition(_("This ticket was already answered: it cannot be forwarded."))
    reason = (reason or "").strip()
    if not reason:  # written as the platform reads it, whoever forwards (see importer._forward_reason)
        with translation.override(settings.LANGUAGE_CODE):
            reason = str(_("Not city management: for %(bureau)s.") % {"bureau": bureau.name})
    case = ticket.case
    if case is not None:
        if ticket.owns_case and (case.state != State.REPORTED or case.ticket_count > 1):
            raise ForbiddenTransition(_("This ticket's case is already being handled (or has other tickets): "
                                        "it cannot be forwarded."))
        cases.unlink(actor, case, version=case.version, ticket=ticket.reference, reason=reason)
        if ticket.owns_case:
            case.refresh_from_db()
            cases.reject(actor, case, version=case.version, reason_code=RejectReason.OUT_OF_SCOPE, reason=reason)
        _step(ticket, TicketEvent.Kind.CASE_REJECTED if ticket.owns_case else TicketEvent.Kind.UNLINKED, actor,
              value=case.code)
    ticket.case, ticket.owns_case, ticket.link_reason = None, False, {}
    ticket.in_scope, ticket.scope_confidence, ticket.bureau, ticket.forward_reason = False, 1.0, bureau, reason[:300]
    ticket.state, ticket.needs_review = TicketState.FORWARDED, False
    ticket.save(update_fields=["case", "owns_case", "link_reason", "in_scope", "scope_confidence", "bureau",
                               "forward_reason", "state", "needs_review", "reply", "replied_at", "updated_at"])
    training.record(ticket, Decision.FORWARDED, actor, in_scope=False, bureau=bureau)
    return ticket


def _to_case(actor, ticket: HotlineTicket, exclude: int | None = None) -> HotlineTicket:
    """Link a placed ticket to the open case it describes, or give it its own case."""
    category = Category.objects.select_related("major").filter(pk=ticket.category_id).first()
    match = None
    if category is not None:
        radius, days = window(category)
        index = OpenCases.load(ticket.received_at - dt.timedelta(days=days),
                               categories=category.major.categories.values_list("pk", flat=True))
        x, y = to_metric(ticket.point.x, ticket.point.y)
        community = grid_for_point(ticket.point).community_id
        match = index.best(x=x, y=y, category=category, community_id=community, at=ticket.received_at,
                           text=compared_text(ticket), by_point=ticket.place_method != PlaceMethod.GAZETTEER, exclude=exclude,
                           address=ticket.address)
    ticket.state = TicketState.OPEN
    if match is not None:
        case = Case.objects.get(pk=match.candidate.case_id)
        cases.link(actor, case, version=case.version, ticket=ticket.reference, why=match.why)
        ticket.case, ticket.link_reason, ticket.owns_case = case, match.why, False
    else:
        case, _created = cases.report(actor, channel=Channel.HOTLINE, point=ticket.point, category=category,
                                      description=ticket_description(ticket), address=ticket.address,
                                      request_type=ticket.request_type, external_ref=ticket.reference,
                                      reported_at=ticket.received_at, tickets=1,
                                      payload={"ticket": ticket.reference, "source": ticket.source})
        ticket.case, ticket.link_reason, ticket.owns_case = case, {}, True
    ticket.save()
    return ticket


@transaction.atomic
def link(actor, ticket: HotlineTicket, case: Case, *, version: int, reason: str = "") -> HotlineTicket:
    """Link a ticket to the case it describes by hand (at the case's `version`); its own
    case, if it made one that nothing else uses yet, is rejected as a duplicate."""
    _intake(actor)
    ticket = _locked(ticket)
    if ticket.case_id == case.pk:
        raise ForbiddenTransition(_("The ticket is already linked to this case."))
    previous = ticket.case
    linked = cases.link(actor, case, version=version, ticket=ticket.reference,
                        why={"by_hand": True, **({"reason": reason} if reason else {})}, reason=reason)
    if previous is not None:
        if ticket.owns_case and previous.ticket_count <= 1 and previous.state == State.REPORTED:
            cases.unlink(actor, previous, version=previous.version, ticket=ticket.reference,
                         reason=str(_("linked to case %(code)s") % {"code": linked.code}))
            previous.refresh_from_db()
            cases.reject(actor, previous, version=previous.version, reason_code=RejectReason.DUPLICATE,
                         reason=str(_("Duplicate of case %(code)s") % {"code": linked.code}))
            _step(ticket, TicketEvent.Kind.CASE_REJECTED, actor, value=previous.code)
        else:
            cases.unlink(actor, previous, version=previous.version, ticket=ticket.reference,
                         reason=str(_("linked to case %(code)s") % {"code": linked.code}))
            _step(ticket, TicketEvent.Kind.UNLINKED, actor, value=previous.code)
    _step(ticket, TicketEvent.Kind.LINKED, actor, value=linked.code, note=reason)
    ticket.case, ticket.owns_case, ticket.state = linked, False, TicketState.OPEN
    ticket.link_reason = {"by_hand": True, **({"reason": reason} if reason else {})}
    ticket.save(update_fields=["case", "owns_case", "state", "link_reason", "updated_at"])
    return ticket


@transaction.atomic
def unlink(actor, ticket: HotlineTicket, *, version: int, reason: str) -> HotlineTicket:
    """Undo a link (at the case's `version`): the ticket gets a case of its own."""
    _intake(actor)
    ticket = _locked(ticket)
    if ticket.case_id is None or ticket.owns_case:
        raise ForbiddenTransition(_("This ticket is not linked to another case: it has its own, or none."))
    if not (reason or "").strip():
        raise InvalidInput(_("Say why the link was wrong."))
    cases.unlink(actor, ticket.case, version=version, ticket=ticket.reference, reason=reason)
    _step(ticket, TicketEvent.Kind.UNLINKED, actor, value=ticket.case.code, note=reason)
    case, _created = cases.report(actor, channel=Channel.HOTLINE, point=ticket.point, category=ticket.category,
                                  description=ticket_description(ticket), address=ticket.address,
                                  request_type=ticket.request_type, external_ref=ticket.reference,
                                  reported_at=ticket.received_at, tickets=1,
                                  payload={"ticket": ticket.reference, "source": ticket.source,
                                           "unlinked_from": ticket.case.code})
    ticket.case, ticket.owns_case, ticket.link_reason = case, True, {}
    ticket.save(update_fields=["case", "owns_case", "link_reason", "updated_at"])
    return ticket


@transaction.atomic
def answer(actor, ticket: HotlineTicket, text: str, entry: KnowledgeEntry | None = None) -> HotlineTicket:
    """Close a ticket at intake with the answer given (consultations): never dispatched.
    With the knowledge base `entry` the answer came from (valid today), the entry is kept in
    the ticket's history: the ticket was answered at first contact (在线解答)."""
    _intake(actor)
    ticket = _locked(ticket)
    if not (text or "").strip():
        raise InvalidInput(_("Write the answer given to the citizen."))
    if ticket.case_id is not None:
        raise ForbiddenTransition(_("This ticket has a case: it is answered when the case is closed."))
    if entry is not None and not KnowledgeEntry.objects.valid_on(timezone.localdate(clock.now())).filter(pk=entry.pk).exists():
        raise InvalidInput(_("The knowledge base entry %(code)s is not valid today: answer in your own words, or "
                             "choose another entry."), code=entry.code)
    now = clock.now()
    ticket.answer = ticket.reply = text.strip()
    ticket.state, ticket.replied_at = TicketState.ANSWERED, now
    ticket.save(update_fields=["answer", "reply", "state", "replied_at", "updated_at"])
    _step(ticket, TicketEvent.Kind.ANSWERED, actor, note=ticket.answer, at=now, entry=entry)
    webhooks.ticket_answered(ticket)
    return ticket


@transaction.atomic
def record_callback(actor, ticket: HotlineTicket, satisfaction: str, resolved: bool | None = None,
                    note: str = "") -> HotlineTicket:
    """The citizen's satisfaction callback (回访): 满意, 基本满意, 不满意 or 未联系上, with what
    the citizen said (`note`), kept in the ticket's history."""
    _intake(actor)
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(_("Unknown callback result “%(value)s”."), value=satisfaction)
    ticket = _locked(ticket)
    ticket.satisfaction, ticket.resolved, ticket.satisfaction_at = satisfaction, resolved, clock.now()
    ticket.save(update_fields=["satisfaction", "resolved", "satisfaction_at", "updated_at"])
    _step(ticket, TicketEvent.Kind.CALLBACK, actor, value=satisfaction, note=note, at=ticket.satisfaction_at)
    return ticket


@transaction.atomic
def set_aside(actor, ticket: HotlineTicket, reason: str) -> HotlineTicket:
    """Take a ticket out of the placement queue because no place can be found for it (too
    vague, the caller unreachable), with the reason: it never makes a case, the decision is
    in its history and `take_back` undoes it."""
    _intake(actor)
    if not (reason or "").strip():
        raise InvalidInput(_("Say why the ticket cannot be placed."))
    ticket = _locked(ticket)
    if ticket.state != TicketState.UNPLACED:
        raise ForbiddenTransition(_("Only a ticket waiting to be placed can be set aside."))
    ticket.state = TicketState.SET_ASIDE
    ticket.save(update_fields=["state", "updated_at"])
    _step(ticket, TicketEvent.Kind.SET_ASIDE, actor, note=reason)
    return ticket


@transaction.atomic
def take_back(actor, ticket: HotlineTicket, reason: str = "") -> HotlineTicket:
    """Undo `set_aside`: the ticket waits to be placed again."""
    _intake(actor)
    ticket = _locked(ticket)
    if ticket.state != TicketState.SET_ASIDE:
        raise ForbiddenTransition(_("This ticket was not set aside."))
    ticket.state = TicketState.UNPLACED
    ticket.save(update_fields=["state", "updated_at"])
    _step(ticket, TicketEvent.Kind.TAKEN_BACK, actor, note=reason)
    return ticket


@transaction.atomic
def record_callbacks(actor, source: str, callbacks: list[tuple[str, str, bool | None, dt.datetime]]) -> int:
    """`record_callback` for many tickets of one source at once, for bulk loads (the
    simulated year): (ticket number, satisfaction, resolved, callback time) each, one
    batched UPDATE. Returns how many tickets were found."""
    _intake(actor)
    for _number, satisfaction, _resolved, _at in callbacks:
        if satisfaction not in Satisfaction.values:
            raise InvalidInput(_("Unknown callback result “%(value)s”."), value=satisfaction)
    field = HotlineTicket._meta.get_field("satisfaction_at")
    moment = lambda at: field.get_db_prep_save(at, connection)  # noqa: E731
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE hotline_hotlineticket SET satisfaction = %s, resolved = %s, satisfaction_at = %s, updated_at = %s "
            "WHERE source = %s AND external_id = %s",
            [(satisfaction, resolved, moment(at), moment(clock.now()), source, number)
             for number, satisfaction, resolved, at in callbacks])
        return cursor.rowcount if cursor.rowcount >= 0 else len(callbacks)
