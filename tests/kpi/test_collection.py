"""Quota pace, projections and valid-report rates against hand-computed answers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.builders import client_for, make_person, point_in
from urbanmgmt.cases import services, worktime
from urbanmgmt.cases.models import Case
from urbanmgmt.kpi.collection import quota_progress, valid_rates
from urbanmgmt.kpi.models import AnnualQuota
from urbanmgmt.kpi.scope import day_start

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=SH)


def reports(actor, category, when, n=1, channel="inspector", col=0.5):
    return [services.report(actor, channel=channel, point=point_in(col, 0.5), category=category, reported_at=when)[0]
            for _ in range(n)]


@pytest.fixture
def quota_2025():
    return AnnualQuota.objects.create(year=2025, collection_total=1000, valid_rate="0.970", campaigns=6)


def test_2025_has_248_working_days(city, quota_2025):
    # 261 weekdays − 18 weekday holidays + 5 make-up weekend days (worked out by hand)
    assert quota_progress(2025, as_of=dt.date(2025, 1, 1)).working_days_total == 248


def test_a_uniform_year_is_projected_exactly(people, category, quota_2025):
    as_of = dt.date(2025, 3, 31)
    day = dt.date(2025, 1, 1)
    while day <= as_of:
        if worktime.is_workday(day):
            reports(people.inspector, category, noon(day))
        day += dt.timedelta(days=1)
    progress = quota_progress(2025, as_of=as_of)
    assert progress.method == "linear" and progress.collected == progress.working_days_elapsed
    assert progress.projection == progress.projection_low == progress.projection_high == 248
    assert progress.pace_per_working_day == 1.0 and not progress.on_pace
    assert progress.needed_per_working_day == round((1000 - progress.collected) / progress.working_days_remaining, 1)


def test_the_national_day_week_leaves_the_working_days_ahead_unchanged(people, category, quota_2025):
    reports(people.inspector, category, noon(dt.date(2025, 9, 15)), n=3)
    before = quota_progress(2025, as_of=dt.date(2025, 9, 30))
    after = quota_progress(2025, as_of=dt.date(2025, 10, 8))
    assert before.working_days_remaining == after.working_days_remaining
    assert before.needed_per_working_day == after.needed_per_working_day
    # and the make-up Saturday 11 October counts as a working day ahead
    assert quota_progress(2025, as_of=dt.date(2025, 10, 10)).working_days_remaining == after.working_days_remaining - 2


def test_a_year_at_twice_last_years_profile_is_projected_at_twice_its_total(people, category, quota_2025):
    for month in range(1, 13):
        reports(people.inspector, category, noon(dt.date(2024, month, 15)), n=month)  # 78 in 2024
    for month in range(1, 7):
        reports(people.inspector, category, noon(dt.date(2025, month, 15)), n=2 * month)  # 42 by June
    progress = quota_progress(2025, as_of=dt.date(2025, 6, 30))
    assert progress.method == "seasonal" and progress.collected == 42
    assert progress.projection == progress.projection_low == progress.projection_high == 156


def test_only_the_collectors_channels_count(people, category, quota_2025):
    reports(people.inspector, category, noon(dt.date(2025, 5, 6)), n=2)
    reports(people.analyst, category, noon(dt.date(2025, 5, 6)), channel="video")
    reports(people.dispatcher, category, noon(dt.date(2025, 5, 6)), channel="hotline")
    assert quota_progress(2025, as_of=dt.date(2025, 5, 31)).collected == 3


def test_valid_report_rates_by_inspector_channel_and_month(people, category):
    other = make_person("inspector2", "inspector")
    mine = reports(people.inspector, category, noon(dt.date(2025, 5, 6)), n=4)
    theirs = reports(other, category, noon(dt.date(2025, 6, 3)), n=2)
    for case in mine[:3] + theirs[:1]:
        services.file(people.dispatcher, case, version=case.version)
    services.reject(people.dispatcher, mine[3], version=1, reason_code="duplicate", reason="重复")
    start, end = day_start(dt.date(2025, 1, 1)), day_start(dt.date(2026, 1, 1))
    by_inspector = {r["key"]: r for r in valid_rates(start, end, "inspector")}
    assert (by_inspector["inspector"]["reports"], by_inspector["inspector"]["filed"],
            by_inspector["inspector"]["rejected"], by_inspector["inspector"]["valid_rate"]) == (4, 3, 1, 0.75)
    assert (by_inspector["inspector2"]["pending"], by_inspector["inspector2"]["valid_rate"]) == (1, 0.5)
    by_month = {r["key"]: r["valid_rate"] for r in valid_rates(start, end, "month")}
    assert by_month == {"2025-05": 0.75, "2025-06": 0.5}
    assert [r["reports"] for r in valid_rates(start, end, "channel")] == [6]
    reports(people.analyst, category, noon(dt.date(2025, 6, 4)), channel="video")  # no inspector
    assert set(r["key"] for r in valid_rates(start, end, "inspector")) == {"inspector", "inspector2"}


def test_every_rate_drills_down_to_its_cases(people, category):
    reports(people.inspector, category, noon(dt.date(2025, 5, 6)), n=2, col=0.5)
    reports(people.inspector, category, noon(dt.date(2025, 5, 7)), n=1, col=4.5)
    reports(people.analyst, category, noon(dt.date(2025, 5, 8)), channel="video")
    start, end = day_start(dt.date(2025, 5, 1)), day_start(dt.date(2025, 6, 1))
    client = client_for(people.manager)
    for by in ("street", "grid", "inspector", "month", "channel"):
        for row in valid_rates(start, end, by):
            behind = client.get(row["cases_url"]).data
            assert behind["count"] == row["reports"], (by, row)


def test_the_api_answers_managers_only_and_says_what_is_missing(people, category, quota_2025):
    manager = client_for(people.manager, "en")
    data = manager.get("/api/v1/kpi/quota/", {"year": 2025, "as_of": "2025-06-30"}).data
    assert data["quota"] == 1000 and "on_pace" in data and data["working_days_total"] == 248
    missing = manager.get("/api/v1/kpi/quota/", {"year": 2031})
    assert missing.status_code == 404 and "2031" in missing.data["detail"]
    assert client_for(people.inspector).get("/api/v1/kpi/quota/").status_code == 403
    rates = manager.get("/api/v1/kpi/valid-rate/", {"start": "2025-01-01", "end": "2025-12-31", "by": "street"})
    assert rates.status_code == 200 and rates.data["results"] == []
    bad = manager.get("/api/v1/kpi/valid-rate/", {"start": "2025-12-31", "end": "2025-01-01", "by": "street"})
    assert bad.status_code == 400
    assert manager.get("/api/v1/kpi/valid-rate/", {"start": "2025-01-01", "end": "2025-12-31",
                                                    "by": "planet"}).status_code == 400
    assert Case.objects.count() == 0
