"""The knowledge base from a spreadsheet: every row taken or refused with its line and the
reason, a second import updates by the entry's code, a mapping names other columns, the
template downloads and imports as it is; the admin keeps the entries."""

import csv
import io
import re

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from urbanmgmt.hotline.knowledge_import import KnowledgeMapping, import_knowledge, template
from urbanmgmt.hotline.models import KnowledgeEntry
from urbanmgmt.hotline.readers import ImportRefused

pytestmark = pytest.mark.django_db

HEADER = ["编号", "问题", "答复口径", "责任单位", "标签", "生效日期", "失效日期", "审核日期", "状态"]


def xlsx(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    for r in [HEADER, *rows]:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


ROWS = [
    ["ZSK-1", "大件垃圾怎么预约清运？", "拨打12319预约。", "HZ-HWC", "大件垃圾，清运", "2025-01-01", "", "2025-06-30", "启用"],
    ["ZSK-2", "物业费有争议找谁？", "向住建局物业科反映。", "住房和城乡建设局(物业/房产)", "物业费", "", "2026-12-31", "", ""],
    ["ZSK-3", "没有答复的问题", "", "", "", "", "", "", ""],
    ["ZSK-4", "日期写错了", "答复", "", "", "2025-13-45", "", "", ""],
    ["ZSK-5", "谁也不管", "答复", "不存在的局", "", "", "", "", ""],
    ["ZSK-1", "同一编号又来一次", "答复", "", "", "", "", "", ""],
    ["ZSK-6", "先结束后开始", "答复", "", "", "2025-06-01", "2025-01-01", "", ""],
    ["ZSK-7", "状态不明", "答复", "", "", "", "", "", "也许"],
]


def test_every_row_is_taken_or_refused_with_its_line_and_reason(people, bureaus):
    summary = import_knowledge(xlsx(ROWS), "kb.xlsx")
    assert (summary.total, summary.created, summary.updated) == (8, 2, 0)
    refused = {line: (code, reason) for line, code, reason in summary.rejected}
    assert sorted(refused) == [4, 5, 6, 7, 8, 9]  # the header is line 1
    assert refused[4][0] == "ZSK-3" and "答复" in refused[4][1] or "answer" in refused[4][1]
    assert "2025-13-45" in refused[5][1] and "不存在的局" in refused[6][1]
    assert "ZSK-1" in refused[7][1] and "2" in refused[7][1]  # first on line 2
    assert "也许" in refused[9][1]
    bulky = KnowledgeEntry.objects.get(code="ZSK-1")
    assert bulky.department.code == "HZ-HWC" and bulky.tags == ["大件垃圾", "清运"] and bulky.active
    assert str(bulky.valid_from) == "2025-01-01" and bulky.valid_to is None and str(bulky.reviewed_at) == "2025-06-30"
    fees = KnowledgeEntry.objects.get(code="ZSK-2")
    assert fees.bureau.code == "ZJJ" and fees.department is None and str(fees.valid_to) == "2026-12-31"
    assert list(csv.reader(io.StringIO(summary.rejects_csv().lstrip("\ufeff"))))[1][:2] == ["4", "ZSK-3"]


def test_importing_again_updates_by_code_and_leaves_the_rest(people, bureaus):
    import_knowledge(xlsx(ROWS[:2]), "kb.xlsx")
    first = KnowledgeEntry.objects.get(code="ZSK-1")
    again = import_knowledge(xlsx(ROWS[:2]), "kb.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert KnowledgeEntry.objects.get(code="ZSK-1").updated_at == first.updated_at
    changed = [["ZSK-1", "大件垃圾怎么预约清运？", "拨打12319或用小程序预约。", "HZ-HWC", "大件垃圾，清运", "2025-01-01",
                "", "2025-06-30", "停用"]]
    third = import_knowledge(xlsx(changed), "kb.xlsx")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
    bulky = KnowledgeEntry.objects.get(code="ZSK-1")
    assert bulky.answer == "拨打12319或用小程序预约。" and not bulky.active
    assert KnowledgeEntry.objects.count() == 2


def test_a_csv_in_gbk_with_a_mapping_of_its_own_columns(people):
    text = "条目,常见问答,口径,主管\nQ1,路灯不亮找谁？,市政设施管理处维修。,HZ-SZC\n"
    mapping = KnowledgeMapping({"columns": {"code": "条目", "question": "常见问答", "answer": "口径",
                                            "responsible": "主管"}})
    summary = import_knowledge(io.BytesIO(text.encode("gb18030")), "kb.csv", mapping)
    assert summary.created == 1 and summary.rejected == []
    assert KnowledgeEntry.objects.get(code="Q1").department.code == "HZ-SZC"


def test_a_sheet_without_a_required_column_is_refused_once_by_name(people):
    with pytest.raises(ImportRefused) as refused:
        import_knowledge(io.BytesIO("编号,问题\nQ1,路灯不亮\n".encode()), "kb.csv")
    assert "答复口径" in str(refused.value)
    assert not KnowledgeEntry.objects.exists()


def admin_client(people) -> Client:
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    admin = Client()
    admin.force_login(people.admin)
    return admin


def test_the_template_downloads_from_the_admin_and_imports_as_it_is(people, bureaus):
    admin = admin_client(people)
    listing = admin.get("/admin/hotline/knowledgeentry/")
    assert listing.status_code == 200 and "kb-import" in listing.content.decode()
    download = admin.get("/admin/hotline/knowledgeentry/template.xlsx")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    upload = io.BytesIO(download.content)
    upload.name = "template.xlsx"
    page = admin.post("/admin/hotline/knowledgeentry/import/", {"file": upload})
    assert page.status_code == 200 and 'data-key="created">2<' in page.content.decode()
    assert KnowledgeEntry.objects.count() == 2 and template()
    # Kept in the admin: reviewed today with the list's action.
    answer = admin.post("/admin/hotline/knowledgeentry/", {"action": "mark_reviewed", "_selected_action": [
        e.pk for e in KnowledgeEntry.objects.all()]})
    assert answer.status_code == 302
    assert set(KnowledgeEntry.objects.values_list("reviewed_by", flat=True)) == {people.admin.pk}


def test_the_admin_import_refuses_a_workbook_it_cannot_read_saying_so(people):
    admin = admin_client(people)
    upload = io.BytesIO(b"not a workbook")
    upload.name = "kb.xlsx"
    page = admin.post("/admin/hotline/knowledgeentry/import/", {"file": upload})
    assert page.status_code == 200 and "kb-import-error" in page.content.decode()
    assert not KnowledgeEntry.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_entry_is_edited_in_the_admin_as_a_person_writes_it(people, bureaus, language):
    """Its tags as the spreadsheet gives them (not as JSON), the departments named in the
    page's language, and the admin's own "History" button (not the case map's)."""
    from django.conf import settings

    from urbanmgmt.org.models import Department

    admin = admin_client(people)
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    department = Department.objects.exclude(name_en="").first()
    form = admin.get("/admin/hotline/knowledgeentry/add/").content.decode()
    shown = department.name_en if language == "en" else department.name
    assert f'<option value="{department.pk}">{shown}</option>' in form
    answer = admin.post("/admin/hotline/knowledgeentry/add/", {
        "code": "ZSK-T1", "question": "狗在小区里随地大小便怎么办？", "answer": "请拨打12345，由城管执法中队处理。",
        "department": department.pk, "tags": "养犬、犬只，狗粪 遛狗", "active": "on"})
    assert answer.status_code == 302, answer.content.decode()
    entry = KnowledgeEntry.objects.get(code="ZSK-T1")
    assert entry.tags == ["养犬", "犬只", "狗粪", "遛狗"]
    page = admin.get(f"/admin/hotline/knowledgeentry/{entry.pk}/change/").content.decode()
    assert 'value="养犬、犬只、狗粪、遛狗"' in page
    assert re.search(r'class="historylink">\s*' + ("历史" if language == "zh-hans" else "History") + r"\s*<", page)
    listing = admin.get("/admin/hotline/knowledgeentry/").content.decode()
    assert ("长期有效" if language == "zh-hans" else "always") in listing


def test_a_tickets_state_never_reads_as_a_cases_state_in_chinese():
    """A ticket with a case is not its case filed (立案 is the dispatcher's decision, later)."""
    from django.utils import translation

    from urbanmgmt.cases.models import State
    from urbanmgmt.hotline.models import TicketState

    with translation.override("zh-hans"):
        cases = {str(label) for _value, label in State.choices}
        assert not cases & {str(label) for _value, label in TicketState.choices}
