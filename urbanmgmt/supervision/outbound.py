"""Sending the recorded deliveries through their channels, as background work: each is
sent once (a sent one is never sent again), its attempts and last error recorded; when any
failed, the job fails and the queue retries it with backoff (jobs/queue.py), sending only
those still pending."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background, progress
from urbanmgmt.supervision import channels, texts
from urbanmgmt.supervision.models import Delivery


def message(delivery: Delivery) -> tuple[str, str]:
    """(subject, body) of a delivery, in the city's language."""
    event = delivery.notification.event
    notice = event.notice
    with translation.override(settings.LANGUAGE_CODE):
        subject = texts.headline(event)
        lines = [subject, "", _("Answer due: %(due)s") % {
            "due": timezone.localtime(event.answer_due_at).strftime("%Y-%m-%d %H:%M") if event.answer_due_at else "—"}]
        if event.text:
            lines += ["", event.text]
        lines += ["", reverse("supervision:notice", args=[notice.pk])]
    return subject, "\n".join(lines)


@background(max_attempts=5)
def send_deliveries(job: Job, ids: list[int]) -> dict:
    """Send the pending deliveries among `ids`; raise when any failed (the queue retries)."""
    pending = (Delivery.objects.filter(pk__in=ids, state=Delivery.State.PENDING)
               .select_related("notification__event__notice__department", "notification__event__notice__case",
                               "notification__event__notice__category", "notification__event__notice__area",
                               "notification__event__notice__grid"))
    sent, failed = 0, []
    for delivery in pending:
        try:
            channels.by_code(delivery.channel).send(delivery.address, *message(delivery))
        except Exception as exc:  # recorded, and the whole job retried for the ones that failed
            state = Delivery.State.FAILED if job.last_attempt else Delivery.State.PENDING
            Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1, error=str(exc)[:2000],
                                                           state=state)
            failed.append(delivery.pk)
            continue
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING).update(
            state=Delivery.State.SENT, attempts=delivery.attempts + 1, sent_at=timezone.now(), error="")
        sent += 1
    progress(job, len(ids) - len(failed), len(ids))
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(ids)} messages not sent yet")
    return {"sent": sent}
