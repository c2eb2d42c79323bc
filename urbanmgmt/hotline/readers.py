"""Reading ticket files: CSV (UTF-8 with or without BOM, GBK/GB18030), XLSX, JSON (an array
or JSON lines). Each reader yields (line number, row dict); a file it cannot read at all is
refused whole with the reason (ImportRefused), a row it cannot read is yielded with
`__error__` so that the importer rejects that row alone."""

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from urbanmgmt.errors import InvalidInput
from urbanmgmt.hotline.mapping import Mapping

ERROR = "__error__"


class ImportRefused(InvalidInput):
    """The whole file cannot be read (nothing of it was imported)."""


def read(stream, name: str, mapping: Mapping, notes: list[str]) -> Iterator[tuple[int, dict]]:
    """The rows of a binary stream by the file's extension; a file whose first row lacks a
    required field (no column, no constant) is refused before any row is imported."""
    lower = name.lower()
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return _checked(read_csv(stream, notes), mapping)
    if lower.endswith(".xlsx"):
        return _checked(read_xlsx(stream, mapping, notes), mapping)
    if lower.endswith(".xls"):
        raise ImportRefused(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."))
    if lower.endswith(".json") or lower.endswith(".jsonl") or lower.endswith(".ndjson"):
        return _checked(read_json(stream), mapping)
    raise ImportRefused(_("Unknown file type “%(name)s”: use CSV, XLSX or JSON."), name=name)


def _checked(rows: Iterator[tuple[int, dict]], mapping: Mapping) -> Iterator[tuple[int, dict]]:
    first = next(rows, None)
    if first is None:
        return
    columns = [k for k in first[1] if k != ERROR]
    if columns:
        try:
            mapping.require(columns)
        except InvalidInput as exc:
            raise ImportRefused(exc.message, **exc.params) from None
    yield first
    yield from rows


UTF8, GBK = "utf-8", "gb18030"
EVIDENCE_LINES = 200  # lines with Chinese text enough to tell a file's encoding


def _line_encoding(raw: bytes) -> str | None:
    """"ascii", "utf-8" or "gb18030": what one line decodes as (UTF-8 first: GBK text is
    almost never valid UTF-8, while UTF-8 bytes often pass as GB18030); None: neither."""
    if raw.isascii():
        return "ascii"
    for encoding in (UTF8, GBK):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return None


def _vote(lines) -> str:
    """The encoding of most non-ASCII lines; refused when none decodes either way."""
    votes = {UTF8: 0, GBK: 0, None: 0}
    for raw in lines:
        kind = _line_encoding(raw)
        if kind != "ascii":
            votes[kind] += 1
    if votes[None] and not votes[UTF8] and not votes[GBK]:
        raise ImportRefused(_("The file is neither UTF-8 nor GBK/GB18030 text: export it again as CSV in UTF-8."))
    return GBK if votes[GBK] > votes[UTF8] else UTF8


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file from its first bytes, by the majority of its lines (one row in
    another encoding does not decide for the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    lines = sample.split(b"\n")
    last = lines.pop()
    for cut in range(4):  # the last line, less a character the sample's end may have cut
        if cut < len(last) and _line_encoding(last[:len(last) - cut]) is not None:
            lines.append(last[:len(last) - cut])
            break
    return _vote(lines)


def _scan_encoding(stream) -> str:
    """detect_encoding over the file's first lines with non-ASCII text, however far they
    stand (a file whose first 64 KB are ASCII is decided by its later rows)."""
    head = stream.read(1 << 16)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_shaped(head):
        raise ImportRefused(_("The file is in UTF-16 (Excel's “Unicode text”), which is not read here: save it as "
                              "CSV in UTF-8 (“CSV UTF-8”) or GBK."))
    if b"\0" in head:
        raise ImportRefused(_("The file is not text (it holds NUL bytes): choose the CSV export of the 12345 platform, "
                              "or an .xlsx or JSON file."))
    evidence = []
    for raw in stream:
        if not raw.isascii():
            evidence.append(raw)
            if len(evidence) >= EVIDENCE_LINES:
                break
    stream.seek(0)
    return _vote(evidence)


def _utf16_shaped(head: bytes) -> bool:
    """UTF-16 without its BOM: the NUL bytes of its ASCII characters (digits, commas, line
    ends) all on one side of the byte pairs, where a binary file has them anywhere."""
    odd, even = head[1::2].count(0), head[0::2].count(0)
    return odd > 8 * even + 4 or even > 8 * odd + 4


def _decode_line(raw: bytes, encoding: str) -> str | None:
    """The line's text in the file's encoding; None when it is in another one."""
    kind = _line_encoding(raw)
    if kind == "ascii" or kind == encoding:
        return raw.decode(UTF8 if kind == "ascii" else encoding)
    return None


def read_csv(stream, notes: list[str]) -> Iterator[tuple[int, dict]]:
    encoding = _scan_encoding(stream)
    if encoding == GBK:
        notes.append(str(_("The file is in GBK/GB18030; read as such.")))
    line_encoding = UTF8 if encoding == "utf-8-sig" else encoding
    bad_lines: set[int] = set()

    def lines():
        for number, raw in enumerate(stream, start=1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            text = _decode_line(raw, line_encoding)
            if text is None:
                bad_lines.add(number)
                # Still read as CSV, so that the row's fields (and the next rows) stay in place.
                text = raw.decode(UTF8, errors="replace")
            yield text

    reader = csv.reader(lines())
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportRefused(_("The file is empty.")) from None
    if bad_lines:
        raise ImportRefused(_("The header row is not in the file's encoding (%(encoding)s): export the file again "
                              "in one encoding."), encoding=_encoding_name(encoding))
    headers = [h.strip() for h in headers]
    start = reader.line_num
    for values in reader:
        first, start = start + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(headers, values, strict=False))
        broken = sorted(n for n in bad_lines if first <= n <= reader.line_num)
        if broken:
            row[ERROR] = str(_("Line %(line)s is not in the file's encoding (%(encoding)s): the file mixes encodings; "
                               "save this row again in %(encoding)s.")
                             % {"line": broken[0], "encoding": _encoding_name(encoding)})
        elif len(values) > len(headers):
            row[ERROR] = str(_("The row has %(n)s columns, the header %(h)s.") % {"n": len(values), "h": len(headers)})
        yield first, row


def _encoding_name(encoding: str) -> str:
    return "GBK/GB18030" if encoding == GBK else "UTF-8"


def read_xlsx(stream, mapping: Mapping, notes: list[str]) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRefused(_("The file is not a readable Excel workbook (.xlsx).")) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = [_cell(v) for v in next(rows, ())]
    second = [_cell(v) for v in next(rows, ())]
    start = 2
    if mapping.missing(first) and len(mapping.resolve(second)) >= 2:
        # A two-row header (a group title row with merged cells over the field names): the
        # names come from the second row, or the first where the second is empty.
        notes.append(str(_("The sheet has a two-row header: column names were taken from row 2 (row 1 where "
                           "row 2 is empty).")))
        filled, last = [], ""
        for value in first:
            last = value or last
            filled.append(last)
        headers = [b or a for a, b in zip(filled, second + [""] * len(filled), strict=False)]
        pending = []
    else:
        headers, pending = first, [second] if any(second) else []
        start = 1
    number = start
    for values in [*pending, *rows]:
        number += 1
        if values is None or not any(v not in (None, "") for v in values):
            continue
        yield number, {h: v for h, v in zip(headers, values, strict=False) if h}
    book.close()


def _cell(value) -> str:
    return str(value).strip() if value is not None else ""


def read_json(stream) -> Iterator[tuple[int, dict]]:
    head = stream.read(1 << 16)
    encoding = detect_encoding(head)
    stream.seek(0)
    if head.lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"[":
        try:
            items = json.loads(stream.read().decode(encoding))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportRefused(_("The JSON file cannot be read: %(error)s"), error=str(exc)) from None
        for number, item in enumerate(items, start=1):
            yield number, item if isinstance(item, dict) else {ERROR: str(_("Item %(n)s is not an object.") % {"n": number})}
        return
    for number, raw in enumerate(io.TextIOWrapper(stream, encoding=encoding, errors="replace"), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError as exc:
            item = {ERROR: str(_("Line %(n)s is not JSON: %(error)s") % {"n": number, "error": exc})}
        yield number, item if isinstance(item, dict) else {ERROR: str(_("Line %(n)s is not an object.") % {"n": number})}


def parse_time(value, time_format: str = "") -> dt.datetime:
    """A received time from a cell: a datetime, or text in common Chinese export forms."""
    if isinstance(value, dt.datetime):
        return value
    text = str(value or "").strip().replace("/", "-").replace("T", " ")
    if not time_format and len(text) == 19 and text[4] == "-":
        try:
            return dt.datetime.fromisoformat(text)  # the usual form, fast
        except ValueError:
            pass
    formats = [time_format] if time_format else ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                                                 "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y%m%d%H%M%S"]
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("Unreadable time “%(value)s”: write it as 2024-05-01 14:30:00."), value=value) from None
