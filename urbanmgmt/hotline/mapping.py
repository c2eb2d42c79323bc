"""Which column of a source system's export holds which ticket field (a mapping file).

A mapping is YAML or JSON: `columns` names, for each field, the column (or the list of
columns, the first present wins) of one source system; `constants` gives a field one value
for every row, in the source's words (a source whose every row is a complaint:
`constants: {request_type: 投诉举报}`); `values` translates the source's
words for request types, urgencies, channels and callback results; `datum` is the
coordinate system when the file has no column for it; `time_format` an explicit strptime
format; `encoding` the encoding of its CSV exports (for the export back). The default
understands the common Chinese headers of 12345 platforms.
"""

import json
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import InvalidInput

DEFAULT_COLUMNS = {
    "external_id": ["工单编号", "工单号", "编号", "受理编号", "ticket_id", "external_id", "id"],
    "received_at": ["受理时间", "来电时间", "登记时间", "创建时间", "received_at", "time"],
    "intake_channel": ["来源渠道", "受理渠道", "来电渠道", "渠道", "intake_channel", "channel"],
    "request_type": ["诉求类型", "工单类型", "诉求分类", "类型", "request_type", "type"],
    "urgency": ["紧急程度", "缓急程度", "urgency"],
    "title": ["标题", "诉求标题", "工单标题", "title"],
    "text": ["诉求内容", "问题描述", "来电内容", "内容", "text", "description"],
    "address": ["地址", "事发地址", "诉求地址", "发生地点", "事发地点", "address"],
    "lon": ["经度", "lon", "lng", "longitude"],
    "lat": ["纬度", "lat", "latitude"],
    "datum": ["坐标系", "坐标类型", "datum"],
    "contact_name": ["来电人", "联系人", "市民姓名", "姓名", "contact_name"],
    "contact_phone": ["联系电话", "来电号码", "电话", "contact_phone"],
    "answer": ["答复内容", "直接答复", "即时答复", "answer"],
    # The knowledge base entry (知识库) an answer at first contact came from, by its code.
    "knowledge_entry": ["知识库编号", "知识编号", "知识库条目", "knowledge_entry"],
    "reply": ["办理结果", "回复内容", "reply"],
    "satisfaction": ["满意度", "回访结果", "满意度评价", "satisfaction"],
    "resolved": ["是否解决", "实际解决", "resolved"],
    "callback_at": ["回访时间", "callback_at"],
    # The source platform's own classification; `values: {source_category: {its word: a
    # service code, or "bureau:<code>"}}` maps it to the catalogue (suggest.py weighs it).
    "source_category": ["问题分类", "事项分类", "业务分类", "一级分类", "source_category"],
    # Written back for forwarded tickets (转办).
    "forwarded_to": ["转办单位", "forwarded_to"],
    "forward_reason": ["转办原因", "forward_reason"],
    # Read back only (the results going back to the source system: export_tickets).
    "replied_at": ["答复时间", "办结时间", "replied_at"],
    "case_code": ["案件编号", "case_code"],
    "case_state": ["案件状态", "case_state"],
}
REQUIRED = ("external_id", "received_at", "request_type")
FIELD_NAMES = {"external_id": "工单编号 (external_id)", "received_at": "受理时间 (received_at)",
               "request_type": "诉求类型 (request_type)"}
DEFAULT_VALUES = {
    "request_type": {"咨询": "consultation", "求助": "help", "投诉": "complaint", "举报": "complaint",
                     "投诉举报": "complaint", "建议": "suggestion", "意见建议": "suggestion"},
    "urgency": {"一般": "normal", "普通": "normal", "紧急": "urgent", "特急": "urgent", "加急": "urgent",
                "疑难": "hard", "复杂": "complex"},
    "intake_channel": {"电话": "phone", "热线": "phone", "12345": "phone", "网站": "web", "网络": "web", "门户网站": "web",
                       "微信": "wechat", "公众号": "wechat", "app": "app", "APP": "app", "手机app": "app",
                       "邮件": "email", "电子邮件": "email", "email": "email"},
    "satisfaction": {"满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied", "未联系上": "unreachable",
                     "未接通": "unreachable", "无法联系": "unreachable"},
    "resolved": {"是": True, "已解决": True, "解决": True, "否": False, "未解决": False},
    "source_category": {},
}


class Mapping:
    """A ticket file's columns; another kind of file (the knowledge base's) subclasses it
    with its own fields (COLUMNS, REQUIRED, FIELD_NAMES, VALUES)."""

    COLUMNS, REQUIRED, FIELD_NAMES, VALUES = DEFAULT_COLUMNS, REQUIRED, FIELD_NAMES, DEFAULT_VALUES

    def __init__(self, data: dict | None = None):
        data = data or {}
        self.data = data  # as given (kept with an import run for the export back)
        columns = {field: list(names) for field, names in self.COLUMNS.items()}
        for field, names in (data.get("columns") or {}).items():
            if field not in self.COLUMNS:
                raise InvalidInput(_("The mapping names an unknown field “%(field)s”."), field=field)
            columns[field] = [names] if isinstance(names, str) else list(names)
        self.columns = columns
        constants = data.get("constants") or {}
        if not isinstance(constants, dict):
            raise InvalidInput(_("The mapping's “constants” must name a value for each field."))
        for field in constants:
            if field not in self.COLUMNS:
                raise InvalidInput(_("The mapping names an unknown field “%(field)s”."), field=field)
        self.constants = {field: str(value) for field, value in constants.items()}
        self.values = {k: {**v, **(data.get("values") or {}).get(k, {})} for k, v in self.VALUES.items()}
        self.datum = data.get("datum", "")
        self.time_format = data.get("time_format", "")
        self.encoding = data.get("encoding", "utf-8-sig")
        self.source = data.get("source", "")

    def source_of(self, named: str | None = None) -> str:
        """The source system of an import: the one named for it (form, --source), else this
        mapping's, else the city's platform (HOTLINE_DEFAULT_SOURCE), never the file's name."""
        return ((named or "").strip() or self.source or settings.HOTLINE_DEFAULT_SOURCE).strip()

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """field → the header of this file that holds it."""
        present = {str(h).strip(): h for h in headers if h is not None}
        out = {}
        for field, names in self.columns.items():
            for name in names:
                if name in present:
                    out[field] = present[name]
                    break
        return out

    def missing(self, headers: list[str]) -> list[str]:
        """The required fields that neither a column of `headers` nor a constant gives."""
        found = self.resolve(headers)
        return [f for f in self.REQUIRED if f not in found and f not in self.constants]

    def require(self, headers: list[str]) -> None:
        """Refuse a file whose header lacks a required field, once, naming the columns looked for."""
        missing = self.missing(headers)
        if missing:
            raise InvalidInput(
                _("The file has no column for %(fields)s: name it in the mapping (“columns”), or give every row "
                  "the same value (“constants”). Columns looked for: %(names)s."),
                fields=", ".join(self.FIELD_NAMES.get(f, f) for f in missing),
                names="; ".join(" / ".join(self.columns[f]) for f in missing))

    def value(self, field: str, raw):
        table = self.values.get(field, {})
        text = str(raw).strip() if raw is not None else ""
        return table.get(text, table.get(text.lower(), text))


def load_mapping(path: str | Path | None) -> Mapping:
    """A mapping from a YAML or JSON file (the default when no path)."""
    if not path:
        return Mapping()
    return parse_mapping(Path(path).read_text(encoding="utf-8"), str(path).endswith(".json"))


def parse_mapping(text: str, is_json: bool, kind: type[Mapping] = Mapping) -> Mapping:
    """A mapping of `kind` from the text of a YAML or JSON file."""
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(_("The mapping file cannot be read: %(error)s"), error=str(exc)) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The mapping file must hold a mapping with “columns”."))
    return kind(data)
