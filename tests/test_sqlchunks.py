"""Long IN lists cut into pieces: every key looked up once, whatever the list's length."""

import datetime as dt

import pytest
from django.db import connection

from urbanmgmt.cases.models import WorkDay
from urbanmgmt.sqlchunks import IN_LIST_SIZE, chunks, filtered_in, placeholders


def test_chunks_cover_the_sequence_in_order_without_overlap():
    for length in (0, 1, IN_LIST_SIZE - 1, IN_LIST_SIZE, IN_LIST_SIZE + 1, 3 * IN_LIST_SIZE + 7):
        values = list(range(length))
        parts = list(chunks(values))
        assert [v for part in parts for v in part] == values
        assert all(0 < len(part) <= IN_LIST_SIZE for part in parts)
        assert len(parts) == -(-length // IN_LIST_SIZE)
    assert list(chunks("abcde", 2)) == ["ab", "cd", "e"]


@pytest.mark.django_db
def test_filtered_in_finds_every_row_of_a_list_longer_than_sqlite_takes_at_once():
    first = dt.date(2001, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range(1200)]
    WorkDay.objects.bulk_create([WorkDay(date=day, is_workday=day.weekday() < 5) for day in days], batch_size=400)
    asked = days[::-1] + [dt.date(1999, 1, 1)]  # an unknown key finds nothing
    found = [row for part in filtered_in(WorkDay.objects.all(), "date", asked) for row in part]
    assert sorted(row.date for row in found) == days
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM cases_workday WHERE date IN ({placeholders(3)})",  # noqa: S608
                       [connection.ops.adapt_datefield_value(day) for day in days[:3]])
        assert cursor.fetchone() == (3,)
