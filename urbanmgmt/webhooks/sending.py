"""Sending the outbox's deliveries as background work (urbanmgmt/jobs): each POSTed, signed,
with a short timeout; its attempts, last status and error recorded on its row.

- 2xx: delivered. 4xx other than 408 and 429 (the receiver refuses it; trying again will
  not change its mind) and 3xx: failed, not retried.
- a network error, a timeout, 5xx, 408 or 429: the job fails once the others are sent and
  the queue retries it with exponential backoff and jitter (jobs/queue.py), sending only the
  deliveries still pending; on the job's last attempt they fail.
- every send of an event carries its event id, so a receiver de-duplicates a redelivery (a
  retry after a lost answer, a replay from the admin).

The signature (X-Urbanmgmt-Signature: sha256=<hex>) is HMAC-SHA256 with the subscription's
secret over `<timestamp>.<body>`, the timestamp (unix seconds) sent in X-Urbanmgmt-Timestamp,
so a receiver can refuse an old message replayed by someone else."""

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background, progress
from urbanmgmt.sqlchunks import filtered_in
from urbanmgmt.webhooks.models import Delivery, Event, Subscription

RETRIED_STATUSES = {408, 429}


def body(event: Event) -> bytes:
    """The JSON document sent for an event: the same bytes on every send."""
    document = {"id": str(event.pk), "type": event.type,
                "occurred_at": timezone.localtime(event.occurred_at).isoformat(), "data": event.data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, payload: bytes) -> str:
    """The X-Urbanmgmt-Signature value of a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post(session: requests.Session, delivery: Delivery) -> tuple[int | None, str]:
    """Send one delivery once: (the HTTP status or None, the error or "")."""
    payload = body(delivery.event)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "urbanmgmt-webhooks/1",
               "X-Urbanmgmt-Event": delivery.event.type, "X-Urbanmgmt-Event-Id": str(delivery.event_id),
               "X-Urbanmgmt-Delivery": str(delivery.pk), "X-Urbanmgmt-Timestamp": timestamp,
               "X-Urbanmgmt-Signature": signature(delivery.subscription.secret, timestamp, payload)}
    try:
        answer = session.post(delivery.subscription.url, data=payload, headers=headers,
                              timeout=settings.WEBHOOK_TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    return answer.status_code, f"HTTP {answer.status_code}: {answer.text[:500]}"


def retried(status: int | None) -> bool:
    """Whether a send that ended so is tried again (the receiver may answer otherwise later)."""
    return status is None or status >= 500 or status in RETRIED_STATUSES


@background(max_attempts=settings.WEBHOOK_MAX_ATTEMPTS)
def send_deliveries(job: Job, ids: list[int]) -> dict:
    """Send the pending deliveries among `ids` (of active subscriptions), in the order they
    were recorded; raise when any is to be tried again (the queue retries the job)."""
    pending = (Delivery.objects.filter(state=Delivery.State.PENDING, subscription__active=True)
               .select_related("event", "subscription").order_by("pk"))
    states = []
    with requests.Session() as session:
        for part in filtered_in(pending, "pk", ids):
            sent = [(delivery, *post(session, delivery)) for delivery in part]
            states += record(sent, job.last_attempt)
    waiting = states.count(Delivery.State.PENDING)
    progress(job, len(ids) - waiting, len(ids))
    if waiting:
        raise RuntimeError(_("%(n)s of %(total)s webhook deliveries are not delivered yet.")
                           % {"n": waiting, "total": len(ids)})
    return {"delivered": states.count(Delivery.State.DELIVERED)}


def record(sent: list[tuple[Delivery, int | None, str]], last: bool) -> list[str]:
    """Write how each send went (delivery, status, error) in one transaction, a statement per
    distinct outcome, and count the failures in a row of their subscriptions (pausing one at
    the limit); returns the new states."""
    if not sent:
        return []
    now = timezone.now()
    outcomes: dict[tuple, list[int]] = {}
    failed: dict[int, int] = {}
    states = []
    for delivery, status, error in sent:
        state = (Delivery.State.DELIVERED if not error else
                 Delivery.State.PENDING if retried(status) and not last else Delivery.State.FAILED)
        outcomes.setdefault((state, status, error[:2000]), []).append(delivery.pk)
        if state == Delivery.State.FAILED:
            failed[delivery.subscription_id] = failed.get(delivery.subscription_id, 0) + 1
        states.append(state)
    delivered = {d.subscription_id for (d, _s, _e), state in zip(sent, states, strict=True)
                 if state == Delivery.State.DELIVERED}
    with transaction.atomic():
        for (state, status, error), ids in outcomes.items():
            Delivery.objects.filter(pk__in=ids).update(
                state=state, attempts=F("attempts") + 1, last_status=status, last_error=error, last_attempt_at=now,
                **({"delivered_at": now} if state == Delivery.State.DELIVERED else {}))
        Subscription.objects.filter(pk__in=delivered - failed.keys()).exclude(failures=0).update(failures=0)
        for pk, count in failed.items():
            Subscription.objects.filter(pk=pk).update(failures=F("failures") + count)
        if failed and settings.WEBHOOK_PAUSE_AFTER_FAILURES:
            Subscription.objects.filter(pk__in=failed, failures__gte=settings.WEBHOOK_PAUSE_AFTER_FAILURES,
                                        active=True).update(active=False, paused_at=now)
    return states


def replay(ids: list[int], user=None) -> Job | None:
    """Send these deliveries again (delivered or not) with their events' ids, by a new job."""
    ids = sorted(ids)
    if not ids:
        return None
    with transaction.atomic():
        for part in filtered_in(Delivery.objects.all(), "pk", ids):
            part.update(state=Delivery.State.PENDING, last_error="")
        job = send_deliveries.enqueue(f"replay {uuid.uuid4().hex}", started_by=user, ids=ids)
        for part in filtered_in(Delivery.objects.all(), "pk", ids):
            part.update(job=job)
    return job


@background()
def prune_events(job: Job) -> dict:
    """Delete the events older than settings.WEBHOOK_KEEP_DAYS whose every delivery is done
    (delivered or failed), with their deliveries; one still being tried stays (periodic, see
    settings.PERIODIC_JOBS)."""
    before = timezone.now() - dt.timedelta(days=settings.WEBHOOK_KEEP_DAYS)
    waiting = Delivery.objects.filter(event=OuterRef("pk"), state=Delivery.State.PENDING)
    deleted, _counts = Event.objects.filter(occurred_at__lt=before).exclude(Exists(waiting)).delete()
    return {"deleted": deleted}
