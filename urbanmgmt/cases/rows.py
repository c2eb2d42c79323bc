"""Every statement that writes the case tables (cases, history events, media, inspection
tasks, case numbers, and the 12345 answers a case's end sends back), and the hot-path SQL.

A report inserts a Case (40-odd columns) and a CaseEvent; a transition reads the case under
a lock, compares-and-sets its row on the version and inserts an event. Through the ORM,
compiling those statements costs more than SQLite takes to run them, so rows are inserted
through `RowInserter`, whose SQL is built by Django's own compiler once per database and
reused with fresh values. The services (services.py), the bulk ledger (bulk.py) and the
12345 importer write through here. It sends no post_save: what must know of new rows
registers in `inserted_hooks` (the managers' stored figures do, kpi/daily.py).
"""

import datetime as dt
from operator import attrgetter

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connections
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

# Field types whose Python values the database drivers take as they are.
_PLAIN = {"CharField", "TextField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
          "SmallIntegerField", "BigIntegerField", "BooleanField", "FloatField", "ForeignKey"}
_AS_IS = {str, int, float, bool}
_NONE = type(None)
_AS_IS_OR_NONE = {*_AS_IS, _NONE}


# Told of the rows RowInserter writes, as (model, objects, alias) — as post_save would be by
# the ORM: the managers' stored figures (kpi/daily.py) mark the past days those rows touch.
inserted_hooks: list = []


def inserted(model, objs: list, using: str = "default") -> None:
    """Run the insert hooks (also for a bulk_create, which sends no post_save)."""
    for hook in inserted_hooks:
        hook(model, objs, using)


class RowInserter:
    """INSERT … RETURNING id of one model's rows, compiled once per database alias."""

    def __init__(self, model):
        self.model = model
        self.fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        self._sql: dict[str, str] = {}
        self._plans: dict[str, list] = {}
        self._single: dict[str, list] = {}

    def insert(self, obj, using: str = "default") -> None:
        """INSERT … RETURNING id of one row (a model instance, or `Values`); sets its pk."""
        connection = connections[using]
        sql = self._sql.get(using) or self._compile(obj, using)
        convert = self._single.get(using) or self._converters(using)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(sql, [value(obj, now) for value in convert])
            obj.pk = cursor.fetchone()[0]
        state = getattr(obj, "_state", None)
        if state is not None:
            state.adding, state.db = False, using
        inserted(self.model, [obj], using)

    def _converters(self, using: str) -> list:
        """How each column's value is read from one object: as `_plan` reads a column (the
        plain types as they are, times adapted, a dict as JSON, the rest through the field)."""
        connection = connections[using]
        adapt_moment = _moment_adapter(connection)
        out = []
        for field in self.fields:
            def through(obj, now, f=field):
                return f.get_db_prep_save(f.pre_save(obj, True), connection)
            kind, name = field.get_internal_type(), field.attname
            if kind in _PLAIN and not getattr(field, "auto_now", False):
                keep = (lambda v: v is None or isinstance(v, str)) if kind in ("CharField", "TextField") else \
                    (lambda v: v.__class__ in _AS_IS_OR_NONE)

                def plain(obj, now, name=name, keep=keep, slow=through):
                    value = getattr(obj, name)
                    return value if keep(value) else slow(obj, now)
                out.append(plain)
            elif kind == "DateTimeField" and (field.auto_now or field.auto_now_add):
                def stamp(obj, now, name=name, adapt=adapt_moment):
                    setattr(obj, name, now)
                    return adapt(now)
                out.append(stamp)
            elif kind == "DateTimeField":
                def moment(obj, now, name=name, adapt=adapt_moment, slow=through):
                    value = getattr(obj, name)
                    return None if value is None else adapt(value) if value.tzinfo is not None else slow(obj, now)
                out.append(moment)
            elif kind == "JSONField":
                def document(obj, now, name=name, adapt=connection.ops.adapt_json_value, encoder=field.encoder,
                             slow=through):
                    value = getattr(obj, name)
                    return adapt(value, encoder) if value.__class__ is dict else slow(obj, now)
                out.append(document)
            elif getattr(connection.ops, "spatialite", False) and kind == "PointField":
                def point(obj, now, name=name, srid=field.srid, prefix=f"SRID={field.srid};", slow=through):
                    # the WKT the field would send (GeomFromText), without GEOS's writer
                    value = obj.__dict__.get(name)
                    if value.__class__ is str and value.startswith(prefix):
                        return value[len(prefix):]
                    if value.__class__ is Point and value.srid == srid and not value.hasz:
                        return f"POINT ({value.x!r} {value.y!r})"
                    return None if value is None else slow(obj, now)
                out.append(point)
            else:
                out.append(through)
        self._single[using] = out
        return out

    def insert_many(self, objs: list, using: str = "default") -> None:
        """INSERT of many rows with one executemany, for bulk paths; the ids are not read
        back (the caller finds the rows by a unique column when it needs them)."""
        if not objs:
            return
        connection = connections[using]
        sql = self._sql.get(("many", using)) or self._compile(objs[0], using, returning=False)
        plan = self._plans.get(using) or self._plan(using)
        now = timezone.now()  # auto_now and auto_now_add: one time for the call (as pre_save would set each)
        rows = list(zip(*[column(objs, now) for column in plan], strict=True))
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        inserted(self.model, objs, using)

    def _plan(self, using: str) -> list:
        """How each column's values are read from the objects, a column at a time: as they
        are for the plain types (what get_db_prep_save would return unchanged: numbers,
        booleans, ids, str and its subclasses (choices) for text columns, None), a dict of a
        JSON column adapted as the field would, a point given as `ewkt_point` text written
        as its WKT on SpatiaLite (where the field would write the same WKT of the same two
        numbers; no GEOS object is made), through the field otherwise (dates, geometry
        objects, auto_now, a lazy translation): a value of another type in a column goes
        through the field, the others of the column stay as they are. The objects need only
        the fields' attributes (model instances or plain objects)."""
        connection = connections[using]
        spatialite = getattr(connection.ops, "spatialite", False)
        adapt_moment = _moment_adapter(connection)
        plan = []
        for field in self.fields:
            def through_field(obj, f=field):
                return f.get_db_prep_save(f.pre_save(obj, True), connection)
            kind, read = field.get_internal_type(), attrgetter(field.attname)
            if kind in _PLAIN and not getattr(field, "auto_now", False):
                def plain(objs, now, read=read, slow=through_field, text=kind in ("CharField", "TextField")):
                    values = list(map(read, objs))
                    kinds = set(map(type, values))
                    if all(k is _NONE or issubclass(k, str) for k in kinds) if text else kinds <= _AS_IS_OR_NONE:
                        return values
                    keep = (lambda v: isinstance(v, str)) if text else (lambda v: v.__class__ in _AS_IS)
                    return [v if v is None or keep(v) else slow(o) for o, v in zip(objs, values, strict=True)]
                plan.append(plain)
            elif kind == "DateTimeField" and (field.auto_now or field.auto_now_add):
                def stamp(objs, now, name=field.attname, adapt=adapt_moment):
                    for obj in objs:
                        setattr(obj, name, now)
                    return [adapt(now)] * len(objs)
                plan.append(stamp)
            elif kind == "DateTimeField":
                def moment(objs, now, read=read, adapt=adapt_moment, slow=through_field):
                    # a naive time goes through the field (its warning, its zone)
                    return [None if v is None else adapt(v) if v.tzinfo is not None else slow(o)
                            for o, v in zip(objs, map(read, objs), strict=True)]
                plan.append(moment)
            elif kind == "JSONField":
                def document(objs, now, read=read, adapt=connection.ops.adapt_json_value, encoder=field.encoder,
                             slow=through_field):
                    return [adapt(v, encoder) if v.__class__ is dict else slow(o)
                            for o, v in zip(objs, map(read, objs), strict=True)]
                plan.append(document)
            elif spatialite and kind == "PointField":
                def point(objs, now, name=field.attname, prefix=f"SRID={field.srid};", slow=through_field):
                    out = []
                    for obj in objs:
                        value = obj.__dict__.get(name, slow)  # not the attribute: that would make a GEOS object of the text
                        if value.__class__ is str and value.startswith(prefix):
                            out.append(value[len(prefix):])
                        else:
                            out.append(None if value is None else slow(obj))
                    return out
                plan.append(point)
            else:
                def through(objs, now, slow=through_field):
                    return list(map(slow, objs))
                plan.append(through)
        self._plans[using] = plan
        return plan

    def _compile(self, obj, using: str, returning: bool = True) -> str:
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [obj])
        compiler = query.get_compiler(using)
        if not returning:
            (sql, _params), = compiler.as_sql()
            self._sql[("many", using)] = sql
            return sql
        compiler.returning_fields = [self.model._meta.pk]
        (sql, _params), = compiler.as_sql()
        if "RETURNING" not in sql.upper():
            raise RuntimeError("this database cannot return the id of an inserted row")
        self._sql[using] = sql
        return sql


def _moment_adapter(connection):
    """An aware time as the database takes it (what the sqlite backend does, less its checks)."""
    if connection.vendor == "sqlite" and settings.USE_TZ:
        def adapt_moment(value, zone=connection.timezone):
            return str(value.astimezone(zone).replace(tzinfo=None))
        return adapt_moment
    return connection.ops.adapt_datetimefield_value


class Values:
    """A row's attributes for RowInserter.insert_many, without a model instance."""

    def __init__(self, **values):
        self.__dict__.update(values)


def ewkt_point(lon: float, lat: float, srid: int = 4326) -> str:
    """A point as EWKT text made from its two numbers, without GEOS: a geometry field takes
    it as a value (a model instance turns it into a Point when the attribute is read), and
    RowInserter.insert_many writes it on SpatiaLite as the field would (GeomFromText of the
    same WKT; `repr` gives the shortest text that reads back as the same float)."""
    return f"SRID={srid};POINT ({float(lon)!r} {float(lat)!r})"


def compare_and_set(model, pk: int, version: int, values: dict, using: str = "default") -> bool:
    """UPDATE one row only if it is still at `version` (compare-and-swap); True when it was.

    `values` maps field names (a foreign key by its name, given an instance or None) to new
    values, as Model.objects.filter(pk=…, version=…).update(**values) would; no geometry.
    """
    sql, adapters = _setter(model, tuple(values), using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [adapt(value) for adapt, value in zip(adapters, values.values(), strict=True)]
                       + [pk, version])
        return cursor.rowcount == 1


_SETTERS: dict = {}


def _setter(model, names: tuple[str, ...], using: str) -> tuple[str, list]:
    """The compare-and-set UPDATE of these fields (compiled once), and how each value is
    made ready for the database: a related instance by its pk, an aware time adapted, the
    plain types as they are, anything else through its field."""
    key = (model, names, using)
    if key in _SETTERS:
        return _SETTERS[key]
    connection = connections[using]
    quote, moment = connection.ops.quote_name, _moment_adapter(connection)
    fields = [model._meta.get_field(name) for name in names]
    adapters = []
    for field in fields:
        is_time = field.get_internal_type() == "DateTimeField"

        def adapt(value, field=field, relation=field.is_relation, time=is_time):
            if value is None or value.__class__ in _AS_IS:
                return value
            if relation:
                return value.pk
            if time and value.tzinfo is not None:
                return moment(value)
            return field.get_db_prep_save(value, connection)
        adapters.append(adapt)
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
           f"WHERE {quote(model._meta.pk.column)} = %s AND {quote('version')} = %s")
    _SETTERS[key] = (sql, adapters)
    return sql, adapters


class LockedReader:
    """SELECT of some columns of one row and of the row its foreign key `related` points to,
    locked FOR UPDATE OF the first table where the database has row locks (PostgreSQL;
    SQLite's IMMEDIATE transaction already holds the writer lock). Rows are materialised
    with Model.from_db, the other fields deferred."""

    def __init__(self, model, fields: tuple[str, ...], related: str, related_fields: tuple[str, ...]):
        self.link = model._meta.get_field(related)
        self.parts = [(model, _in_model_order(model, fields)),
                      (self.link.related_model, _in_model_order(self.link.related_model, related_fields))]
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        connection = connections[using]
        quote = connection.ops.quote_name
        (model, _), (other, _) = self.parts
        table, other_table = quote(model._meta.db_table), quote(other._meta.db_table)
        columns, shapes = [], []
        for part_model, names in self.parts:
            fields = [part_model._meta.get_field(n) for n in names]
            alias = quote(part_model._meta.db_table)
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            converters = [(connection.ops.get_db_converters(f.get_col(part_model._meta.db_table))
                           + f.get_db_converters(connection), f.get_col(part_model._meta.db_table)) for f in fields]
            shapes.append((part_model, [f.attname for f in fields], converters))
        sql = (f"SELECT {', '.join(columns)} FROM {table} LEFT OUTER JOIN {other_table} "
               f"ON {table}.{quote(self.link.column)} = {other_table}.{quote('id')} WHERE {table}.{quote('id')} = %s")
        if connection.features.has_select_for_update_of:
            sql += f" FOR UPDATE OF {table}"
        self._compiled[using] = (sql, shapes)
        return self._compiled[using]

    def get(self, pk: int, using: str = "default"):
        connection = connections[using]
        sql, shapes = self._compiled.get(using) or self._compile(using)
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        main_model = shapes[0][0]
        if row is None:
            raise main_model.DoesNotExist(f"no {main_model._meta.model_name} {pk}")
        objects, offset = [], 0
        for part_model, attnames, converters in shapes:
            values = []
            for value, (functions, column) in zip(row[offset:offset + len(attnames)], converters, strict=True):
                for function in functions:
                    value = function(value, column, connection)
                values.append(value)
            offset += len(attnames)
            objects.append(part_model.from_db(using, attnames, values) if values[0] is not None else None)
        obj, related = objects
        if related is not None:
            self.link.set_cached_value(obj, related)
        return obj


def _in_model_order(model, names: tuple[str, ...]) -> tuple[str, ...]:
    """The primary key and `names`, in the order of the model's fields (as from_db wants)."""
    wanted = {"id", *names}
    return tuple(f.name for f in model._meta.concrete_fields if f.name in wanted)


# --- the writers of the case tables -------------------------------------------------------

def _models():
    # Imported on first use: the generic helpers above serve other apps' tables too (12345 tickets).
    global _MODELS
    if _MODELS is None:
        from urbanmgmt.cases import models
        _MODELS = models
    return _MODELS


_MODELS = None


def event_row(case_id: int, at: dt.datetime, actor, role: str, action: str, from_state: str, to_state: str,
              reason: str, payload: dict, version: int) -> Values:
    """A CaseEvent row (the one place history rows are made): who, when, which step, why."""
    return Values(case_id=case_id, at=at, actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
                  actor_role=role, action=action, from_state=from_state, to_state=to_state, reason=reason,
                  payload=payload, version=version)


_INSERTERS: dict = {}


def _inserter(model) -> RowInserter:
    inserter = _INSERTERS.get(model)
    if inserter is None:
        inserter = _INSERTERS[model] = RowInserter(model)
    return inserter


def insert_events(rows: list[Values]) -> None:
    """Append history rows (`event_row`s) with one executemany."""
    _inserter(_models().CaseEvent).insert_many(rows)  # (their ids are not needed: no RETURNING)


def insert_case(case) -> None:
    """INSERT of one new Case (its pk is set)."""
    _inserter(_models().Case).insert(case)


def insert_cases(cases: list) -> None:
    """INSERT of many new Cases with one executemany; their pks are read back by code."""
    Case = _models().Case
    _inserter(Case).insert_many(cases)
    ids = {}
    codes = [case.code for case in cases]
    for chunk in range(0, len(codes), 500):
        ids.update(Case.objects.filter(code__in=codes[chunk:chunk + 500]).order_by().values_list("code", "pk"))
    for case in cases:
        case.pk = ids[case.code]
        case._state.adding, case._state.db = False, "default"


def reserve_codes(year: int, count: int) -> int:
    """Take `count` case numbers of `year` at once (one UPDATE … RETURNING, SQLite ≥ 3.35
    and PostgreSQL); returns the last one taken."""
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE cases_casesequence SET last = last + %s WHERE year = %s RETURNING last", [count, year])
        row = cursor.fetchone()
        if row is None:
            cursor.execute("INSERT INTO cases_casesequence (year, last) VALUES (%s, %s)", [year, count])
            row = (count,)
    return row[0]


def case_id_by_reference(channel: str, external_ref: str) -> int | None:
    """The id of the case a channel made for a reference: one probe of the unique index.
    (Through the ORM the model's default ORDER BY made SQLite walk the date index instead.)"""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case WHERE channel = %s AND external_ref = %s", [channel, external_ref])
        row = cursor.fetchone()
    return row[0] if row else None


def update_cases(changes: list[tuple], using: str = "default") -> None:
    """Write changed fields of many cases, each (case, field names, the version its row is
    expected at), as compare-and-set: one executemany per set of fields. StaleVersion (all
    rolled back with the caller's transaction) when a row has moved on meanwhile."""
    Case = _models().Case
    groups: dict[tuple, list] = {}
    for case, names, version in changes:
        groups.setdefault(tuple(sorted(names)), []).append((case, version))
    for names, items in groups.items():
        sql, adapters = _setter(Case, names, using)
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
    Case, connection = _models().Case, connections["default"]
    found = {}
    for chunk in range(0, len(ids), 500):
        cases = Case.objects.filter(pk__in=ids[chunk:chunk + 500]).order_by().only(*names)
        if connection.features.has_select_for_update:
            cases = cases.select_for_update()
        found.update({case.pk: case for case in cases})
    return found


def insert_media(case, uploader, stored: list[tuple]) -> None:
    """A case's photos: (evidence, the paths its files were stored at) pairs."""
    CaseMedia = _models().CaseMedia
    CaseMedia.objects.bulk_create([
        CaseMedia(case=case, kind=item.kind, file=paths["file"], display=paths["display"],
                  thumbnail=paths["thumbnail"], sha256=item.photo.sha256, metadata=item.photo.metadata(),
                  flags=item.flags, uploaded_by=uploader if uploader and uploader.is_authenticated else None)
        for item, paths in stored
    ])


def insert_tasks(tasks: list) -> None:
    """New InspectionTasks (their pks are set)."""
    InspectionTask = _models().InspectionTask
    InspectionTask.objects.bulk_create(tasks, batch_size=500)
    inserted(InspectionTask, tasks)
    if any(task.pk is None for task in tasks):
        raise RuntimeError("this database does not return the ids of bulk-inserted rows")


def finish_tasks(tasks: list) -> None:
    """Write the outcome of completed InspectionTasks (done_at, done_by, result, note)."""
    if not tasks:
        return
    connection = connections["default"]
    quote, table = connection.ops.quote_name, connection.ops.quote_name(_models().InspectionTask._meta.db_table)
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
    Case = _models().Case
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


def set_handling_minutes(changed: dict[int, float | None]) -> None:
    """Case.handling_minutes of many cases ({id: minutes}), counted again."""
    Case = _models().Case
    Case.objects.bulk_update([Case(pk=pk, handling_minutes=m) for pk, m in changed.items()], ["handling_minutes"],
                             batch_size=1000)
