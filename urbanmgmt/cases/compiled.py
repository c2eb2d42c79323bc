"""SQL compiled once and reused: the hot paths' INSERT, locked SELECT and compare-and-set.

Through the ORM, compiling a statement costs more than SQLite takes to run it; these helpers
build their SQL with Django's own compiler (or from the model's meta) once per database and
reuse it with fresh values, made ready for the driver a column kind at a time. They serve
any model: cases/rows.py writes the case tables with them, the 12345 importer its tickets.
They send no post_save: what must know of new rows registers in `inserted_hooks` (the
managers' stored figures do, kpi/daily.py).
"""

import json
import re
from operator import attrgetter

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connections
from django.db.models.constants import OnConflict
from django.db.models.sql.subqueries import InsertQuery
from django.utils import timezone

# Field types whose Python values the database drivers take as they are.
_PLAIN = {"CharField", "TextField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
          "SmallIntegerField", "BigIntegerField", "BooleanField", "FloatField", "ForeignKey"}
AS_IS = {str, int, float, bool}
_NONE = type(None)
AS_IS_OR_NONE = {*AS_IS, _NONE}
DOCUMENTS = {dict, list}  # what a JSON column holds that json_adapter writes (other values go through the field)


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

    def insert(self, obj, using: str = "default", returning: bool = True) -> None:
        """INSERT of one row (a model instance, or `Values`); with `returning`, … RETURNING
        id, which sets its pk."""
        connection = connections[using]
        key = using if returning else ("many", using, False)
        sql = self._sql.get(key) or self._compile(obj, using, returning)
        convert = self._single.get(using) or self._converters(using)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(sql, [value(obj, now) for value in convert])
            if returning:
                obj.pk = cursor.fetchone()[0]
        state = getattr(obj, "_state", None)
        if state is not None and returning:
            state.adding, state.db = False, using
        inserted(self.model, [obj], using)

    def _converters(self, using: str) -> list:
        """How each column's value is read from one object: as `_plan` reads a column (the
        plain types as they are, times adapted, a dict or list as JSON, the rest through the field)."""
        connection = connections[using]
        adapt_moment = moment_adapter(connection)
        out = []
        for field in self.fields:
            def through(obj, now, f=field):
                return f.get_db_prep_save(f.pre_save(obj, True), connection)
            kind, name = field.get_internal_type(), field.attname
            if kind in _PLAIN and not getattr(field, "auto_now", False):
                keep = (lambda v: v is None or isinstance(v, str)) if kind in ("CharField", "TextField") else \
                    (lambda v: v.__class__ in AS_IS_OR_NONE)

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
                as_json = json_adapter(connection, field.encoder)

                def document(obj, now, name=name, adapt=as_json, slow=through):
                    value = getattr(obj, name)
                    return adapt(value) if value.__class__ in DOCUMENTS else slow(obj, now)
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

    def insert_many(self, objs: list, using: str = "default", ignore_conflicts: bool = False) -> None:
        """INSERT of many rows with one executemany, for bulk paths; the ids are not read
        back (the caller finds the rows by a unique column when it needs them). With
        `ignore_conflicts`, a row that breaks a unique constraint is skipped, as bulk_create's."""
        if not objs:
            return
        connection = connections[using]
        key = ("many", using, ignore_conflicts)
        sql = self._sql.get(key) or self._compile(objs[0], using, returning=False, ignore_conflicts=ignore_conflicts)
        plan = self._plans.get(using) or self._plan(using)
        now = timezone.now()  # auto_now and auto_now_add: one time for the call (as pre_save would set each)
        rows = list(zip(*[column(objs, now) for column in plan], strict=True))
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        inserted(self.model, objs, using)

    def _plan(self, using: str) -> list:
        """How each column's values are read from the objects, a column at a time: as they
        are for the plain types (what get_db_prep_save would return unchanged: numbers,
        booleans, ids, str and its subclasses (choices) for text columns, None), a dict or list of a
        JSON column adapted as the field would, a point given as `ewkt_point` text written
        as its WKT on SpatiaLite (where the field would write the same WKT of the same two
        numbers; no GEOS object is made), through the field otherwise (dates, geometry
        objects, auto_now, a lazy translation): a value of another type in a column goes
        through the field, the others of the column stay as they are. The objects need only
        the fields' attributes (model instances or plain objects)."""
        connection = connections[using]
        spatialite = getattr(connection.ops, "spatialite", False)
        adapt_moment = moment_adapter(connection)
        plan = []
        for field in self.fields:
            def through_field(obj, f=field):
                return f.get_db_prep_save(f.pre_save(obj, True), connection)
            kind, read = field.get_internal_type(), attrgetter(field.attname)
            if kind in _PLAIN and not getattr(field, "auto_now", False):
                def plain(objs, now, read=read, slow=through_field, text=kind in ("CharField", "TextField")):
                    values = list(map(read, objs))
                    kinds = set(map(type, values))
                    if all(k is _NONE or issubclass(k, str) for k in kinds) if text else kinds <= AS_IS_OR_NONE:
                        return values
                    keep = (lambda v: isinstance(v, str)) if text else (lambda v: v.__class__ in AS_IS)
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
                as_json = json_adapter(connection, field.encoder)

                def document(objs, now, read=read, adapt=as_json, slow=through_field):
                    return [adapt(v) if v.__class__ in DOCUMENTS else slow(o)
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

    def _compile(self, obj, using: str, returning: bool = True, ignore_conflicts: bool = False) -> str:
        query = InsertQuery(self.model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
        query.insert_values(self.fields, [obj])
        compiler = query.get_compiler(using)
        if not returning:
            (sql, _params), = compiler.as_sql()
            self._sql[("many", using, ignore_conflicts)] = sql
            return sql
        compiler.returning_fields = [self.model._meta.pk]
        (sql, _params), = compiler.as_sql()
        if "RETURNING" not in sql.upper():
            raise RuntimeError("this database cannot return the id of an inserted row")
        self._sql[using] = sql
        return sql


def moment_adapter(connection):
    """An aware time as the database takes it (what the sqlite backend does, less its checks)."""
    if connection.vendor == "sqlite" and settings.USE_TZ:
        def adapt_moment(value, zone=connection.timezone):
            return str(value.astimezone(zone).replace(tzinfo=None))
        return adapt_moment
    return connection.ops.adapt_datetimefield_value


def json_adapter(connection, encoder):
    """A dict or list of a JSON column as the database takes it. On SQLite, where it is stored as the
    text given, in its smallest faithful form: the characters themselves rather than \\u
    escapes (a Chinese character is 3 bytes in UTF-8, 6 escaped) and no spaces; json.loads
    reads back the same dict. A string holding a lone surrogate (JSON input may carry one)
    cannot be written as UTF-8: that document keeps the escapes. Elsewhere, and with an
    encoder of the field's own, as the field adapts it (PostgreSQL's jsonb has its own form)."""
    if connection.vendor == "sqlite" and encoder is None:
        def compact(value, encode=_COMPACT.encode, escaped=_ESCAPED.encode, surrogate=_SURROGATE.search):
            text = encode(value)
            return text if text.isascii() or surrogate(text) is None else escaped(value)
        return compact
    return lambda value, adapt=connection.ops.adapt_json_value: adapt(value, encoder)


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ESCAPED = json.JSONEncoder(separators=(",", ":"))
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    sql, adapters = cas_statement(model, tuple(values), using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [adapt(value) for adapt, value in zip(adapters, values.values(), strict=True)]
                       + [pk, version])
        return cursor.rowcount == 1


_SETTERS: dict = {}


def cas_statement(model, names: tuple[str, ...], using: str) -> tuple[str, list]:
    """The compare-and-set UPDATE of these fields (compiled once), and how each value is
    made ready for the database (`_adapters`)."""
    key = (model, names, using)
    if key not in _SETTERS:
        sql, adapters = _update_statement(model, names, using)
        _SETTERS[key] = (f"{sql} AND {connections[using].ops.quote_name('version')} = %s", adapters)
    return _SETTERS[key]


def update_many(objs: list, names: tuple[str, ...], using: str = "default") -> None:
    """Write these plain (not geometry) fields of many rows of one model, as they are on
    the objects: one executemany of `UPDATE … SET … WHERE pk = %s`. Linear in the rows,
    where the ORM's bulk_update sends one CASE per field with a branch per row (each row then
    searches every branch: 5,000 tickets in one statement took minutes on PostgreSQL)."""
    if not objs:
        return
    model = type(objs[0])
    key = (model, names, using, "many")
    if key not in _SETTERS:
        _SETTERS[key] = _update_statement(model, names, using)
    sql, adapters = _SETTERS[key]
    attnames = [model._meta.get_field(name).attname for name in names]
    rows = [[adapt(obj.__dict__[name]) for adapt, name in zip(adapters, attnames, strict=True)] + [obj.pk]
            for obj in objs]
    with connections[using].cursor() as cursor:
        cursor.executemany(sql, rows)


def _update_statement(model, names: tuple[str, ...], using: str) -> tuple[str, list]:
    """`UPDATE <table> SET <names> WHERE <pk> = %s`, and how each value is made ready for the
    database: a related instance by its pk, an aware time adapted, the plain types as they
    are, anything else through its field."""
    connection = connections[using]
    quote, moment = connection.ops.quote_name, moment_adapter(connection)
    fields = [model._meta.get_field(name) for name in names]
    adapters = []
    for field in fields:
        is_time = field.get_internal_type() == "DateTimeField"

        def adapt(value, field=field, relation=field.is_relation, time=is_time):
            if value is None or value.__class__ in AS_IS:
                return value
            if relation:
                return value.pk
            if time and value.tzinfo is not None:
                return moment(value)
            return field.get_db_prep_save(value, connection)
        adapters.append(adapt)
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
           f"WHERE {quote(model._meta.pk.column)} = %s")
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
