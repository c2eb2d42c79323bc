"""How the managers' workbooks write their cells: a frozen heading row, widths, counts grouped
by thousands and rates as percentages (Excel's number formats, so a reader can still compute
with them), dates as dates. Years, ranks, ids and codes stay plain."""

import datetime as dt

from django.utils.functional import Promise
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

PERCENT = "0.0%"
COUNT = "#,##0"


def file_name(stem: str, first: dt.date, last: dt.date) -> str:
    """An export's file name that says the days it covers (`last` inclusive)."""
    return f"{stem}-{first.isoformat()}.xlsx" if first == last else f"{stem}-{first.isoformat()}-to-{last.isoformat()}.xlsx"


def sheet(book, title: str, header: list, widths: list[int] | None = None):
    """A sheet with its heading row frozen; `widths` in characters (a Chinese character counts two)."""
    made = book.create_sheet(title[:31])
    made.freeze_panes = "A2"
    for index, width in enumerate(widths or [], 1):
        made.column_dimensions[get_column_letter(index)].width = width
    made.append([str(name) for name in header])
    return made


def append(sheet, values: list) -> None:
    """A row with the lazy translations made text."""
    sheet.append([str(v) if isinstance(v, Promise) else v for v in values])


def number(sheet, value, number_format: str):
    """A cell that Excel shows with `number_format` (a rate as 95.0 %, not 0.95)."""
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def percent(sheet, value):
    """A rate (0.95) as a percentage cell."""
    return number(sheet, float(value) if value is not None else None, PERCENT)


def count(sheet, value):
    """A count (135000) as a number cell shown grouped by thousands (135,000)."""
    return number(sheet, value, COUNT)


def counts(sheet, values: list) -> list:
    """`values`, each a count cell (see `count`)."""
    return [count(sheet, value) for value in values]
