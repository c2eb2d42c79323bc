"""The knowledge base (知识库) from a spreadsheet: XLSX or CSV (UTF-8 or GBK), read by the
ticket files' readers with a column mapping of its own. Every row is taken or refused with
its line and the reason, as ticket files are; an entry is known by its code, so importing a
sheet again updates the entries it names and changes nothing else. The template sheet
(`template()`) names the columns read by default."""

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook

from urbanmgmt.errors import InvalidInput
from urbanmgmt.hotline.importer import refused_rows_csv
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import Bureau, KnowledgeEntry
from urbanmgmt.hotline.readers import ERROR, read
from urbanmgmt.org.models import Department

COLUMNS = {
    "code": ["编号", "知识编号", "条目编号", "code"],
    "question": ["问题", "常见问题", "标题", "question"],
    "answer": ["答复口径", "答复内容", "答案", "解答", "answer"],
    "responsible": ["责任单位", "责任部门", "主管部门", "responsible", "department"],
    "tags": ["标签", "关键词", "tags"],
    "valid_from": ["生效日期", "有效期起", "valid_from"],
    "valid_to": ["失效日期", "有效期止", "valid_to"],
    "reviewed_at": ["审核日期", "复核日期", "reviewed_at"],
    "active": ["状态", "是否启用", "active"],
}
ACTIVE_WORDS = {"启用": True, "有效": True, "是": True, "true": True, "1": True, "yes": True,
                "停用": False, "无效": False, "否": False, "false": False, "0": False, "no": False}
TAG_SPLIT = re.compile(r"[,，、;；\s]+")
FIELDS = ("question", "answer", "department_id", "bureau_id", "tags", "valid_from", "valid_to", "reviewed_at",
          "active")


class KnowledgeMapping(Mapping):
    """Which column of a knowledge base sheet holds which field of an entry."""

    COLUMNS = COLUMNS
    REQUIRED = ("code", "question", "answer")
    FIELD_NAMES = {"code": "编号 (code)", "question": "问题 (question)", "answer": "答复口径 (answer)"}
    VALUES = {"active": ACTIVE_WORDS}


@dataclass
class KnowledgeSummary:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, entry code, reason)
    notes: list[str] = field(default_factory=list)

    def rejects_csv(self) -> str:
        """Every refused row: its line, the entry's code and the reason."""
        return refused_rows_csv(_("code"), self.rejected)


class Responsible:
    """The departments and bureaus by code and by name: a sheet names them either way."""

    def __init__(self):
        self.departments = {key: d.pk for d in Department.objects.all() for key in (d.code, d.name)}
        self.bureaus = {key: b.pk for b in Bureau.objects.all() for key in (b.code, b.name_zh, b.name_en) if key}

    def find(self, name: str) -> tuple[int | None, int | None]:
        if not name:
            return None, None
        if name in self.departments:
            return self.departments[name], None
        if name in self.bureaus:
            return None, self.bureaus[name]
        raise InvalidInput(_("Unknown responsible department or bureau “%(name)s”: give its code or its name as "
                             "in the admin."), name=name)


def _date(value, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(_("Unreadable %(what)s “%(value)s”: write it as 2025-07-01."), what=what, value=value)


def _values(row: dict, columns: dict[str, str], mapping: KnowledgeMapping, responsible: Responsible) -> dict:
    """The entry's fields from one row, or InvalidInput with the reason the row is refused."""
    def cell(name: str):
        value = row.get(columns[name]) if name in columns else mapping.constants.get(name)
        return value.strip() if isinstance(value, str) else value

    text = {name: str(cell(name) or "").strip() for name in ("code", "question", "answer", "responsible", "tags")}
    for name, label in (("code", _("code")), ("question", _("question")), ("answer", _("answer"))):
        if not text[name]:
            raise InvalidInput(_("The %(field)s is empty."), field=label)
    if len(text["code"]) > 40 or len(text["question"]) > 300:
        raise InvalidInput(_("The code (40 characters at most) or the question (300) is too long."))
    department, bureau = responsible.find(text["responsible"])
    valid_from, valid_to = _date(cell("valid_from"), _("start date")), _date(cell("valid_to"), _("end date"))
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidInput(_("The entry ends (%(end)s) before it starts (%(start)s)."), end=valid_to, start=valid_from)
    raw_active = cell("active")
    active = True if raw_active in (None, "") else mapping.value("active", raw_active)
    if not isinstance(active, bool):
        raise InvalidInput(_("Unknown state “%(value)s”: write 启用 or 停用."), value=raw_active)
    return {"code": text["code"], "question": text["question"], "answer": text["answer"], "department_id": department,
            "bureau_id": bureau, "tags": tag_words(text["tags"]), "valid_from": valid_from,
            "valid_to": valid_to, "reviewed_at": _date(cell("reviewed_at"), _("review date")), "active": active}


def import_knowledge(stream, name: str, mapping: KnowledgeMapping | None = None) -> KnowledgeSummary:
    """Import a knowledge base sheet (see the module's docstring); all rows in one transaction."""
    mapping = mapping or KnowledgeMapping()
    summary, responsible = KnowledgeSummary(), Responsible()
    seen: dict[str, int] = {}
    columns: dict[str, str] | None = None
    with transaction.atomic():
        for line, row in read(stream, name, mapping, summary.notes):
            summary.total += 1
            if columns is None:
                columns = mapping.resolve([key for key in row if key != ERROR])
            code = str(row.get(columns.get("code"), "") or "").strip()[:40]
            try:
                if row.get(ERROR):
                    raise InvalidInput(row[ERROR])
                values = _values(row, columns, mapping, responsible)
                if values["code"] in seen:
                    raise InvalidInput(_("The code %(code)s is on line %(line)s already."), code=values["code"],
                                       line=seen[values["code"]])
            except InvalidInput as exc:
                summary.rejected.append((line, code, str(exc)))
                continue
            seen[values["code"]] = line
            _save(values, summary)
    return summary


def _save(values: dict, summary: KnowledgeSummary) -> None:
    entry = KnowledgeEntry.objects.filter(code=values["code"]).first()
    if entry is None:
        KnowledgeEntry.objects.create(**values)
        summary.created += 1
        return
    changed = [name for name in FIELDS if getattr(entry, name) != values[name]]
    if not changed:
        summary.unchanged += 1
        return
    for name in changed:
        setattr(entry, name, values[name])
    entry.save(update_fields=[*changed, "updated_at"])
    summary.updated += 1


TEMPLATE_ROWS = [
    ["ZSK-0001", "大件垃圾（旧家具、床垫）怎么预约清运？",
     "居民可拨打12319城管服务热线或通过“城管通”小程序预约大件垃圾上门清运，工作人员将在预约后两个工作日内上门；"
     "也可自行送至所在社区的大件垃圾临时堆放点。", "", "大件垃圾,预约,清运,旧家具", "2025-01-01", "", "2025-06-30", "启用"],
    ["ZSK-0002", "小区物业费收费标准有争议向哪里反映？",
     "物业服务收费问题属住房和城乡建设部门及价格主管部门管理，请拨打12345转住建局物业科反映，或向所在街道物业办咨询。",
     "", "物业费,物业,收费", "2025-01-01", "2025-12-31", "2025-06-30", "启用"],
]


def template() -> bytes:
    """An XLSX sheet with the default columns and two example rows (and a sheet explaining them)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "知识库"
    sheet.append([names[0] for names in COLUMNS.values()])
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    for letter, width in zip("ABCDEFGHI", (12, 36, 60, 16, 24, 12, 12, 12, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet(_("Columns"))
    notes.append([_("Column"), _("Also read as"), _("What it holds")])
    explained = {"code": _("the entry's key: importing the sheet again updates the entry with this code (required)"),
                 "question": _("the question as citizens ask it (required)"),
                 "answer": _("the answer given at first contact (required)"),
                 "responsible": _("the code or name of the department or bureau responsible"),
                 "tags": _("words citizens use for the matter, separated by commas"),
                 "valid_from": _("first day the answer holds (empty: from now)"),
                 "valid_to": _("last day the answer holds (empty: until changed)"),
                 "reviewed_at": _("the day the answer was last checked"),
                 "active": _("启用 (in use) or 停用 (withdrawn); empty: in use")}
    for key, names in COLUMNS.items():
        notes.append([names[0], " / ".join(names[1:]), str(explained[key])])
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 12, 36
    notes.column_dimensions["C"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tag_words(text: str) -> list[str]:
    """An entry's tags from text: the words separated by commas (, ，、), semicolons or spaces,
    as a spreadsheet's cell or the admin's form gives them."""
    return [word for word in TAG_SPLIT.split(text or "") if word]
