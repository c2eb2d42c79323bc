"""Errors a user can cause, each with a message they can act on (Chinese first via i18n).

Services raise these; the API maps them to HTTP statuses (see urbanmgmt/api.py) and the
admin and commands print their message. Nothing is half-written when one is raised: every
service raises before it writes, or inside the transaction that it then rolls back.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of the errors a user can cause; `status` is the HTTP status the API answers."""

    status = 400
    code = "invalid"

    def __init__(self, message=None, **params):
        self.params = params
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    default_message = _("The request is not valid.")

    def __str__(self) -> str:
        try:
            return str(self.message) % self.params if self.params else str(self.message)
        except (KeyError, TypeError, ValueError):
            return str(self.message)


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class OutOfRange(DomainError):
    status = 400
    code = "out_of_range"
    default_message = _("A number in the request is out of range.")


class OutsideServiceArea(DomainError):
    status = 400
    code = "outside_service_area"
    default_message = _("The point is outside the service area: it lies in no unit grid of the city.")


class ForbiddenTransition(DomainError):
    status = 409
    code = "forbidden_transition"


class StaleVersion(DomainError):
    status = 409
    code = "stale_version"
    default_message = _(
        "This case was changed by someone else (you saw version %(seen)s, it is now at version "
        "%(current)s). Reload it and try again."
    )


class NotAllowed(DomainError):
    status = 403
    code = "not_allowed"
    default_message = _("Your role does not allow this action.")
