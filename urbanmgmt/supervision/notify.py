"""Who is told of a notice's step, recorded in the step's transaction: an in-app
notification per person (the bell) and a delivery per person and outbound channel, sent by
one queued job (outbound.send_deliveries), which the queue retries on failure; and, for a
raise or an escalation, the webhook event other systems subscribe to (webhooks/outbox.py)."""

from collections import defaultdict

from django.contrib.auth import get_user_model

from urbanmgmt.cases import clock
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Profile
from urbanmgmt.supervision import channels, texts
from urbanmgmt.supervision.models import Delivery, NoticeEvent, Notification
from urbanmgmt.supervision.outbound import send_deliveries
from urbanmgmt.webhooks import outbox as webhooks

TO_COMMAND_CENTRE = (NoticeEvent.Action.ANSWER,)
# The steps other systems subscribe to (webhooks' notice.raised): once per notice and step,
# not once per person told, so they are not an outbound channel of channels.py.
RAISED = (NoticeEvent.Action.RAISE, NoticeEvent.Action.ESCALATE)


def _handlers(department_ids: set[int]) -> dict[int, list[int]]:
    rows = (Profile.objects.filter(department_id__in=department_ids, user__is_active=True, user__groups__name=R.HANDLER)
            .values_list("department_id", "user_id"))
    found: dict[int, list[int]] = defaultdict(list)
    for department_id, user_id in rows:
        found[department_id].append(user_id)
    return found


def recipients(events: list[NoticeEvent]) -> dict[int, list[int]]:
    """Event id → the people told: the department's handlers of a raise, an escalation, a
    send-back or a close; of an answer, whoever raised the notice (the dispatchers when a
    rule did)."""
    handlers = _handlers({e.notice.department_id for e in events if e.action not in TO_COMMAND_CENTRE})
    dispatchers = None
    found = {}
    for event in events:
        if event.action not in TO_COMMAND_CENTRE:
            found[event.pk] = handlers.get(event.notice.department_id, [])
        elif event.notice.raised_by_id:
            found[event.pk] = [event.notice.raised_by_id]
        else:
            if dispatchers is None:
                dispatchers = list(get_user_model().objects.filter(groups__name=R.DISPATCHER, is_active=True)
                                   .values_list("pk", flat=True))
            found[event.pk] = dispatchers
    return found


RECENT = 100


def recent(user) -> list[Notification]:
    """The person's last RECENT notifications, newest first, each with its `headline` (the
    bell's page and 城管通's list)."""
    rows = list(user.notifications.select_related(
        "event__notice__department", "event__notice__case", "event__notice__category", "event__notice__area",
        "event__notice__grid")[:RECENT])
    for row in rows:
        row.headline = texts.headline(row.event)
    return rows


def unread_count(user) -> int:
    """How many of the person's notifications are unread (the badges)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, pk: int | None = None, notice=None) -> None:
    """One of the person's notifications (`pk`), those of a notice they opened or acted on
    (`notice`), or all of them, read now."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    if notice is not None:
        unread = unread.filter(event__notice=notice)
    unread.update(read_at=clock.now())


def record(events: list[NoticeEvent]) -> list[Notification]:
    """Write the notifications and deliveries of these (saved) events and queue the sending;
    call it inside the transaction that wrote the events."""
    now = clock.now()
    told = recipients(events)
    rows = [Notification(user_id=user_id, event=event, created_at=now) for event in events for user_id in told[event.pk]]
    notifications = Notification.objects.bulk_create(rows)
    deliveries = []
    users = {n.user_id for n in notifications}
    for channel in channels.configured():
        addresses = channel.addresses(users) if users else {}
        deliveries += [Delivery(notification=n, channel=channel.code, address=addresses[n.user_id])
                       for n in notifications if n.user_id in addresses]
    deliveries = Delivery.objects.bulk_create(deliveries)
    if deliveries:
        ids = [d.pk for d in deliveries]
        send_deliveries.enqueue(f"deliveries {ids[0]}-{ids[-1]}", ids=ids)
    webhooks.notices_raised([event for event in events if event.action in RAISED])
    return notifications
