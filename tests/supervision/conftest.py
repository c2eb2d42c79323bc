"""Supervision's fixtures: a case dispatched at a given moment, mail kept in memory."""

import datetime as dt

import pytest

from tests.builders import report_case
from urbanmgmt.cases import clock, services, worktime
from urbanmgmt.org.models import Department

# A Monday of the seeded calendar, at 09:00 city time.
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=worktime.tz())


def dispatched_at(people, category, moment: dt.datetime, col: float = 0.5, row: float = 0.5):
    """A case reported, filed and dispatched to the sanitation office at `moment` (its
    deadline: 2 working hours later)."""
    with clock.at(moment):
        case = report_case(people.inspector, category, col, row)
        case = services.file(people.dispatcher, case, version=case.version)
        return services.dispatch(people.dispatcher, case, version=case.version,
                                 department=Department.objects.get(code="HZ-HWC"))


@pytest.fixture(autouse=True)
def mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS_RETRY_BASE_S = 0.05


@pytest.fixture
def rules(db):
    from urbanmgmt.supervision.loader import load_rules
    from urbanmgmt.supervision.models import SupervisionRule

    load_rules()
    return {rule.code: rule for rule in SupervisionRule.objects.all()}


@pytest.fixture
def only(rules):
    """Keep only the named rules active."""
    from urbanmgmt.supervision.models import SupervisionRule

    def keep(*codes):
        SupervisionRule.objects.exclude(code__in=codes).update(active=False)
    return keep
