"""The outbox: each domain event subscribers want is written as an Event with one Delivery
per subscription, in the transaction of the domain write that made it, and one queued job
sends them (sending.py) once that transaction has committed; a write rolled back leaves
neither event nor delivery nor job.

The events are told here from the one place each happens: case history rows as
cases/rows.py inserts them (its `inserted_hooks`) and the 12345 answers a case's end
writes (its `answered_hooks`), both registered in apps.py; a ticket answered at intake by
hotline/services.py; a supervision notice raised or escalated by supervision/notify.py. With
no subscription at all the cost is nothing most of the time (`subscribers`), with some but
none for the event one query on the (small) subscriptions table."""

import datetime as dt
import json
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from urbanmgmt.cases.models import Case, CaseEvent, State
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.sqlchunks import filtered_in
from urbanmgmt.supervision.models import Notice
from urbanmgmt.webhooks.models import Delivery, Event, EventType, Subscription
from urbanmgmt.webhooks.sending import send_deliveries

CASE_TYPES = {EventType.CASE_CREATED, EventType.CASE_STATE_CHANGED}


class _NoneKnown:
    """Until when this process knows there is no active subscription: a case write then asks
    nothing of the database. Only the empty answer is kept, for WEBHOOK_SUBSCRIPTIONS_TTL_S;
    saving or deleting a subscription here forgets it, another process's change is seen
    within that time."""

    until = 0.0


def forget_subscribers(**kwargs) -> None:
    """A subscription saved or deleted (signal receiver): ask the database next time."""
    _NoneKnown.until = 0.0


def subscribers() -> dict[str, list[int]]:
    """Event type → ids of the active subscriptions that want it. Asked on every case write:
    nothing while no subscription is known; else one statement, without the ORM's making of
    a query (most of the cost of so small a one)."""
    if time.monotonic() < _NoneKnown.until:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVE, [True])
        rows = cursor.fetchall()
    if not rows:
        _NoneKnown.until = time.monotonic() + settings.WEBHOOK_SUBSCRIPTIONS_TTL_S
    found: dict[str, list[int]] = {}
    for pk, types in rows:
        for kind in (json.loads(types) if isinstance(types, str) else types) or ():
            found.setdefault(kind, []).append(pk)
    return found


_ACTIVE = f"SELECT id, events FROM {Subscription._meta.db_table} WHERE active = %s ORDER BY id"


def record(wanted: dict[str, list[int]], items: Iterable[tuple[str, dt.datetime, dict]]) -> list[Event]:
    """Write the events (type, when, data) that subscriptions want, their deliveries, and the
    job that sends them; call it inside the domain write's transaction."""
    events = [Event(type=kind, occurred_at=at, data=data) for kind, at, data in items if wanted.get(kind)]
    if not events:
        return []
    with transaction.atomic():  # the caller's, or one of its own: all of the outbox or nothing
        Event.objects.bulk_create(events)
        deliveries = Delivery.objects.bulk_create(
            [Delivery(event=event, subscription_id=pk) for event in events for pk in wanted[event.type]])
        ids = [delivery.pk for delivery in deliveries]
        job = send_deliveries.enqueue(f"events {events[0].pk}", ids=ids)
        for part in filtered_in(Delivery.objects.all(), "pk", ids):
            part.update(job=job)
    return events


def moment(at: dt.datetime | None) -> str | None:
    """A time as subscribers read it: ISO 8601 in the city's time zone, with its offset."""
    return timezone.localtime(at).isoformat() if at else None


# --- cases ---------------------------------------------------------------------------------

def case_rows_inserted(model, objs: list, using: str = "default") -> None:
    """cases/rows.py's insert hook: the report of a case (case.created) and each step that
    moves it to another state (case.state_changed), told of as their history rows are written."""
    if model is not CaseEvent or using != "default":
        return
    wanted = subscribers()
    if not wanted.keys() & CASE_TYPES:
        return
    typed = [(row, kind) for row in objs if (kind := case_event_type(row)) and wanted.get(kind)]
    if not typed:
        return
    cases = case_facts(sorted({row.case_id for row, _kind in typed}))
    record(wanted, [(kind, row.at, {"case": {**cases[row.case_id], "state": row.to_state,
                                             "from_state": row.from_state or None, "step": row.action,
                                             "version": row.version}})
                    for row, kind in typed])


def case_event_type(row) -> str | None:
    """The webhook event a case history row is, if any."""
    if row.action == "report" and row.to_state == State.REPORTED:
        return EventType.CASE_CREATED
    if row.from_state != row.to_state:
        return EventType.CASE_STATE_CHANGED
    return None


def case_facts(ids: list[int]) -> dict[int, dict]:
    """What subscribers are told of each case (id → facts), as the case now is."""
    names = ("pk", "code", "channel", "request_type", "category__code", "category__name_zh", "grid__code",
             "street__code", "district__code", "department__code", "address", "point", "reported_at", "due_at")
    facts = {}
    for part in filtered_in(Case.objects.order_by(), "pk", ids):
        for row in part.values(*names):
            facts[row["pk"]] = {
                "id": row["pk"], "code": row["code"], "channel": row["channel"],
                "request_type": row["request_type"] or None,
                "category": {"code": row["category__code"], "name": row["category__name_zh"]}
                if row["category__code"] else None,
                "grid": row["grid__code"], "street": row["street__code"], "district": row["district__code"],
                "department": row["department__code"], "address": row["address"],
                "lon": row["point"].x, "lat": row["point"].y,
                "reported_at": moment(row["reported_at"]), "due_at": moment(row["due_at"])}
    return facts


# --- 12345 tickets ---------------------------------------------------------------------------

def tickets_answered(answers: list[tuple]) -> None:
    """cases/rows.py's answer hook: the tickets a case's end has just answered (答复)."""
    wanted = subscribers()
    if not wanted.get(EventType.TICKET_ANSWERED):
        return
    when = {case.pk: at for case, _text, at in answers}
    tickets = HotlineTicket.objects.select_related("case").order_by("pk")
    answered = [ticket for part in filtered_in(tickets, "case_id", sorted(when)) for ticket in part
                if ticket.replied_at == when[ticket.case_id]]
    record(wanted, [ticket_item(ticket) for ticket in answered])


def ticket_answered(ticket) -> None:
    """A ticket answered at intake (hotline/services.answer), in its transaction."""
    wanted = subscribers()
    if wanted.get(EventType.TICKET_ANSWERED):
        record(wanted, [ticket_item(ticket)])


def ticket_item(ticket) -> tuple[str, dt.datetime, dict]:
    case = {"id": ticket.case_id, "code": ticket.case.code} if ticket.case_id else None
    return EventType.TICKET_ANSWERED, ticket.replied_at, {"ticket": {
        "id": ticket.pk, "number": ticket.external_id, "source": ticket.source, "reference": ticket.reference,
        "request_type": ticket.request_type, "state": ticket.state, "reply": ticket.reply,
        "replied_at": moment(ticket.replied_at), "case": case}}


# --- supervision -------------------------------------------------------------------------------

def notices_raised(events: list) -> None:
    """Supervision notices raised or escalated to a higher level (督办), from their saved
    NoticeEvents (supervision/notify.py, in the step's transaction)."""
    wanted = subscribers()
    if not wanted.get(EventType.NOTICE_RAISED) or not events:
        return
    notices = notice_facts(sorted({event.notice_id for event in events}))
    record(wanted, [(EventType.NOTICE_RAISED, event.at, {"notice": {
        **notices[event.notice_id], "action": event.action, "level": event.level,
        "answer_due_at": moment(event.answer_due_at), "request": event.text}}) for event in events])


def notice_facts(ids: list[int]) -> dict[int, dict]:
    """What subscribers are told of each notice (id → facts)."""
    names = ("pk", "subject", "state", "version", "department__code", "case_id", "case__code", "category__code",
             "area__code", "grid__code", "rule__code", "raised_at")
    facts = {}
    for part in filtered_in(Notice.objects.order_by(), "pk", ids):
        for row in part.values(*names):
            facts[row["pk"]] = {
                "id": row["pk"], "subject": row["subject"], "state": row["state"], "version": row["version"],
                "department": row["department__code"],
                "case": {"id": row["case_id"], "code": row["case__code"]} if row["case_id"] else None,
                "category": row["category__code"], "area": row["area__code"], "grid": row["grid__code"],
                "rule": row["rule__code"], "raised_at": moment(row["raised_at"])}
    return facts
