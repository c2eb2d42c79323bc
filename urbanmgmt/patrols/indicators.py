"""The patrol indicators of the evaluation (在岗率, 出勤率, 网格巡查覆盖率) for inspectors,
added to kpi.indicators.INDICATORS by kpi's AppConfig.ready: kpi.indicators cannot import the
patrol figures, which keep days through kpi.daily (an import cycle)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases.worktime import tz
from urbanmgmt.kpi.indicators import INDICATORS, Counts, Indicator
from urbanmgmt.patrols import figures


def _patrol(figure: str, parts: tuple[str, ...]):
    """An inspector's patrol figure over the whole local days of [start, end) as (n, d)."""
    def compute(start: dt.datetime, end: dt.datetime) -> Counts:
        first, last = start.astimezone(tz()).date(), (end - dt.timedelta(microseconds=1)).astimezone(tz()).date()
        found = {p.username: p for p in figures.period(first, last, parts=parts)}
        pairs = {name: {"attendance": p.attendance(), "coverage": p.coverage(),
                        "days": (p.attended_days, p.working_days)}[figure] for name, p in found.items()}
        return {name: (round(n), round(d)) for name, (n, d) in pairs.items() if d}
    return compute


PATROL_INDICATORS = [
    Indicator("patrol_attendance", _("Attendance rate (patrol)"), "inspector",
              _("patrol time in working hours ÷ working hours"), True, _patrol("attendance", ("time",)), stored=False),
    Indicator("patrol_days", _("Days on patrol"), "inspector",
              _("working days with the minimum patrol time ÷ working days"), True, _patrol("days", ("time",)),
              stored=False),
    Indicator("patrol_grid_coverage", _("Grid coverage (patrol)"), "inspector",
              _("assigned grids visited per day ÷ (assigned grids × days)"), True,
              _patrol("coverage", ("time", "grids")), stored=False),
]


def register() -> None:
    """Add the patrol indicators to the evaluation's registry (idempotent)."""
    for indicator in PATROL_INDICATORS:
        INDICATORS.setdefault(indicator.key, indicator)
