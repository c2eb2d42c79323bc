"""The answer to a locked-out login (django-axes), in the user's language.

axes counts failed logins per user name and address and, past AXES_FAILURE_LIMIT, refuses
them for AXES_COOLOFF_TIME. The login form and the admin get a page (AxesMiddleware calls
`lockout_response`); the API token endpoint gets JSON: DRF's serializer calls authenticate()
with DRF's own request, where AxesMiddleware never sees axes' flag, so the lockout signal
raises an API error there instead. An administrator unlocks in the admin (Access attempts)
or with `manage.py axes_reset_username NAME`.
"""

import math
from datetime import datetime

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request

LOCKED_OUT = "locked_out"


class LockedOut(APIException):
    """429 with Retry-After (DRF's handler sends `wait` as that header)."""

    status_code = 429
    default_code = LOCKED_OUT

    def __init__(self, message: str, wait_s: int):
        super().__init__(message, LOCKED_OUT)
        self.wait = wait_s


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the first of our PROXY_COUNT proxies saw (what a
    client writes into X-Forwarded-For itself stands further left and is never read)."""
    hops = settings.PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def unlock_at(username: str | None, ip_address: str | None) -> datetime:
    """When the lockout of this name at this address ends: cool-off after its last failure."""
    last = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
        last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_message(username: str | None, until: datetime) -> str:
    return _("Too many failed logins for “%(username)s” from this address: logging in is blocked until "
             "%(time)s. Wait until then, or ask an administrator to unlock the account.") % {
        "username": username or "", "time": time_format(timezone.localtime(until), "H:i")}


def _wait_s(until: datetime) -> int:
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the lockout page, or JSON for a client that asked for JSON."""
    username = get_client_username(request, credentials)
    until = unlock_at(username, getattr(request, "axes_ip_address", None))
    message = lockout_message(username, until)
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message, "code": LOCKED_OUT}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(_wait_s(until))
    return response


@receiver(user_locked_out, dispatch_uid="urbanmgmt.lockout.api")
def refuse_api_login(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """A locked-out login through DRF (the token endpoint) answers 429 with the reason."""
    if isinstance(request, Request):
        until = unlock_at(username, ip_address)
        raise LockedOut(lockout_message(username, until), _wait_s(until))
