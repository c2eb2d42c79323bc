"""The managers' 12345 satisfaction and actual-resolution rates come from the tickets' callbacks."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.hotline.helpers import row
from urbanmgmt.hotline import services
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.kpi.loop import loop_kpis

pytestmark = pytest.mark.django_db


def test_satisfaction_and_resolution_are_counted_from_the_callbacks_of_the_period(people, gazetteer):
    outcomes = [("satisfied", True), ("basic", True), ("unsatisfied", False), ("unreachable", None), ("satisfied", None)]
    import_rows([row(f"K{i}", col=0.5 + i, cell=0.5, text=f"第{i}处路灯不亮") for i in range(6)]
                + [row("K9", kind="咨询", text="办事指南", 答复内容="已告知")], source="s", actor=people.dispatcher)
    tickets = list(HotlineTicket.objects.order_by("external_id"))
    for ticket, (satisfaction, resolved) in zip(tickets, outcomes, strict=False):
        services.record_callback(people.dispatcher, ticket, satisfaction, resolved)
    services.record_callback(people.dispatcher, HotlineTicket.objects.get(external_id="K9"), "basic", True)  # answered
    HotlineTicket.objects.filter(external_id="K5").update(satisfaction="unsatisfied", resolved=False,
                                                          satisfaction_at=timezone.now() - dt.timedelta(days=60))
    now = timezone.now()
    kpis = loop_kpis(now - dt.timedelta(days=1), now + dt.timedelta(minutes=1))
    # reached: K0 K1 K2 K4 K9 (K3 not reached, K5 outside the period); happy: K0 K1 K4 K9
    assert (kpis["satisfaction"]["n"], kpis["satisfaction"]["d"], kpis["satisfaction"]["value"]) == (4, 5, 0.8)
    # asked whether resolved: K0 K1 K2 K9; resolved: K0 K1 K9
    assert (kpis["actual_resolution"]["n"], kpis["actual_resolution"]["d"]) == (3, 4)
    assert "note" not in kpis["satisfaction"]
