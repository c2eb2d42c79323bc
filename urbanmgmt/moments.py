"""When a moment given from outside makes sense: not before the platform's earliest day
(settings.EARLIEST_DAY, default 2000-01-01) and not in the future beyond a small clock skew.

A ticket dated year 0048 would head every queue sorted by time and every export; a report
from tomorrow would be overdue backwards. The API's date fields (MomentField) and the 12345
importer take their moments through this one rule.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from urbanmgmt.cases import clock
from urbanmgmt.errors import InvalidInput

CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's or a partner system's clock running a little ahead


def earliest() -> dt.datetime:
    """The first moment accepted: the start of settings.EARLIEST_DAY, local time (the
    platform's zone: no request activates another)."""
    return dt.datetime.combine(settings.EARLIEST_DAY, dt.time(), tzinfo=timezone.get_default_timezone())


def refusal(moment: dt.datetime, now: dt.datetime | None = None) -> str | None:
    """Why `moment` (aware, or naive in local time) is refused, in the user's language; None
    when it is accepted. `now`: the time the caller acts at (the clock's by default)."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=timezone.get_default_timezone())
    try:
        too_early = moment < earliest()
    except OverflowError:  # year 1 in a time zone east of UTC lies before datetime.min in UTC
        too_early = True
    if too_early:
        return _("The time %(moment)s lies before %(earliest)s, the earliest day the platform accepts.") % {
            "moment": _shown(moment), "earliest": settings.EARLIEST_DAY.isoformat()}
    if moment > (now or clock.now()) + CLOCK_SKEW:
        return _("The time %(moment)s lies in the future: check the sending clock.") % {"moment": _shown(moment)}
    return None


def _shown(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


def check_moment(moment: dt.datetime, now: dt.datetime | None = None) -> dt.datetime:
    """`moment` if it makes sense (at `now`, the clock's by default), else InvalidInput with
    the reason."""
    reason = refusal(moment, now)
    if reason:
        raise InvalidInput(reason)
    return moment


class MomentField(serializers.DateTimeField):
    """An ISO 8601 time from a client, refused with the reason when it makes no sense."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        reason = refusal(moment)
        if reason:
            raise serializers.ValidationError(reason, code="out_of_range")
        return moment
