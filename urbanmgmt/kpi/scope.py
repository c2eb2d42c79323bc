"""What the figures count over, shared by every module of kpi: the local days of
settings.TIME_ZONE and the collector channels (the quota's scope, DOMAIN §6).

A leaf: it imports nothing of kpi, so the figures (collection, daily, indicators) can all
import it without importing each other.
"""

import datetime as dt

from urbanmgmt.cases.models import Channel
from urbanmgmt.cases.worktime import tz

COLLECT_CHANNELS = (Channel.INSPECTOR, Channel.VIDEO)


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a local day."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz())
