"""The bulk import gives the same tickets, cases and links as the same rows one at a time."""

import pytest
from django.db import transaction

from tests.builders import report_case
from tests.hotline.helpers import row
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db


def _outcome() -> dict:
    tickets = {t.external_id: (t.state, t.category_id, t.grid_id, t.place_method, t.needs_review,
                               t.case.external_ref if t.case_id else None, t.owns_case,
                               {k: v for k, v in t.link_reason.items() if k != "hours_apart"}, str(t.reply_due_at))
               for t in HotlineTicket.objects.select_related("case")}
    cases = sorted((c.external_ref or "", c.channel, c.category_id, c.grid_id, c.community_id, c.street_id,
                    c.district_id, c.ticket_count, c.version, c.state, c.request_type, c.description, c.address)
                   for c in Case.objects.all())
    events = sorted((e.case.external_ref or "", e.action, e.version, e.payload.get("ticket", ""))
                    for e in CaseEvent.objects.select_related("case"))
    return {"tickets": tickets, "cases": cases, "events": events}


def _run(rows, people, one_by_one: bool) -> dict:
    with transaction.atomic():
        report_case(people.inspector, Category.objects.get(service_code="E0102"), col=1.5, row=1.5,
                    description="暴露垃圾无人清理", external_ref="open-1")
        if one_by_one:
            for item in rows:
                import_rows([item], source="s", actor=people.dispatcher)
        else:
            import_rows(rows, source="s", actor=people.dispatcher)
        outcome = _outcome()
        transaction.set_rollback(True)
    return outcome


def test_the_same_rows_in_one_batch_or_one_by_one_give_the_same_tickets_cases_and_links(people, gazetteer):
    rows = [row("A1", col=1.52, cell=1.5),  # links to the inspector's open case
            row("A2", col=3.5, cell=3.5, text="路灯不亮，晚上很黑"),  # its own case
            row("A3", col=3.51, cell=3.5, text="这里的路灯坏了不亮"),  # links to A2's case
            row("A4", address="新海街道新海001社区", text="小区里有人占道经营摆摊"),  # placed by the gazetteer
            row("A5", address="不知道在哪里"),  # the unplaced queue
            row("A6", kind="咨询", text="垃圾分类怎么投放", 答复内容="按四分类投放"),  # answered at intake
            row("A7", col=99, cell=99)]  # outside the city: refused
    bulk, single = _run(rows, people, one_by_one=False), _run(rows, people, one_by_one=True)
    assert bulk == single
    assert bulk["tickets"]["A1"][5] == "open-1" and bulk["tickets"]["A3"][5] == "s:A2" and "A7" not in bulk["tickets"]
    assert {t[0] for t in bulk["tickets"].values()} >= {"open", "unplaced", "answered"}
