"""Importing 12345 tickets: parse, convert, place, classify, link or create a case, save.

`import_rows` takes rows already parsed (dicts, or (line number, dict) pairs) so that a
file reader, the push API and a simulator share one path. Rows go in batches of
BATCH_SIZE: each batch is one transaction (new cases through services.report_many, links
through services.link_many, the tickets in bulk); a row that cannot go in is rejected with
its line number and reason and the rest of the batch still goes in. Idempotent by (source,
external id): a ticket seen before is updated (text, answer, reply, callback), never
duplicated.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from urbanmgmt.cases import clock, services, worktime
from urbanmgmt.cases.models import Channel, RequestType
from urbanmgmt.cases.rows import RowInserter, ewkt_point, update_many
from urbanmgmt.catalog.models import Category
from urbanmgmt.collector import collector_paused
from urbanmgmt.errors import DomainError
from urbanmgmt.grids.geo import to_metric
from urbanmgmt.grids.services import grid_index
from urbanmgmt.hotline.coords import datum_of, to_wgs84
from urbanmgmt.hotline.departments import Owners, suggest_for
from urbanmgmt.hotline.gazetteer import gazetteer
from urbanmgmt.hotline.linking import Candidate, OpenCases
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import (
    Bureau,
    HotlineTicket,
    IntakeChannel,
    KnowledgeEntry,
    PlaceMethod,
    Satisfaction,
    TicketEvent,
    TicketState,
    Urgency,
    text_kept_once,
)
from urbanmgmt.hotline.readers import ERROR, parse_time
from urbanmgmt.hotline.suggest import suggester
from urbanmgmt.moments import refusal
from urbanmgmt.sqlchunks import chunks, filtered_in, placeholders
from urbanmgmt.sqlitebulk import bulk_sqlite

# 5,000: 8 % less CPU than 2,000 (fewer commits and savepoints, index pages written once);
# the writer lock is held for the writes of a batch only (about 0.7 s), progress comes per batch.
BATCH_SIZE = 5000
_TICKET_ROWS = RowInserter(HotlineTicket)
UPDATABLE = ("title", "text", "answer", "reply", "satisfaction", "resolved", "satisfaction_at")


class RowError(Exception):
    pass


@dataclass
class Summary:
    total: int = 0
    created: int = 0
    updated: int = 0
    cases_created: int = 0
    linked: int = 0
    answered: int = 0
    unplaced: int = 0
    to_review: int = 0
    forwarded: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, ticket id, reason)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated,
                "cases_created": self.cases_created, "linked": self.linked, "answered": self.answered,
                "unplaced": self.unplaced, "to_review": self.to_review, "forwarded": self.forwarded,
                "rejected": len(self.rejected),
                "notes": self.notes}

    def rejects_csv(self) -> str:
        """Every refused row: its line number, its ticket id and the reason."""
        return refused_rows_csv(_("ticket id"), self.rejected)


def refused_rows_csv(id_header: str, rows) -> str:
    """Refused rows of an import as (line, the row's id, reason), a CSV in UTF-8 with a BOM so
    that Excel opens it, in the file's order (a batch refuses a row it cannot read before one
    it cannot place, whatever their lines)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("line"), id_header, _("reason")])
    writer.writerows(sorted(rows, key=lambda r: (not isinstance(r[0], int), r[0] if isinstance(r[0], int) else 0)))
    return out.getvalue()


class TicketRow:
    """A ticket on its way in: the attributes of a HotlineTicket row and nothing else
    (building model instances cost more than the rest of the bulk path; RowInserter reads
    the attributes). `ticket()` makes the model instance when one is wanted."""

    def __init__(self, **values):
        self.__dict__.update(_TICKET_DEFAULTS)
        self.link_reason, self.raw = {}, {}
        self.__dict__.update(values)

    @property
    def reference(self) -> str:
        return f"{self.source}:{self.external_id}"

    def ticket(self) -> HotlineTicket:
        return HotlineTicket(**{name: getattr(self, name) for name in _TICKET_DEFAULTS})


_TICKET_DEFAULTS = {f.attname: f.get_default() for f in HotlineTicket._meta.concrete_fields if not f.primary_key}
REQUEST_TYPES, URGENCIES = frozenset(RequestType.values), frozenset(Urgency.values)
CHANNELS, SATISFACTIONS = frozenset(IntakeChannel.values), frozenset(Satisfaction.values)


@dataclass
class Parsed:
    line: int
    ticket: TicketRow
    lonlat: tuple[float, float] | None = None
    place: object = None  # its grids.services.GridPlace once placed
    entry: str = ""  # the code of the knowledge base entry its answer came from, if the row names one


class Importer:
    """One import run: holds the open-case index across batches."""

    def __init__(self, actor, source: str, mapping: Mapping | None = None):
        self.actor, self.source, self.mapping = actor, source, mapping or Mapping()
        self.summary = Summary()
        self.index: OpenCases | None = None
        self.index_since: dt.datetime | None = None
        self.index_of: set[int] = set()  # the categories whose open cases the index holds
        self.categories = {c.id: c for c in Category.objects.select_related("major")}
        self.classes: dict[int, set[int]] = {}  # major class → its categories (a ticket's candidates are of its class)
        for c in self.categories.values():
            self.classes.setdefault(c.major_id, set()).add(c.id)
        self.suggest = suggester()
        self.owners = Owners()
        self.tz = timezone.get_current_timezone()
        self.seen: dict[str, int] = {}
        self.resolved: dict[tuple, dict] = {}  # the columns of each header seen
        self.due_at: dict[tuple, tuple] = {}  # (minute, working days) → (due at minute, due a minute later)

    # --- parsing one row ---------------------------------------------------------------
    def parse(self, line: int, row: dict) -> Parsed:
        if row.get(ERROR):
            raise RowError(row[ERROR])
        m, (get, columns) = self.mapping, self._getter(row)
        external_id = str(get("external_id") or "").strip()
        if not external_id:
            raise RowError(_("The ticket number is missing."))
        if len(external_id) > 64:
            raise RowError(_("The ticket number is longer than 64 characters."))
        if external_id in self.seen:
            raise RowError(_("Ticket %(id)s appears twice in this file (first on line %(line)s).")
                           % {"id": external_id, "line": self.seen[external_id]})
        request_type = m.value("request_type", get("request_type"))
        if request_type not in REQUEST_TYPES:
            raise RowError(_("Unknown request type “%(value)s”: one of 咨询, 求助, 投诉举报, 建议.")
                           % {"value": get("request_type") or ""})
        received = get("received_at")
        if received in (None, ""):
            raise RowError(_("The received time is missing."))
        try:
            received_at = parse_time(received, m.time_format)
        except DomainError as exc:
            raise RowError(str(exc)) from None
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at, self.tz)
        reason = refusal(received_at)
        if reason:
            raise RowError(reason)
        urgency = m.value("urgency", get("urgency")) or Urgency.NORMAL
        if urgency not in URGENCIES:
            raise RowError(_("Unknown urgency “%(value)s”: one of 一般, 紧急, 疑难, 复杂.") % {"value": urgency})
        channel = m.value("intake_channel", get("intake_channel")) or IntakeChannel.PHONE
        satisfaction = m.value("satisfaction", get("satisfaction")) or ""
        if satisfaction and satisfaction not in SATISFACTIONS:
            raise RowError(_("Unknown callback result “%(value)s”: one of 满意, 基本满意, 不满意, 未联系上.")
                           % {"value": satisfaction})
        resolved = m.value("resolved", get("resolved"))
        ticket = TicketRow(
            source=self.source, external_id=external_id, received_at=received_at, request_type=request_type,
            intake_channel=channel if channel in CHANNELS else IntakeChannel.OTHER, urgency=urgency,
            title=str(get("title") or "")[:200], text=str(get("text") or ""), address=str(get("address") or "")[:300],
            contact_name=str(get("contact_name") or "")[:60], contact_phone=str(get("contact_phone") or "")[:40],
            answer=str(get("answer") or ""), reply=str(get("reply") or ""), satisfaction=satisfaction,
            source_category=str(m.value("source_category", get("source_category")) or "")[:100],
            resolved=resolved if isinstance(resolved, bool) else None,
            raw={k if k.__class__ is str else str(k): v if v.__class__ is str else _plain(v)
                 for k, v in row.items() if k != ERROR})
        ticket.text_column = text_kept_once(ticket.raw, columns.get("text"), ticket.text)
        if satisfaction:
            ticket.satisfaction_at = self._time_or_none(get("callback_at")) or clock.now()
        lonlat = self._coordinates(get, ticket)
        self.seen[external_id] = line
        return Parsed(line, ticket, lonlat, entry=str(get("knowledge_entry") or "").strip())

    def _getter(self, row: dict) -> tuple[Callable[[str], object], dict[str, str]]:
        """A row's value of each field, and the columns that hold the fields."""
        keys = tuple(row)
        resolved = self.resolved.get(keys)
        if resolved is None:
            resolved = self.resolved[keys] = self.mapping.resolve(list(keys))
        constants = self.mapping.constants
        if constants:
            return (lambda name: constants[name] if name in constants else (
                row.get(resolved[name]) if name in resolved else None)), resolved
        return (lambda name: row.get(resolved[name]) if name in resolved else None), resolved

    def _coordinates(self, get, ticket: TicketRow) -> tuple[float, float] | None:
        lon, lat = get("lon"), get("lat")
        if lon in (None, "") and lat in (None, ""):
            return None
        if lon in (None, "") or lat in (None, ""):
            raise RowError(_("Only one of longitude and latitude is given."))
        try:
            datum = datum_of(get("datum"), datum_of(self.mapping.datum))
            ticket.original_lon, ticket.original_lat, ticket.datum = float(lon), float(lat), datum
            return to_wgs84(lon, lat, datum)
        except (DomainError, ValueError) as exc:
            raise RowError(str(exc)) from None

    def _time_or_none(self, value):
        if value in (None, ""):
            return None
        try:
            at = parse_time(value, self.mapping.time_format)
        except DomainError:
            return None
        at = timezone.make_aware(at, self.tz) if timezone.is_naive(at) else at
        reason = refusal(at)
        if reason:
            raise RowError(reason)
        return at

    # --- a batch ---------------------------------------------------------------------------
    def run(self, rows: Iterable, progress: Callable[[int], None] | None = None) -> Summary:
        with collector_paused(), bulk_sqlite():
            return self._run(rows, progress)

    def _run(self, rows: Iterable, progress: Callable[[int], None] | None) -> Summary:
        batch: list[tuple[int, dict]] = []
        for number, item in enumerate(rows, start=1):
            batch.append(item if isinstance(item, tuple) else (number, item))
            if len(batch) >= BATCH_SIZE:
                self.batch(batch)
                batch = []
                if progress:
                    progress(self.summary.total)
        if batch:
            self.batch(batch)
        if progress:
            progress(self.summary.total)
        return self.summary

    def batch(self, rows: list[tuple[int, dict]]) -> None:
        self.summary.total += len(rows)
        parsed = []
        for line, row in rows:
            try:
                parsed.append(self.parse(line, row))
            except RowError as exc:
                self.summary.rejected.append((line, _id_of(row, self.mapping), str(exc)))
        known = _existing(self.source, [p.ticket.external_id for p in parsed])
        new = [p for p in parsed if p.ticket.external_id not in known]
        self._update(known, [p for p in parsed if p.ticket.external_id in known])
        rejected_before = len(self.summary.rejected)
        try:
            self._insert(new)
        except DomainError:
            # A batch refused as a whole (a case service said no): row by row, so that the
            # good rows still go in and the bad one is named. The index saw the batch's
            # cases, which were rolled back: it is built again; each row is placed and
            # refused again on its own.
            self.index = None
            del self.summary.rejected[rejected_before:]
            for one in new:
                try:
                    self._insert([one])
                except DomainError as exc:
                    self.summary.rejected.append((one.line, one.ticket.external_id, str(exc)))

    def _update(self, known: dict[str, HotlineTicket], parsed: list[Parsed]) -> None:
        changed, now = [], clock.now()
        for p in parsed:
            ticket = known[p.ticket.external_id]
            for name in UPDATABLE:
                value = getattr(p.ticket, name)
                if value not in ("", None):
                    setattr(ticket, name, value)
            ticket.raw, ticket.text_column = p.ticket.raw, p.ticket.text_column
            ticket.updated_at = now
            changed.append(ticket)
        update_many(changed, (*UPDATABLE, "raw", "text_column", "updated_at"))
        self.summary.updated += len(changed)

    def _insert(self, parsed: list[Parsed]) -> None:
        """Place, classify and link the rows, then write them in one transaction (the work
        in Python before it: the database's writer lock is held for the writes alone)."""
        if not parsed:
            return
        start = len(self.summary.rejected)
        prepared = self._prepare(parsed)
        with transaction.atomic():
            self._save(parsed, *prepared, start)

    def _prepare(self, parsed: list[Parsed]) -> tuple[list, list, dict]:
        for p in parsed:
            self._classify(p.ticket)
        placed = self._place(parsed)
        suggest_for([p.ticket for p in placed], [self.categories.get(p.ticket.category_id) for p in placed],
                    [p.place for p in placed], self.owners)
        self._ensure_index(min(p.ticket.received_at for p in placed) if placed else None,
                           {p.ticket.category_id for p in placed})
        new_cases, links, pending = [], [], {}
        for p in placed:
            t = p.ticket
            t.owns_case, t.link_reason, t.case_id = False, {}, None  # a row tried again after its batch failed
            t.reply_due_at = self._due(t.received_at, services.REQUEST_TYPE_DAYS[t.request_type])
            if t.request_type == RequestType.CONSULTATION and t.answer.strip():
                t.state, t.replied_at, t.reply = TicketState.ANSWERED, t.received_at, t.reply or t.answer
                continue
            if not t.in_scope:  # 转办: never a 城管 case, whether forwarded now or after review
                t.state = TicketState.FORWARDED
                continue
            if t.point is None:
                # A question with no place is answered at first contact (知识库), not placed.
                consultation = t.request_type == RequestType.CONSULTATION and not t.address.strip()
                t.state = TicketState.TO_ANSWER if consultation else TicketState.UNPLACED
                continue
            t.state = TicketState.OPEN
            match = self._match(p)
            if match is not None:
                t.link_reason = match.why
                links.append((t, match.candidate))
                match.candidate.tickets += 1
                continue
            t.owns_case, t.lonlat = True, p.lonlat
            new_cases.append(t)
            pending[t.reference] = self._candidate(p)
        return new_cases, links, pending

    def _save(self, parsed, new_cases, links, pending, rejected_before) -> None:
        dropped = {line for line, _i, _r in self.summary.rejected[rejected_before:]}
        cases = services.report_many(self.actor, Channel.HOTLINE, [
            services.NewReport(point=t.lonlat, category=self.categories.get(t.category_id),
                               description=ticket_description(t), address=t.address, request_type=t.request_type,
                               external_ref=t.reference, reported_at=t.received_at, ticket_count=1,
                               payload={"ticket": t.reference, "source": t.source})
            for t in new_cases])
        for t, case in zip(new_cases, cases, strict=True):
            t.case_id = case.pk
            pending[t.reference].case_id = case.pk
        closed = services.link_many(self.actor, [(c.case_id, t.reference, t.link_reason) for t, c in links])
        for t, candidate in links:
            t.case_id = candidate.case_id
            if candidate.case_id in closed:
                raise DomainError(_("The case this ticket was linked to was closed meanwhile; import it again."))
        tickets = [p.ticket for p in parsed if p.line not in dropped]
        _TICKET_ROWS.insert_many(tickets)
        self._history([p for p in parsed if p.line not in dropped])
        self.summary.created += len(tickets)
        self.summary.cases_created += len(new_cases)
        self.summary.linked += len(links)
        self.summary.to_review += sum(1 for t in tickets if t.needs_review)
        self.summary.answered += sum(1 for t in tickets if t.state == TicketState.ANSWERED)
        self.summary.unplaced += sum(1 for t in tickets if t.state == TicketState.UNPLACED)
        self.summary.forwarded += sum(1 for t in tickets if t.state == TicketState.FORWARDED and not t.needs_review)

    def _history(self, parsed: list[Parsed]) -> None:
        """The steps of the new tickets' histories that the import took for them: the answers
        at first contact that name their knowledge base entry, as answers given from it (the
        在线解答率 counts them, kpi/knowledge.py), and the forwards (转办) it made without review.
        An entry unknown, or not valid on the day the ticket came, leaves the answer without
        it, said once in the run's notes."""
        answered = [p for p in parsed if p.entry and p.ticket.state == TicketState.ANSWERED]
        forwarded = [p for p in parsed if p.ticket.state == TicketState.FORWARDED and not p.ticket.needs_review]
        if not answered and not forwarded:
            return
        codes = sorted({p.entry for p in answered})
        valid: dict[tuple, KnowledgeEntry] = {}
        for day in sorted({timezone.localdate(p.ticket.received_at) for p in answered}):
            for entry in KnowledgeEntry.objects.valid_on(day).filter(code__in=codes):
                valid[(day, entry.code)] = entry
        ids = {}
        for found in filtered_in(HotlineTicket.objects.filter(source=self.source), "external_id",
                                 [p.ticket.external_id for p in answered + forwarded]):
            ids.update(found.values_list("external_id", "id"))
        bureaus = dict(Bureau.objects.values_list("pk", "code")) if forwarded else {}
        now = clock.now()
        events = [TicketEvent(ticket_id=ids[p.ticket.external_id], kind=TicketEvent.Kind.ANSWERED,
                              note=p.ticket.answer, actor=self.actor, at=p.ticket.received_at,
                              entry=valid.get((timezone.localdate(p.ticket.received_at), p.entry)))
                  for p in answered]
        TicketEvent.objects.bulk_create([*events, *(
            TicketEvent(ticket_id=ids[p.ticket.external_id], kind=TicketEvent.Kind.FORWARDED,
                        value=bureaus.get(p.ticket.bureau_id, ""), note=p.ticket.forward_reason or "",
                        actor=self.actor, at=now) for p in forwarded)])
        missing = sum(1 for e in events if e.entry is None)
        if missing:
            self.summary.notes.append(ngettext(
                "%(n)s answer named a knowledge base entry that is unknown or was not valid that day: "
                "it is kept without the entry.",
                "%(n)s answers named a knowledge base entry that is unknown or was not valid that day: "
                "they are kept without the entry.", missing) % {"n": missing})

    # --- the steps ---------------------------------------------------------------------------
    def _place(self, parsed: list[Parsed]) -> list[Parsed]:
        """Points from coordinates (one vectorised grid lookup) or from the gazetteer;
        tickets outside the city are rejected. Returns the rows still going in."""
        out, look, names = [], [], gazetteer()
        for p in parsed:
            t = p.ticket
            if p.lonlat is None and t.address:
                found = names.locate(t.address)
                if found is not None and found.confidence >= settings.HOTLINE_PLACE_MIN_CONFIDENCE:
                    p.lonlat = (found.lon, found.lat)
                    t.place_method, t.place_confidence, t.place_match = PlaceMethod.GAZETTEER, found.confidence, found.match
                elif found is not None:
                    t.place_match, t.place_confidence = found.match, found.confidence  # a hint for the queue
            elif p.lonlat is not None and t.place_method != PlaceMethod.GAZETTEER:
                # (not one placed by its address before its batch was refused)
                t.place_method, t.place_confidence = PlaceMethod.COORDINATES, 1.0
            if p.lonlat is not None:
                look.append(p)
            out.append(p)
        places = grid_index().lookup_many([p.lonlat[0] for p in look], [p.lonlat[1] for p in look])
        outside = set()
        for p, place in zip(look, places, strict=True):
            if place is None and not p.ticket.in_scope:  # forwarded: its place is the bureau's business
                continue
            if place is None:
                where = p.ticket.place_match or f"{p.lonlat[0]:.6f}, {p.lonlat[1]:.6f}"
                self.summary.rejected.append((p.line, p.ticket.external_id, _(
                    "The place (%(where)s) is outside the service area: it lies in no unit grid of the city.")
                    % {"where": where}))
                outside.add(p.line)
                continue
            p.ticket.point = ewkt_point(*p.lonlat)  # text, not GEOS: written as it is (cases.rows)
            p.ticket.grid_id = place.grid_id
            p.community_id, p.place = place.community_id, place
        return [p for p in out if p.line not in outside]

    def _classify(self, t: TicketRow) -> None:
        v = self.suggest.verdict(t.title, t.text, t.source_category)
        t.category_id, t.category_confidence, t.category_method = v.category_id, v.confidence, v.method
        t.in_scope, t.scope_confidence, t.bureau_id, t.department_id = (v.in_scope, v.scope_confidence, v.bureau_id,
                                                                        v.department_id)
        t.suggestions, t.doubt, t.model_version = [c.as_dict() for c in v.choices], v.doubt, v.version
        if t.request_type == RequestType.CONSULTATION:
            t.needs_review = False
        elif not v.in_scope:
            t.needs_review = not v.forward
            t.forward_reason = _forward_reason(v)
        else:
            t.needs_review = not v.filed

    def _due(self, at: dt.datetime, days: float) -> dt.datetime:
        """worktime.add_working_days(at, days), computed once per minute of arrival: within a
        minute the deadline moves with the arrival (working time: both ends 60 s apart) or
        stands still (outside working time: both ends equal); else it is computed exactly."""
        minute = at.replace(second=0, microsecond=0)
        ends = self.due_at.get((minute, days))
        if ends is None:
            ends = self.due_at[(minute, days)] = (worktime.add_working_days(minute, days),
                                                  worktime.add_working_days(minute + _MINUTE, days))
        first, last = ends
        if last - first == _MINUTE:
            return first + (at - minute)
        if last == first:
            return first
        return worktime.add_working_days(at, days)

    def _match(self, p: Parsed):
        t = p.ticket
        category = self.categories.get(t.category_id)
        if category is None:
            return None
        x, y = to_metric(*p.lonlat)
        p.xy = (x, y)
        return self.index.best(x=x, y=y, category=category, community_id=p.community_id, at=t.received_at,
                               text=compared_text(t), by_point=t.place_method == PlaceMethod.COORDINATES, address=t.address)

    def _candidate(self, p: Parsed) -> Candidate:
        t = p.ticket
        category = self.categories.get(t.category_id)
        x, y = getattr(p, "xy", None) or to_metric(*p.lonlat)
        candidate = Candidate(None, x, y, t.category_id or 0, category.major_id if category else 0, p.community_id,
                              t.received_at, compared_text(t), key=t.reference, tickets=1)
        if category is not None:
            self.index.add(candidate)
        return candidate

    def _ensure_index(self, earliest: dt.datetime | None, categories: set[int | None]) -> None:
        """The open cases a batch's tickets may be linked to in the index: those of their
        categories' major classes, reported within the longest window before the earliest.
        Loaded as the batches need them: an import of a few tickets (the push API, Open311)
        reads the cases of its classes only, through the (category, reported_at) index, not
        every open case of the city."""
        if earliest is None:
            return
        longest = max(days for _r, days in settings.HOTLINE_LINK_WINDOWS.values())
        since = earliest - dt.timedelta(days=longest)
        wanted = set().union(*(self.classes[self.categories[c].major_id] for c in categories if c in self.categories))
        if self.index is None:
            self.index, self.index_since, self.index_of = OpenCases(), since, set()
        if since < self.index_since:
            self.index.merge(OpenCases.load(since, until=self.index_since, categories=self.index_of))
            self.index_since = since
        missing = wanted - self.index_of
        if missing:
            # The cases this import made are of the classes loaded already: none comes twice.
            self.index.merge(OpenCases.load(self.index_since, categories=missing))
            self.index_of |= missing


_MINUTE = dt.timedelta(minutes=1)


def import_rows(rows: Iterable, *, source: str, actor, mapping: Mapping | None = None,
                progress: Callable[[int], None] | None = None) -> Summary:
    """Import parsed rows (dicts, or (line, dict) pairs) of one source system."""
    return Importer(actor, source, mapping).run(rows, progress)


def _forward_reason(v) -> str:
    """Why a ticket was judged not city management: the words that led to its bureau, in the
    platform's language (settings.LANGUAGE_CODE) whoever ran the import: the reason goes back
    to the 12345 platform with the ticket (export.py)."""
    words = "、".join(v.choices[0].words) if v.choices and v.choices[0].kind == "bureau" else ""
    with translation.override(settings.LANGUAGE_CODE):
        return (_("Not city management (words: %(words)s).") % {"words": words} if words
                else _("Not city management."))[:300]


def ticket_description(t: HotlineTicket) -> str:
    """The description of a ticket's case: its title before its text, unless the text has it."""
    return f"{t.title}：{t.text}" if t.title and t.title not in t.text else t.text or t.title


def compared_text(t) -> str:
    """What linking compares of a ticket: what its case's description and address will be."""
    return f"{ticket_description(t)} {t.address[:200]}"


def _existing(source: str, ids: list[str]) -> dict[str, HotlineTicket]:
    """The tickets of `source` among `ids`. Their numbers are looked up first in plain SQL
    over the (source, external id) unique index (a batch of new tickets finds none; the
    ORM's IN list of 500 parameters cost five times the query), then only those found are
    loaded."""
    table, numbers = connection.ops.quote_name(HotlineTicket._meta.db_table), []
    with connection.cursor() as cursor:
        for part in chunks(ids):
            cursor.execute(f"SELECT external_id FROM {table} WHERE source = %s "  # noqa: S608 (our table's name)
                           f"AND external_id IN ({placeholders(len(part))})", [source, *part])
            numbers += [number for (number,) in cursor.fetchall()]
    found = {}
    for tickets in filtered_in(HotlineTicket.objects.filter(source=source), "external_id", numbers):
        for ticket in tickets:
            found[ticket.external_id] = ticket
    return found


def _id_of(row: dict, mapping: Mapping) -> str:
    resolved = mapping.resolve(list(row))
    return str(row.get(resolved["external_id"], "")) if "external_id" in resolved else ""


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
