"""Working-time arithmetic on real dates of the 2025 calendar (Asia/Shanghai)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from urbanmgmt.cases import worktime
from urbanmgmt.cases.calendar_seed import seed_calendar
from urbanmgmt.cases.models import WorkDay

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def test_a_makeup_sunday_is_a_working_day(city):
    assert worktime.is_workday(dt.date(2025, 1, 26))  # Spring Festival make-up day, a Sunday


def test_the_national_day_week_is_a_holiday(city):
    for day in range(1, 9):
        assert not worktime.is_workday(dt.date(2025, 10, day)), day
    assert worktime.is_workday(dt.date(2025, 10, 9))
    assert worktime.is_workday(dt.date(2025, 10, 11))  # a make-up Saturday


def test_plain_weekends_are_not_working_days(city):
    assert not worktime.is_workday(dt.date(2025, 11, 22))
    assert worktime.is_workday(dt.date(2025, 11, 24))


def test_working_hours_skip_the_lunch_break(city):
    assert worktime.add_working_hours(at(2025, 11, 24, 11, 30), 2) == at(2025, 11, 24, 15, 0)


def test_working_hours_carry_over_to_the_next_working_day(city):
    assert worktime.add_working_hours(at(2025, 11, 24, 17, 0), 2) == at(2025, 11, 25, 10, 0)


def test_a_start_outside_working_hours_counts_from_the_next_opening(city):
    assert worktime.add_working_hours(at(2025, 11, 22, 10, 0), 2) == at(2025, 11, 24, 10, 30)  # Saturday


def test_one_working_day_after_friday_morning_is_monday_morning(city):
    assert worktime.add_working_days(at(2025, 11, 21, 10, 0), 1) == at(2025, 11, 24, 10, 0)


def test_five_working_days_jump_the_national_day_holiday(city):
    # Tue 30 Sep 2025 10:00 + 5 working days: 9 Oct, 10 Oct, Sat 11 Oct (make-up), 13 Oct, 14 Oct.
    assert worktime.add_working_days(at(2025, 9, 30, 10, 0), 5) == at(2025, 10, 14, 10, 0)


def test_a_consultation_dispatched_before_spring_festival_uses_the_makeup_sunday(city):
    # Fri 24 Jan 2025 10:00 + 1 working day: Sunday 26 Jan is a make-up working day.
    assert worktime.add_working_days(at(2025, 1, 24, 10, 0), 1) == at(2025, 1, 26, 10, 0)


def test_working_time_between_counts_only_working_hours(city):
    assert worktime.working_minutes_between(at(2025, 11, 21, 17, 0), at(2025, 11, 24, 9, 0)) == 60
    assert worktime.working_days_between(at(2025, 9, 30, 10, 0), at(2025, 10, 14, 10, 0)) == pytest.approx(5)


def test_an_edited_day_changes_the_arithmetic(city):
    WorkDay.objects.create(date=dt.date(2025, 11, 24), is_workday=False, name="台风停工")
    assert worktime.add_working_hours(at(2025, 11, 24, 9, 0), 1) == at(2025, 11, 25, 9, 30)


def test_seeding_keeps_days_edited_by_hand(city):
    WorkDay.objects.update_or_create(date=dt.date(2025, 10, 8), defaults={"is_workday": True, "source": "manual"})
    seed_calendar(range(2025, 2026))
    assert WorkDay.objects.get(date=dt.date(2025, 10, 8)).is_workday


def test_naive_datetimes_are_refused(city):
    with pytest.raises(ValueError):
        worktime.add_working_hours(dt.datetime(2025, 11, 24, 9, 0), 1)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2025, 12, 20)),
       minutes=st.integers(min_value=1, max_value=10 * 450))
def test_adding_then_measuring_gives_back_the_minutes(city, start, minutes):
    begin = start.replace(tzinfo=SH)
    end = worktime.add_working_minutes(begin, minutes)
    assert worktime.working_minutes_between(begin, end) == pytest.approx(minutes, abs=1e-6)
