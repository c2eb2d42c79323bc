"""Every table of the managers' dashboard as one Excel workbook (openpyxl, write-only)."""

import datetime as dt
import io
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from openpyxl import Workbook

from urbanmgmt.kpi.collection import BREAKDOWNS, COUNTS, campaign_progress, quota_progress, valid_rates
from urbanmgmt.kpi.evaluation import evaluate
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota, DayDone, EvaluationScheme
from urbanmgmt.kpi.reports import CHANNELS as CHANNEL_NAMES
from urbanmgmt.kpi.schemes import WHO
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.kpi.xlsx import append as _append
from urbanmgmt.kpi.xlsx import count as _count
from urbanmgmt.kpi.xlsx import counts as _counts
from urbanmgmt.kpi.xlsx import number as _number
from urbanmgmt.kpi.xlsx import percent as _percent
from urbanmgmt.kpi.xlsx import sheet as _sheet

# The words of the workbook, shared with the dashboard's page (views.py).
BY_NAMES = {"channel": pgettext_lazy("kpi", "Channel"), "inspector": pgettext_lazy("kpi", "Inspector"),
            "grid": pgettext_lazy("kpi", "Grid"), "community": pgettext_lazy("kpi", "Community"),
            "street": pgettext_lazy("kpi", "Street"), "month": pgettext_lazy("kpi", "Month")}
WHO_NAMES = {"inspector": pgettext_lazy("kpi", "Inspector"), "dispatcher": pgettext_lazy("kpi", "Dispatcher"),
             "department": pgettext_lazy("kpi", "Department"), "area": pgettext_lazy("kpi", "Area")}
LOOP_NAMES = {"on_time_signing": gettext_lazy("On-time signing rate"),
              "on_time_completion": gettext_lazy("On-time completion rate"),
              "dispatch_accuracy": gettext_lazy("Dispatch accuracy"), "satisfaction": gettext_lazy("Satisfaction rate"),
              "actual_resolution": gettext_lazy("Actual resolution rate"),
              "online_answer": gettext_lazy("Online answer rate"),
              "online_answer_consultations": gettext_lazy("Online answer rate of consultations"),
              "kb_upkeep": gettext_lazy("Knowledge base reviewed in time")}
METHODS = {"seasonal": gettext_lazy("seasonal (last year's months)"), "linear": gettext_lazy("linear (pace so far)")}
RATE_COLUMNS = [pgettext_lazy("kpi", "Reports"), pgettext_lazy("kpi", "Filed"), pgettext_lazy("kpi", "Rejected"),
                pgettext_lazy("kpi", "Awaiting intake"), gettext_lazy("Valid-report rate")]


def workbook(start: dt.datetime, end: dt.datetime, area=None) -> bytes:
    """The workbook for [start, end) in an area (None: the city), in the active language:
    rates as percentages, a frozen heading row, columns wide enough for their words."""
    out = io.BytesIO()
    write_workbook(out, start, end, area)
    return out.getvalue()


def sheet_count() -> int:
    """How many sheets the workbook has (the progress of its making counts them)."""
    return 3 + len(BREAKDOWNS) + len(WHO)


def write_workbook(target, start: dt.datetime, end: dt.datetime, area=None,
                   on_sheet: Callable[[int, int], None] | None = None) -> None:
    """Write the workbook (see `workbook`) to `target`, a path or a binary file, telling
    `on_sheet` (sheets made, sheets in all) after each sheet."""
    book = Workbook(write_only=True)
    total = sheet_count()

    def made() -> None:
        if on_sheet is not None:
            on_sheet(len(book.worksheets), total)

    last_day = (end - dt.timedelta(days=1)).date()
    _quota_sheet(book, last_day.year, area, min(timezone.localdate(), last_day))
    made()
    for by in BREAKDOWNS:
        _rate_sheet(book, by, valid_rates(start, end, by, area))
        made()
    _loop_sheet(book, loop_kpis(start, end, area))
    made()
    sheet = _sheet(book, _("Special campaigns"), [pgettext_lazy("kpi", "Name"), pgettext_lazy("kpi", "Starts"),
                                                  pgettext_lazy("kpi", "Ends"), pgettext_lazy("kpi", "Target"),
                                                  _("Collected"), _("Completion")], widths=[30, 12, 12, 10, 10, 10])
    for row in campaign_progress(start, end, area):
        _append(sheet, [row["name"], row["starts_on"], row["ends_on"],
                        *_counts(sheet, [row["target_count"], row["count"]]), _percent(sheet, row["share"])])
    made()
    for who in WHO:
        _evaluation_sheet(book, who, start, end)
        made()
    book.save(target)


def _rate_sheet(book, by: str, rows: list[dict]) -> None:
    coded = by in ("grid", "community", "street")  # an area's code is data a reader may look up
    columns = [BY_NAMES[by], *RATE_COLUMNS] + ([pgettext_lazy("kpi", "Code")] if coded else [])
    sheet = _sheet(book, _("Valid-report rate - %(by)s") % {"by": BY_NAMES[by]}, columns,
                   widths=[28, 10, 10, 10, 12, 14, 14])
    channels = dict(CHANNEL_NAMES)
    for row in rows:
        label = str(channels.get(row["key"], row["label"])) if by == "channel" else row["label"]
        _append(sheet, [label, *_counts(sheet, [row[k] for k in COUNTS]),
                        _percent(sheet, row["valid_rate"])] + ([row["key"]] if coded else []))


def _loop_sheet(book, loop: dict) -> None:
    sheet = _sheet(book, _("12345 timeliness"), [_("Indicator"), _("Numerator"), _("Denominator"), _("Value"),
                                                    pgettext_lazy("kpi", "Target")], widths=[36, 12, 12, 12, 12])
    for key, name in LOOP_NAMES.items():
        if key in loop:
            _append(sheet, [str(name), *_counts(sheet, [loop[key]["n"], loop[key]["d"]]), _percent(sheet, loop[key]["value"]),
                            _percent(sheet, loop["targets"].get(key))])
    for label, n in knowledge_counts(loop):
        _append(sheet, [label, _count(sheet, n), None, None, None])
    for kind, value in loop["avg_handling_working_days"].items():
        _append(sheet, [_("Average working days to handle (%(kind)s)") % {
            "kind": pgettext_lazy("kpi", "consultations") if kind == "consultation" else pgettext_lazy("kpi", "others")},
            None, None, _number(sheet, value, "0.00"), None])


def knowledge_counts(loop: dict) -> list[tuple[str, int]]:
    """The knowledge base's entries in force, past their end and ending soon, named (the
    workbook's and the reports' lines)."""
    kb = loop.get("knowledge_base")
    if not kb:
        return []
    return [(_("Knowledge base entries in force"), kb["in_force"]),
            (_("Knowledge base entries past their end, still in use"), kb["expired"]),
            (_("Knowledge base entries ending within %(n)s days") % {"n": kb["expiring_days"]}, kb["expiring"])]


def store_days(first: dt.date, last: dt.date) -> int:
    """Store the per-day figures (kpi/daily.py) of [first, last] for every table of the
    workbook (the figures of the days before the live window); how many days are stored now."""
    from urbanmgmt.patrols.figures import keep_days

    workbook(day_start(first), day_start(last + dt.timedelta(days=1)))
    keep_days(first, last)  # the patrols' grids visited (not in this workbook: /kpi/patrols/)
    return DayDone.objects.filter(day__gte=first, day__lte=last).count()


QUOTA_COUNTS = ("quota", "collected", "filed", "working_days_remaining", "expected_by_now", "projection",
                "projection_low", "projection_high")


def _quota_sheet(book, year: int, area, as_of: dt.date) -> None:
    sheet = _sheet(book, _("Annual quota"), [_("Item"), _("Value")], widths=[30, 18])
    try:
        progress = quota_progress(year, area, as_of).as_dict()
    except AnnualQuota.DoesNotExist:
        _append(sheet, [pgettext("kpi", "Note"), _("No annual quota is set for %(year)s") % {"year": year}])
        return
    labels = {"year": pgettext_lazy("kpi", "Year"), "as_of": _("As of"), "quota": _("Collection quota"),
              "collected": _("Collected"), "filed": _("Filed"),
              "valid_rate": _("Valid-report rate, year to date"), "valid_rate_target": _("Valid-report rate target"),
              "working_days_remaining": _("Working days left"), "needed_per_working_day": _("Needed per working day"),
              "pace_per_working_day": _("Collected per working day"), "expected_by_now": _("Expected by now"),
              "projection": _("Projected for the year"), "projection_low": _("Projection, low"),
              "projection_high": _("Projection, high"), "method": _("Projection method"), "on_pace": _("On pace")}
    shown = {"as_of": dt.date.fromisoformat(progress["as_of"]), "method": METHODS.get(progress["method"], progress["method"]),
             "on_pace": pgettext("yes or no", "Yes") if progress["on_pace"] else pgettext("yes or no", "No"),
             "valid_rate": _percent(sheet, progress["valid_rate"]),
             "valid_rate_target": _percent(sheet, progress["valid_rate_target"]),
             **{key: _count(sheet, progress[key]) for key in QUOTA_COUNTS},
             **{key: _number(sheet, progress[key], "#,##0.0") for key in ("needed_per_working_day", "pace_per_working_day")}}
    for key, label in labels.items():
        _append(sheet, [str(label), shown.get(key, progress[key])])


def _evaluation_sheet(book, who: str, start, end) -> None:
    title = _("Evaluation - %(who)s") % {"who": WHO_NAMES[who]}
    try:
        result = evaluate(who, start, end)
    except EvaluationScheme.DoesNotExist:
        _append(_sheet(book, title, [pgettext("kpi", "Note")], widths=[40]),
                [_("No evaluation scheme is in force in this period")])
        return
    keys = [i["key"] for i in result["indicators"]]
    sheet = _sheet(book, title, [_("Rank"), _("Subject")]
                   + [_("%(name)s (%(weight)s%%)") % {"name": i["name"], "weight": i["weight"]} for i in result["indicators"]]
                   + [_("Overall score"), _("Grade")], widths=[8, 28] + [16] * len(keys) + [12, 8])
    for row in result["rows"]:
        _append(sheet, [row.get("rank"), row["name"]] + [_percent(sheet, row["values"][k]["value"]) for k in keys]
                + [_number(sheet, row["score"], "0.0"), row["grade"]])
