"""The case queryset's rules: the SQL form and the row-level form of "overdue" agree on every
state and deadline, and every list of cases shows a person the cases `visible_to` them."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.builders import client_for, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import OPEN_STATES, Case, State, is_late_to_sign, is_overdue
from urbanmgmt.storage.exports import may_export

pytestmark = pytest.mark.django_db


def test_is_overdue_and_the_queryset_agree_on_every_state_and_deadline(people, category):
    case = report_case(people.inspector, category)
    at = timezone.now()
    seen = set()
    for state in State.values:
        for due in (None, at - dt.timedelta(days=3), at - dt.timedelta(microseconds=1), at,
                    at + dt.timedelta(minutes=1)):
            Case.objects.filter(pk=case.pk).update(state=state, due_at=due)
            in_sql = Case.objects.filter(pk=case.pk).overdue(at).exists()
            left_out = Case.objects.filter(pk=case.pk).not_overdue(at).exists()
            assert in_sql == is_overdue(state, due, at) != left_out, (state, due)
            if in_sql:
                seen.add(state)
    # past the deadline, open, the clock running: not suspended, not replied to by the department
    assert seen == set(OPEN_STATES) - {State.SUSPENDED, State.HANDLED, State.CHECKING, State.CHECKED}


def test_signing_counts_the_signed_and_the_late_to_sign_in_sql_and_in_rows(people, category):
    case = report_case(people.inspector, category)
    at = timezone.now()
    for sign_due in (None, at - dt.timedelta(minutes=1), at, at + dt.timedelta(minutes=1)):
        for signed in (None, at - dt.timedelta(hours=1)):
            Case.objects.filter(pk=case.pk).update(sign_due_at=sign_due, signed_at=signed)
            counted = Case.objects.filter(pk=case.pk).signing_counted(at).exists()
            assert counted != Case.objects.filter(pk=case.pk).signing_not_counted(at).exists()
            late = is_late_to_sign(sign_due, signed, at)
            assert counted == (sign_due is not None and (signed is not None or late)), (sign_due, signed)


def test_open_and_not_open_split_the_states(people, category):
    case = report_case(people.inspector, category)
    for state in State.values:
        Case.objects.filter(pk=case.pk).update(state=state)
        assert Case.objects.filter(pk=case.pk).open().exists() == (state in OPEN_STATES)
        assert Case.objects.filter(pk=case.pk).not_open().exists() == (state not in OPEN_STATES)


def test_due_between_leaves_out_suspended_cases_unless_asked(people, category):
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    start = timezone.now()
    Case.objects.filter(pk=case.pk).update(due_at=start + dt.timedelta(hours=1))
    end = start + dt.timedelta(days=1)
    assert Case.objects.due_between(start, end).filter(pk=case.pk).exists()
    assert not Case.objects.due_between(end, end + dt.timedelta(days=1)).exists()
    services.suspend(people.dispatcher, case, version=case.version, reason="等待管线改造")
    assert not Case.objects.due_between(start, end).exists()
    assert Case.objects.due_between(start, end, suspended=True).filter(pk=case.pk).exists()


def _lists(user) -> dict[str, set[str]]:
    """The case codes of every list a person can ask for, all cases, open or not."""
    client = client_for(user)
    api = client.get("/api/v1/cases/").json()["features"]
    layer = client.get("/api/v1/map/cases/", {"bbox": "118.0,34.0,120.0,35.0", "zoom": 18, "open": "all"}).json()
    lists = {"api": {f["properties"]["code"] for f in api}, "layer": {f["properties"]["code"] for f in layer["features"]}}
    export = client.get("/api/v1/map/export/", {"as": "geojson", "layer": "cases", "open": "all"})
    if not may_export(user):  # inspectors and analysts export nothing (storage/exports.py)
        assert export.status_code == 403
        return lists
    return {**lists, "export": {f["properties"]["code"] for f in json.loads(b"".join(export.streaming_content))["features"]}}


def test_every_list_shows_the_cases_visible_to_the_person(people, category):
    mine = report_case(people.inspector, category, 0.5, 0.5)
    mine = services.file(people.dispatcher, mine, version=mine.version)
    services.dispatch(people.dispatcher, mine, version=mine.version, department=people.handler.profile.department)
    report_case(people.analyst, category, 4.5, 3.5, channel="video")
    report_case(people.dispatcher, category, 5.5, 3.5, channel="hotline", request_type="complaint")
    for name in ("inspector", "analyst", "dispatcher", "handler", "other_handler", "manager", "outsider"):
        user = getattr(people, name)
        visible = set(Case.objects.visible_to(user).values_list("code", flat=True))
        for where, codes in _lists(user).items():
            assert codes == visible, (name, where)
    assert set(Case.objects.visible_to(people.handler).values_list("pk", flat=True)) == {mine.pk}
    assert not Case.objects.visible_to(people.outsider).exists()
