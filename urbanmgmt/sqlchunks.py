"""Long IN lists, cut into pieces every database takes.

SQLite builds before 3.32 refuse a statement with more than 999 parameters, and an IN list
of thousands costs more to plan than a few lists of hundreds. Every lookup of many keys
(`WHERE key IN (…)`) goes through here, so the size is chosen in one place. A leaf module:
it imports nothing of the project.
"""

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Keys per statement: under SQLite's old 999 with room for the query's other parameters.
IN_LIST_SIZE = 500


def chunks(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size` (nothing for an empty sequence)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def filtered_in(queryset, field: str, values: Sequence, size: int = IN_LIST_SIZE) -> Iterator:
    """`queryset.filter(<field>__in=part)` for each slice of `values`: iterate each one (or
    read it with `values_list`) to read every matching row, a statement per slice."""
    for part in chunks(values, size):
        yield queryset.filter(**{f"{field}__in": part})


def placeholders(count: int) -> str:
    """`%s, %s, …` for a raw IN list of `count` parameters."""
    return ", ".join(["%s"] * count)
