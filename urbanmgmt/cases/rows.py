"""Every statement that writes the case tables (cases, history events, media, inspection
tasks, case numbers, and the answers a case's end sends to its 12345 tickets), and the one
builder of history rows, `event_row`. The services (services.py), the bulk ledger
(ledger.py) and the 12345 importer write cases through here, with the statements of
cases/compiled.py (also re-exported here for the importer's own rows).
"""

import datetime as dt

from django.db import connections

from urbanmgmt.cases.compiled import (  # noqa: F401 (re-exported)
    LockedReader,
    RowInserter,
    Values,
    cas_statement,
    compare_and_set,
    ewkt_point,
    inserted,
    inserted_hooks,
    update_many,
)
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia, InspectionTask
from urbanmgmt.sqlchunks import chunks, filtered_in, placeholders


def event_row(case_id: int, at: dt.datetime, actor, role: str, action: str, from_state: str, to_state: str,
              reason: str, payload: dict, version: int) -> Values:
    """A CaseEvent row (the one place history rows are made): who, when, which step, why."""
    return Values(case_id=case_id, at=at, actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
                  actor_role=role, action=action, from_state=from_state, to_state=to_state, reason=reason,
                  payload=payload, version=version)


# Told of the 12345 answers answer_tickets writes, as its list of (case, text, time), in the
# same transaction (the webhooks' outbox, webhooks/outbox.py).
answered_hooks: list = []

_CASES = RowInserter(Case)
_EVENTS = RowInserter(CaseEvent)


def insert_events(rows: list[Values]) -> None:
    """Append history rows (`event_row`s), one statement for one row or one executemany
    for many (their ids are not needed: no RETURNING)."""
    if len(rows) == 1:
        _EVENTS.insert(rows[0], returning=False)
    else:
        _EVENTS.insert_many(rows)


def insert_case(case) -> None:
    """INSERT of one new Case (its pk is set)."""
    _CASES.insert(case)


def insert_cases(cases: list) -> None:
    """INSERT of many new Cases with one executemany; their pks are read back by code."""
    _CASES.insert_many(cases)
    ids = {}
    for part in filtered_in(Case.objects.order_by(), "code", [case.code for case in cases]):
        ids.update(part.values_list("code", "pk"))
    for case in cases:
        case.pk = ids[case.code]
        case._state.adding, case._state.db = False, "default"


def case_codes(year: int, count: int) -> list[str]:
    """`count` new case codes of `year` (year + 7-digit sequence), the numbers taken at
    once by one UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE cases_casesequence SET last = last + %s WHERE year = %s RETURNING last", [count, year])
        row = cursor.fetchone()
        if row is None:
            cursor.execute("INSERT INTO cases_casesequence (year, last) VALUES (%s, %s)", [year, count])
            row = (count,)
    return [f"{year}{number:07d}" for number in range(row[0] - count + 1, row[0] + 1)]


def case_id_by_reference(channel: str, external_ref: str) -> int | None:
    """The id of the case a channel made for a reference: one probe of the unique index.
    (Through the ORM the model's default ORDER BY made SQLite walk the date index instead.)"""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case WHERE channel = %s AND external_ref = %s", [channel, external_ref])
        row = cursor.fetchone()
    return row[0] if row else None


def known_references(channel: str, refs: list[str]) -> list[str]:
    """Those of `refs` that a case of the channel holds: probes of the (channel, external ref)
    unique index in plain SQL, a statement per IN_LIST_SIZE references (through the ORM,
    compiling each statement cost several times running it)."""
    found: list[str] = []
    with connections["default"].cursor() as cursor:
        for part in chunks(refs):
            cursor.execute("SELECT external_ref FROM cases_case WHERE channel = %s "  # noqa: S608 (placeholders only)
                           f"AND external_ref IN ({placeholders(len(part))})", [channel, *part])
            found += [ref for (ref,) in cursor.fetchall()]
    return found


def update_cases(changes: list[tuple], using: str = "default") -> None:
    """Write changed fields of many cases, each (case, field names, the version its row is
    expected at), as compare-and-set: one executemany per set of fields. StaleVersion (all
    rolled back with the caller's transaction) when a row has moved on meanwhile."""
    groups: dict[tuple, list] = {}
    for case, names, version in changes:
        groups.setdefault(tuple(sorted(names)), []).append((case, version))
    for names, items in groups.items():
        sql, adapters = cas_statement(Case, names, using)
        attnames = [Case._meta.get_field(name).attname for name in names]
        rows = [[adapt(case.__dict__[name]) for adapt, name in zip(adapters, attnames, strict=True)]
                + [case.pk, version] for case, version in items]
        with connections[using].cursor() as cursor:
            cursor.executemany(sql, rows)
            if cursor.rowcount != len(rows):
                _stale(Case, items)


def _stale(model, items: list[tuple]) -> None:
    """StaleVersion for the first of (object, expected version) whose row is at another."""
    from urbanmgmt.errors import StaleVersion

    stored = dict(model.objects.filter(pk__in=[obj.pk for obj, _v in items]).values_list("pk", "version"))
    seen, current = next(((v, stored.get(obj.pk)) for obj, v in items if stored.get(obj.pk) != v), ("?", "?"))
    raise StaleVersion(seen=seen, current=current)


def locked_cases(ids: list[int], names: tuple[str, ...]) -> dict:
    """{id: Case} with only the fields `names` loaded (the rest deferred), the rows locked
    for the transaction where the database has row locks (SQLite's IMMEDIATE transaction
    holds the writer lock already)."""
    connection = connections["default"]
    cases = Case.objects.order_by().only(*names)
    if connection.features.has_select_for_update:
        cases = cases.select_for_update()
    return {case.pk: case for part in filtered_in(cases, "pk", ids) for case in part}


def insert_media(case, uploader, stored: list[tuple]) -> None:
    """A case's photos: (evidence, the paths its files were stored at) pairs."""
    CaseMedia.objects.bulk_create([
        CaseMedia(case=case, kind=item.kind, file=paths["file"], display=paths["display"],
                  thumbnail=paths["thumbnail"], sha256=item.photo.sha256, metadata=item.photo.metadata(),
                  flags=item.flags, uploaded_by=uploader if uploader and uploader.is_authenticated else None)
        for item, paths in stored
    ])


def insert_tasks(tasks: list) -> None:
    """New InspectionTasks (their pks are set)."""
    InspectionTask.objects.bulk_create(tasks, batch_size=500)
    inserted(InspectionTask, tasks)
    if any(task.pk is None for task in tasks):
        raise RuntimeError("this database does not return the ids of bulk-inserted rows")


def finish_tasks(tasks: list) -> None:
    """Write the outcome of completed InspectionTasks (done_at, done_by, result, note)."""
    if not tasks:
        return
    connection = connections["default"]
    quote, table = connection.ops.quote_name, connection.ops.quote_name(InspectionTask._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {quote('done_at')} = %s, {quote('done_by_id')} = %s, "
            f"{quote('result')} = %s, {quote('note')} = %s WHERE {quote('id')} = %s",
            [(connection.ops.adapt_datetimefield_value(t.done_at), t.done_by_id, t.result, t.note, t.pk)
             for t in tasks])


def answer_tickets(answers: list[tuple]) -> None:
    """Back to the citizen: each (case, text, time) gives every unanswered 12345 ticket of
    the case the outcome and its time (through the reverse relation the hotline app adds;
    nothing when it is not installed)."""
    answers = [(case, text, at) for case, text, at in answers if text]
    if not answers or not hasattr(Case, "tickets"):
        return
    connection = connections["default"]
    tickets = Case.tickets.rel.related_model
    quote, table = connection.ops.quote_name, connection.ops.quote_name(tickets._meta.db_table)
    prep = tickets._meta.get_field("replied_at").get_db_prep_save
    sql = (f"UPDATE {table} SET {quote('reply')} = %s, {quote('replied_at')} = %s, {quote('updated_at')} = %s, "
           f"{quote('state')} = 'replied' WHERE {quote('case_id')} = %s AND {quote('replied_at')} IS NULL")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(text, prep(at, connection), prep(at, connection), case.pk)
                                 for case, text, at in answers])
    for hook in answered_hooks:
        hook(answers)


def set_handling_minutes(changed: dict[int, float | None]) -> None:
    """Case.handling_minutes of many cases ({id: minutes}), counted again."""
    update_many([Case(pk=pk, handling_minutes=m) for pk, m in changed.items()], ("handling_minutes",))
