"""Outbound channels: how a reminder leaves the platform besides the bell.

A channel says where each person is reached (`addresses`) and sends one message
(`send`), raising on failure so the queue retries it. settings.SUPERVISION_CHANNELS lists
the classes in use; e-mail (Django's mail) is the first. Other systems are not people: they
hear of a notice raised or escalated once per notice, as the webhook event notice.raised
(notify.py hands it to webhooks/outbox.py), signed, retried and replayable like every
webhook, not once per person told through a channel here."""

from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.module_loading import import_string


class Channel(Protocol):
    """The interface an outbound channel implements."""

    code: str

    def addresses(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Where each of these people is reached on this channel (people without one left out)."""

    def send(self, address: str, subject: str, body: str) -> None:
        """Send one message; raise when it did not go (the queue tries again later)."""


class EmailChannel:
    """E-mail through Django's configured mail backend (EMAIL_BACKEND, EMAIL_HOST…)."""

    code = "email"

    def addresses(self, user_ids: Iterable[int]) -> dict[int, str]:
        users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email="")
        return dict(users.values_list("pk", "email"))

    def send(self, address: str, subject: str, body: str) -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)


def configured() -> list[Channel]:
    """The channels of settings.SUPERVISION_CHANNELS."""
    return [import_string(path)() for path in settings.SUPERVISION_CHANNELS]


def by_code(code: str) -> Channel:
    """The configured channel named `code` (a delivery recorded for a channel since removed fails)."""
    for channel in configured():
        if channel.code == code:
            return channel
    raise LookupError(f"no outbound channel {code!r} configured")
