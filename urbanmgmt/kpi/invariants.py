"""The triggers that mark the local days whose stored figures (kpi/daily.py) an UPDATE or a
DELETE makes stale, on SpatiaLite and PostGIS alike, installed by migration 0007 and again
after every `migrate` (see urbanmgmt/invariants.py): every path that changes cases,
inspection tasks or 12345 tickets (the services, the bulk ledger, the admin, a hand-written
UPDATE) is covered, none has to remember it. New rows are marked by the application
(kpi.daily.rows_inserted, told by cases.rows and post_save): on SQLite an INSERT trigger
makes every insert inside a savepoint keep a statement journal, several times the cost of a
bulk import. Case history (cases_caseevent) is only ever inserted.

A write marks the days before today of the moments the figures are counted by, before and
after it (a deadline moved from one day to another makes both stale), and only when it sets
a column the figures read. Days from today on are never stored, so a change to today's
cases (nearly all of them) marks nothing: the SQLite triggers fire only when the row's
earliest moment lies before today, and the first of them not at all when that day is
marked already.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from urbanmgmt.invariants import run

# table: (the moments its rows are counted by, the earliest of them: the SQLite trigger's gate)
TABLES = {
    "cases_case": (("reported_at", "filed_at", "dispatched_at", "due_at", "handled_at", "closed_at"), "reported_at"),
    "cases_inspectiontask": (("due_at",), "due_at"),
    "hotline_hotlineticket": (("satisfaction_at",), "satisfaction_at"),
}
OPS = {"update": ("OLD", "NEW"), "delete": ("OLD",)}
# The columns the figures read: an UPDATE setting none of them (a linked ticket counted on its
# case, a reply's text) fires nothing.
COUNTED = {
    "cases_case": ("channel", "request_type", "category_id", "grid_id", "community_id", "street_id", "district_id",
                   "reporter_id", "state", "department_id", "reported_at", "filed_at", "dispatched_at", "sign_due_at",
                   "signed_at", "due_at", "handled_at", "handling_minutes", "closed_at", "rework_count"),
    "cases_inspectiontask": ("case_id", "kind", "due_at", "done_at", "done_by_id"),
    "hotline_hotlineticket": ("grid_id", "case_id", "satisfaction", "satisfaction_at", "resolved"),
}


def _offsets(zone: str) -> list[int]:
    """The zone's offsets from UTC in minutes (one for Asia/Shanghai; two where DST is kept:
    a moment is then marked on both candidate days, which only ever marks one day too many)."""
    tz = ZoneInfo(zone)
    found = {int(tz.utcoffset(dt.datetime(year, month, 15)).total_seconds() // 60)
             for year in range(2000, 2040) for month in range(1, 13)}
    return sorted(found)


def sqlite_statements() -> list[str]:
    """Per table, operation and row image (OLD/NEW): a trigger for the earliest moment's day
    (skipped at once when that day is marked already: an import of yesterday's tickets pays
    one index probe a row), and one for the other moments, which fires only for a row whose
    earliest moment lies before today (the others come after it)."""
    offsets = _offsets(settings.TIME_ZONE)
    today = f"date('now', '{offsets[-1]:+d} minutes')"
    start_of_today = f"datetime('now', '{offsets[-1]:+d} minutes', 'start of day', '{-offsets[0]:+d} minutes')"

    def day(expr: str, offset: int) -> str:
        return f"date({expr}, '{offset:+d} minutes')"

    def mark(moments: list[str]) -> str:
        days = " UNION ALL ".join(f"SELECT {day(m, offset)} AS d" for m in moments for offset in offsets)
        return (f"INSERT INTO kpi_dirtyday (day) SELECT d FROM ({days}) WHERE d IS NOT NULL AND d < {today} "
                f"AND NOT EXISTS (SELECT 1 FROM kpi_dirtyday WHERE day = d);")

    out = []
    for table, (columns, earliest) in TABLES.items():
        for op, rows in OPS.items():
            for row in rows:
                name = f"kpi_dirty_{table}_{op}_{row.lower()}"
                before_today = f"{row}.{earliest} < {start_of_today}"
                unmarked = " OR ".join(f"NOT EXISTS (SELECT 1 FROM kpi_dirtyday WHERE day = {day(f'{row}.{earliest}', o)})"
                                       for o in offsets)
                event = f"UPDATE OF {', '.join(COUNTED[table])}" if op == "update" else op.upper()
                out.append(f"DROP TRIGGER IF EXISTS {name}")
                out.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                           f"WHEN {before_today} AND ({unmarked}) BEGIN {mark([f'{row}.{earliest}'])} END")
                others = [c for c in columns if c != earliest]
                if others:
                    any_before = " OR ".join(f"{row}.{c} < {start_of_today}" for c in others)
                    out.append(f"DROP TRIGGER IF EXISTS {name}_rest")
                    out.append(f"CREATE TRIGGER {name}_rest AFTER {event} ON {table} "
                               f"WHEN {before_today} AND ({any_before}) BEGIN {mark([f'{row}.{c}' for c in others])} END")
    return out


def sqlite_reverse() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS kpi_dirty_{table}_{op}_{row.lower()}{rest}"
            for table in TABLES for op, rows in OPS.items() for row in rows for rest in ("", "_rest")]


def postgres_statements() -> list[str]:
    zone = settings.TIME_ZONE.replace("'", "")
    out = [f"""CREATE OR REPLACE FUNCTION kpi_mark_days(moments timestamptz[]) RETURNS void AS $$
        INSERT INTO kpi_dirtyday (day)
        SELECT DISTINCT (m AT TIME ZONE '{zone}')::date FROM unnest(moments) AS m
        WHERE m IS NOT NULL AND (m AT TIME ZONE '{zone}')::date < (now() AT TIME ZONE '{zone}')::date
          AND NOT EXISTS (SELECT 1 FROM kpi_dirtyday WHERE day = (m AT TIME ZONE '{zone}')::date)
        $$ LANGUAGE sql"""]
    for table, (columns, _earliest) in TABLES.items():
        new = ", ".join(f"NEW.{c}" for c in columns)
        old = ", ".join(f"OLD.{c}" for c in columns)
        out.append(f"""CREATE OR REPLACE FUNCTION kpi_dirty_{table}() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' THEN PERFORM kpi_mark_days(ARRAY[{new}]::timestamptz[]); END IF;
              PERFORM kpi_mark_days(ARRAY[{old}]::timestamptz[]);
              RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        ops = f"UPDATE OF {', '.join(COUNTED[table])} OR DELETE"
        out.append(f"DROP TRIGGER IF EXISTS kpi_dirty ON {table}")
        out.append(f"CREATE TRIGGER kpi_dirty AFTER {ops} ON {table} FOR EACH ROW EXECUTE FUNCTION kpi_dirty_{table}()")
    return out


def postgres_reverse() -> list[str]:
    return ([f"DROP TRIGGER IF EXISTS kpi_dirty ON {table}" for table in TABLES]
            + [f"DROP FUNCTION IF EXISTS kpi_dirty_{table}()" for table in TABLES]
            + ["DROP FUNCTION IF EXISTS kpi_mark_days(timestamptz[])"])


def trigger_names(vendor: str) -> dict[str, list[str]]:
    """Every trigger install() makes, by table."""
    if vendor == "postgresql":
        return {table: ["kpi_dirty"] for table in TABLES}
    return {table: sorted(f"kpi_dirty_{table}_{op}_{row.lower()}{rest}" for op, rows in OPS.items() for row in rows
                          for rest in ("", "_rest") if rest == "" or len(TABLES[table][0]) > 1)
            for table in TABLES}


def install(connection: BaseDatabaseWrapper) -> None:
    """Create or replace every dirty-day trigger (and PostgreSQL's functions behind them)."""
    run(connection, postgres_statements() if connection.vendor == "postgresql" else sqlite_statements())


def remove(connection: BaseDatabaseWrapper) -> None:
    """Drop them (migrating back past 0007)."""
    run(connection, postgres_reverse() if connection.vendor == "postgresql" else sqlite_reverse())
