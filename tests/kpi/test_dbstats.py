"""The planner's statistics are exact on SQLite (urbanmgmt/dbstats.py): sampled ones sent the
KPI year view and the map's per-grid counts through the wrong indexes."""

import pytest
from django.db import connection

from urbanmgmt import dbstats


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's sqlite_stat1; PostgreSQL keeps its own statistics")
def test_refresh_writes_exact_statistics():
    rows = 5000  # more than a sampled ANALYZE (analysis_limit=1000) reads
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE kpi_test_stats (id INTEGER PRIMARY KEY, kind INTEGER, at TEXT)")
        cursor.execute("CREATE INDEX kpi_test_stats_kind_at ON kpi_test_stats (kind, at)")
        cursor.executemany("INSERT INTO kpi_test_stats (kind, at) VALUES (%s, %s)",
                           [(i % 7, f"2025-01-01 00:{i % 60:02d}:{i % 59:02d}") for i in range(rows)])
    dbstats.refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'kpi_test_stats_kind_at'")
        (stat,) = cursor.fetchone()
        cursor.execute("DROP TABLE kpi_test_stats")
    # Exact: every row counted, and the rows per kind (5000 ÷ 7, rounded up) as counted.
    assert stat.split()[:2] == [str(rows), str(-(-rows // 7))]
