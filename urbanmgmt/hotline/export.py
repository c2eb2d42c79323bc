"""Results back to the source system (回传): each ticket's row as it came, with the reply,
its time, the callback (satisfaction, resolved, when), the case's code and state added in
the source's own columns and words (the same mapping that read it), written in the
source's format: CSV in its encoding (GBK stays GBK), XLSX, or JSON.

The public variant (an open-data portal: `export_tickets --public`) keeps only the columns
of PUBLIC_FIELDS and the results, never the caller's or an unknown column, and its free
text passes through the redaction rules (redaction.py)."""

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterable

from django.utils import timezone, translation

from urbanmgmt.cases.models import State
from urbanmgmt.hotline.mapping import DEFAULT_VALUES, Mapping
from urbanmgmt.hotline.models import HotlineTicket, TicketState
from urbanmgmt.hotline.redaction import redact

RESULT_FIELDS = ("reply", "replied_at", "satisfaction", "resolved", "callback_at", "case_code", "case_state",
                 "forwarded_to", "forward_reason")
# What a public export keeps of a ticket's own row; an unknown column may hold anything.
PUBLIC_FIELDS = ("external_id", "received_at", "intake_channel", "request_type", "urgency", "title", "text",
                 "address", "lon", "lat", "datum", "answer")
FREE_TEXT = ("title", "text", "address", "answer", "reply")
FORMATS = ("csv", "xlsx", "json")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Results:
    """The source's column for each result field and its words for each value."""

    def __init__(self, mapping: Mapping, public: bool = False):
        self.mapping, self.public = mapping, public
        self.columns = {name: mapping.columns[name][0] for name in RESULT_FIELDS}
        self.words = {}
        for field in ("satisfaction", "resolved"):
            table = {}  # the mapping's own words first, then the common ones
            for word, value in [*((mapping.data.get("values") or {}).get(field, {}) or {}).items(),
                                *DEFAULT_VALUES[field].items()]:
                table.setdefault(value, word)
            self.words[field] = table
        self.time_format = mapping.time_format or TIME_FORMAT
        with translation.override("zh-hans"):
            self.states = {value: str(label) for value, label in State.choices}
        self.public_columns = {n for f in PUBLIC_FIELDS for n in mapping.columns[f]} | set(self.columns.values())
        self.text_columns = {n for f in FREE_TEXT for n in mapping.columns[f]}

    def keeps(self, column: str) -> bool:
        return not self.public or column in self.public_columns

    def _time(self, at: dt.datetime | None) -> str:
        return timezone.localtime(at).strftime(self.time_format) if at else ""

    def row(self, ticket: HotlineTicket) -> dict:
        out = ticket.received()
        c = self.columns
        out[c["reply"]] = ticket.reply
        out[c["replied_at"]] = self._time(ticket.replied_at)
        out[c["satisfaction"]] = self.words["satisfaction"].get(ticket.satisfaction, ticket.satisfaction)
        out[c["resolved"]] = "" if ticket.resolved is None else self.words["resolved"].get(ticket.resolved, "")
        out[c["callback_at"]] = self._time(ticket.satisfaction_at)
        out[c["case_code"]] = ticket.case.code if ticket.case_id else ""
        out[c["case_state"]] = self.states.get(ticket.case.state, "") if ticket.case_id else ""
        forwarded = ticket.state == TicketState.FORWARDED and ticket.bureau_id is not None and not ticket.needs_review
        out[c["forwarded_to"]] = ticket.bureau.name_zh if forwarded else ""
        out[c["forward_reason"]] = ticket.forward_reason if forwarded else ""
        if self.public:
            caller = (ticket.contact_name, ticket.contact_phone)
            out = {k: redact(v, caller) if k in self.text_columns and isinstance(v, str) else v
                   for k, v in out.items() if k in self.public_columns}
        return out


def tickets_of(source: str, since: dt.datetime | None = None, until: dt.datetime | None = None):
    tickets = HotlineTicket.objects.filter(source=source).select_related("case", "bureau").order_by("received_at", "id")
    if since is not None:
        tickets = tickets.filter(received_at__gte=since)
    if until is not None:
        tickets = tickets.filter(received_at__lt=until)
    return tickets


def write_results(tickets: Iterable[HotlineTicket], mapping: Mapping, fmt: str, out, encoding: str = "",
                  public: bool = False) -> int:
    """Write the tickets' results to the binary stream `out` in `fmt` (csv, xlsx, json);
    CSV in `encoding` (the mapping's when it names one, else UTF-8 with BOM). Returns how
    many tickets were written. Rows are written as they are read (a query set is read
    twice, in chunks: the columns first, from the rows as they came, then the rows), so a
    year of tickets never sits in memory. `public`: the open-data variant (see above)."""
    results = Results(mapping, public)
    if not hasattr(tickets, "iterator"):
        tickets = list(tickets)
    headers = _headers(tickets, results)
    rows = (results.row(t) for t in _each(tickets))
    count = 0
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headers)
        for r in rows:
            sheet.append([_plain(r.get(h, "")) for h in headers])
            count += 1
        book.save(out)
    elif fmt == "json":
        # json.dumps(rows, ensure_ascii=False, indent=1), one row at a time.
        for r in rows:
            out.write((",\n " if count else "[\n ").encode("utf-8"))
            out.write(json.dumps(r, ensure_ascii=False, indent=1).replace("\n", "\n ").encode("utf-8"))
            count += 1
        out.write(b"\n]" if count else b"[]")
    else:
        encoding = (mapping.data.get("encoding") or encoding or "utf-8-sig").lower()
        codecs.lookup(encoding)  # an unknown encoding fails before anything is written
        text = io.TextIOWrapper(out, encoding=encoding, errors="replace", newline="", write_through=True)
        writer = csv.DictWriter(text, headers, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({h: _plain(r.get(h, "")) for h in headers})
            count += 1
        text.flush()
        text.detach()
    return count


CHUNK = 500  # tickets read at a time


def _each(tickets):
    return tickets.iterator(chunk_size=CHUNK) if hasattr(tickets, "iterator") else iter(tickets)


def _headers(tickets, results: Results) -> list[str]:
    """Every column of the rows `Results.row` makes, in the order they first appear: the
    first row's own columns, the result columns it lacks, then the others' new ones."""
    raws = tickets.values_list("raw", flat=True).iterator(chunk_size=CHUNK) if hasattr(tickets, "values_list") else (
        t.raw for t in tickets)
    headers: dict[str, None] = {}
    for raw in raws:
        if not headers:
            headers.update(dict.fromkeys(raw or {}))
            headers.update(dict.fromkeys(results.columns.values()))
        else:
            headers.update(dict.fromkeys(raw or {}))
    return [h for h in headers if results.keeps(h)] or list(results.columns.values())


def _plain(value):
    return "" if value is None else value if isinstance(value, str | int | float) else str(value)
