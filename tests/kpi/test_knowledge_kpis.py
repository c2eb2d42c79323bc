"""The knowledge base on the managers' dashboard: 在线解答率 (answered at first contact from the
knowledge base ÷ tickets received) and the upkeep (entries in force reviewed within their
period), in the 12345 block of the API, the Excel workbook and the daily report."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import override
from openpyxl import load_workbook

from tests.builders import client_for
from tests.hotline.helpers import row
from tests.hotline.knowledge_entries import make_entries
from urbanmgmt.hotline import services
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, KnowledgeEntry
from urbanmgmt.kpi.excel import workbook
from urbanmgmt.kpi.knowledge import upkeep
from urbanmgmt.kpi.scope import day_start

pytestmark = pytest.mark.django_db


def test_upkeep_counts_entries_in_force_reviewed_within_their_period(people, settings):
    settings.HOTLINE_KB_REVIEW_DAYS, settings.HOTLINE_KB_EXPIRING_DAYS = 180, 30
    today = timezone.localdate()
    make_entries()
    entries = list(KnowledgeEntry.objects.order_by("code"))
    for entry, reviewed in zip(entries[:4], [10, 179, 181, 400], strict=True):
        entry.reviewed_at = today - dt.timedelta(days=reviewed)
        entry.save()
    entries[4].valid_to = today - dt.timedelta(days=1)  # past its end, still switched on
    entries[5].valid_to = today + dt.timedelta(days=20)  # ends within 30 days
    entries[6].active = False  # withdrawn: not in force, not counted
    for entry in entries[4:7]:
        entry.save()
    figures = upkeep()
    assert figures["kb_upkeep"] == {"n": 2, "d": 18, "value": round(2 / 18, 4)}
    assert figures["knowledge_base"] | {} == {"as_of": today.isoformat(), "in_force": 18, "expiring": 1, "expired": 1,
                                              "review_days": 180, "expiring_days": 30}


def test_the_dashboard_workbook_and_report_show_the_online_answer_rate(people):
    make_entries(reviewed_at=timezone.localdate())
    import_rows([row("K1", kind="咨询", text="大件垃圾怎么预约清运？"), row("K2", kind="咨询", text="旧沙发怎么扔"),
                 row("K3", kind="投诉举报", text="楼下路灯不亮")], source="s", actor=people.dispatcher)
    services.answer(people.dispatcher, HotlineTicket.objects.get(external_id="K1"), "拨打12319预约。",
                    KnowledgeEntry.objects.get(code="ZSK-001"))
    day = timezone.localtime(HotlineTicket.objects.get(external_id="K1").received_at).date()
    figures = client_for(people.manager).get(f"/api/v1/kpi/hotline/?start={day}&end={day}").json()
    assert figures["online_answer"] == {"n": 1, "d": 3, "value": 0.3333}
    assert figures["online_answer_consultations"]["value"] == 0.5
    assert figures["kb_upkeep"]["value"] == 1.0 and figures["knowledge_base"]["in_force"] == 20
    with override("zh-hans"):
        book = load_workbook(io.BytesIO(workbook(day_start(day), day_start(day + dt.timedelta(days=1)))))
    lines = {r[0]: r[1:3] for sheet in book.worksheets for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert lines["在线解答率"] == (1, 3) and lines["知识库按期复核率"] == (20, 20)
    manager = Client()
    manager.force_login(people.manager)
    report = manager.get(f"/kpi/report/daily/?date={day}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "在线解答率" in report and "1 / 3" in report
