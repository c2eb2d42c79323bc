"""Webhooks out: other systems (the city's 12345 platform, a district's own) subscribe to
the platform's events; each event is recorded with a stable id in the transaction of the
domain write that made it, with one Delivery per subscription that wants it (an outbox), and
sent, signed, by the task queue after the commit (sending.py)."""

import secrets
import uuid

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventType(models.TextChoices):
    CASE_CREATED = "case.created", _("Case created")
    CASE_STATE_CHANGED = "case.state_changed", _("Case state changed")
    TICKET_ANSWERED = "ticket.answered", _("12345 ticket answered")
    NOTICE_RAISED = "notice.raised", _("Supervision notice raised")


def new_secret() -> str:
    return secrets.token_hex(32)


class Subscription(models.Model):
    """A receiver's URL, the secret its deliveries are signed with, and the events it wants."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])],
                          help_text=_("Where the events are POSTed (http or https)."))
    secret = models.CharField(_("secret"), max_length=200, default=new_secret,
                              help_text=_("Shared with the receiver, which checks the signature with it."))
    events = models.JSONField(_("events"), default=list, help_text=_("The event types sent to this URL."))
    active = models.BooleanField(_("active"), default=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True,
                                     help_text=_("Set when it was paused after too many failures in a row."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class Event(models.Model):
    """One domain event as sent to subscribers; its id is the one a receiver de-duplicates by."""

    id = models.UUIDField(_("event id"), primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    data = models.JSONField(_("data"), default=dict)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """One event to one subscription: one row however often it is sent."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook", "Pending")
        DELIVERED = "delivered", pgettext_lazy("webhook", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook", "Failed")

    event = models.ForeignKey(Event, models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    subscription = models.ForeignKey(Subscription, models.CASCADE, related_name="deliveries",
                                     verbose_name=_("subscription"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("sending job"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["state", "subscription"], name="webhook_delivery_state")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.state})"
