"""The working calendar's seed: the holidays and make-up working days chinese_calendar knows
(2004–2026), written into WorkDay, where the admin edits them from then on."""

import chinese_calendar

from urbanmgmt.cases.models import WorkDay
from urbanmgmt.cases.services import recount_handling_minutes
from urbanmgmt.cases.worktime import invalidate_calendar

HOLIDAY_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed_calendar(years: range | None = None) -> int:
    """Write the holidays and make-up working days chinese_calendar knows into WorkDay.

    Only days that differ from the plain Monday–Friday week are stored; rows entered by
    hand (source 'manual') are kept as they are.
    """
    known = chinese_calendar.constants.holidays | chinese_calendar.constants.workdays
    first, last = min(known).year, max(known).year
    years = years or range(first, last + 1)
    manual = set(WorkDay.objects.filter(source="manual").values_list("date", flat=True))
    rows = []
    for day, name in sorted(chinese_calendar.constants.holidays.items()):
        if day.year in years and day.weekday() < 5 and day not in manual:
            rows.append(WorkDay(date=day, is_workday=False, name=HOLIDAY_ZH.get(name, name), source="chinese_calendar"))
    for day, name in sorted(chinese_calendar.constants.workdays.items()):
        if day.year in years and day.weekday() >= 5 and day not in manual:
            rows.append(WorkDay(date=day, is_workday=True, name=f"{HOLIDAY_ZH.get(name, name)}调休上班",
                                source="chinese_calendar"))
    stale = WorkDay.objects.filter(source="chinese_calendar", date__year__in=list(years))
    before = dict(stale.values_list("date", "is_workday"))
    stale.delete()
    WorkDay.objects.bulk_create(rows, batch_size=500)
    invalidate_calendar()
    after = {row.date: row.is_workday for row in rows}
    changed = {day for day in before.keys() | after.keys() if before.get(day) != after.get(day)}
    if changed:  # bulk writes send no signals: the handled cases across those days count again
        recount_handling_minutes(changed)
    return len(rows)
