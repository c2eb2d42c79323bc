"""Figures stored per day (kpi/daily.py) answer exactly what counting afresh answers, and
the database's triggers mark the days a later write makes stale."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests.builders import report_case
from urbanmgmt.cases import clock, services
from urbanmgmt.cases.models import Case, InspectionTask
from urbanmgmt.kpi import daily
from urbanmgmt.kpi.collection import BREAKDOWNS, quota_progress, valid_rates
from urbanmgmt.kpi.evaluation import evaluate
from urbanmgmt.kpi.loader import load_schemes
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota, DayDone, DayFigure, DirtyDay
from urbanmgmt.kpi.schemes import WHO
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=day_start(day).tzinfo)


def everything(start, end) -> dict:
    """Every figure the dashboard and the workbook show, for the city."""
    today = timezone.localdate()
    loop = loop_kpis(start, end)
    loop["on_time_completion"].pop("cases_url")  # up to the moment it was asked
    return {"evaluation": {who: evaluate(who, start, end) for who in WHO},
            "valid": {by: valid_rates(start, end, by) for by in BREAKDOWNS},
            "loop": loop, "quota": quota_progress(today.year, as_of=today).as_dict()}


def by_area(start, end) -> dict:
    """The 12345 figures of each street and the district, and of a community (always counted afresh)."""
    from urbanmgmt.grids.models import Area

    out = {}
    for area in Area.objects.filter(level__in=("district", "street", "community")).order_by("code"):
        loop = loop_kpis(start, end, area)
        loop["on_time_completion"].pop("cases_url")
        out[area.code] = loop
    return out


def afresh(start, end) -> dict:
    with override_settings(KPI_LIVE_DAYS=100_000):  # no stored day: every figure counted from the rows
        return everything(start, end)


def past_month(people, category):
    """A month of work some 20–40 days ago, every step at its own time."""
    hz = Department.objects.get(code="HZ-HWC")
    for n, days_ago in enumerate(range(40, 20, -2)):
        with clock.at(at(days_ago, 9)):
            case = report_case(people.inspector, category, col=0.5 + n % 3)
            hotline = report_case(people.dispatcher, category, channel="hotline", request_type="complaint")
        with clock.at(at(days_ago, 10)):
            if n % 4 == 3:
                services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="重复")
                continue
            case = services.file(people.dispatcher, case, version=case.version)
            case = services.dispatch(people.dispatcher, case, version=case.version, department=hz)
            hotline = services.file(people.dispatcher, hotline, version=hotline.version)
            hotline = services.dispatch(people.dispatcher, hotline, version=hotline.version, department=hz)
        with clock.at(at(days_ago, 11 if n % 2 else 16)):
            case = services.sign(people.handler, case, version=case.version)
        with clock.at(at(days_ago - 1, 9)):
            if n % 3 == 0:
                continue  # left open
            case = services.handle(people.handler, case, version=case.version, reply="已清运")
            hotline = services.handle(people.handler, hotline, version=hotline.version, reply="已处理")
            case = services.send_for_check(people.dispatcher, case, version=case.version)
        with clock.at(at(days_ago - 1, 10 if n % 2 else 15)):
            services.complete_task(people.inspector, InspectionTask.objects.get(case=case), result="fixed")


@pytest.fixture
def month(people, category):
    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    AnnualQuota.objects.create(year=timezone.localdate().year, collection_total=1000, valid_rate="0.950")
    past_month(people, category)
    today = timezone.localdate()
    return day_start(today - dt.timedelta(days=45)), day_start(today + dt.timedelta(days=1))


def test_stored_days_answer_what_counting_afresh_answers(month):
    start, end = month
    assert DirtyDay.objects.exists()  # the month was written after its days: marked
    stored = everything(start, end)
    assert DayDone.objects.exists() and DayFigure.objects.exists() and not DirtyDay.objects.exists()
    assert stored == afresh(start, end)
    assert stored["valid"]["channel"][0]["reports"] == 10
    inspector = stored["evaluation"]["inspector"]["rows"][0]
    assert inspector["values"]["valid_report_rate"]["n"] == 8  # 10 reports, 2 rejected (n = 3, 7)
    assert everything(start, end) == stored  # read again from the stored days
    areas = by_area(start, end)
    with override_settings(KPI_LIVE_DAYS=100_000):
        assert areas == by_area(start, end)
    assert areas["320706"]["dispatch_accuracy"]["d"] == stored["loop"]["dispatch_accuracy"]["d"] > 0


def test_a_later_change_to_an_old_case_recounts_its_days(people, month):
    start, end = month
    before = everything(start, end)
    old_open = Case.objects.filter(channel="inspector", state="dispatched").order_by("reported_at").first()
    case = services.handle(people.handler, old_open, version=old_open.version, reply="补处置")  # today
    assert DirtyDay.objects.filter(day=timezone.localtime(case.reported_at).date()).exists()
    case = services.send_for_check(people.dispatcher, case, version=case.version)
    case = services.complete_task(people.inspector, InspectionTask.objects.get(case=case, done_at=None), result="fixed")
    services.close(people.dispatcher, case, version=case.version)  # closed now: counted on its (old) due day
    after = everything(start, end)
    assert after == afresh(start, end)
    assert after["evaluation"]["department"] != before["evaluation"]["department"]


def test_todays_work_marks_nothing_and_every_table_has_its_trigger(people, category, month):
    start, end = month
    everything(start, end)
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=case.version)
    assert not DirtyDay.objects.exists()
    # A task due on a past day, and an event on one (as the bulk ledger writes them): each marks it.
    InspectionTask.objects.create(case=case, kind="check", created_at=at(30), due_at=at(30, 15))
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [at(30).date()]


def test_renaming_an_inspector_drops_the_figures_that_name_them(people, month):
    start, end = month
    everything(start, end)
    people.inspector.username = "inspector_renamed"
    people.inspector.save()
    rows = evaluate("inspector", start, end)["rows"]
    assert "inspector_renamed" in {row["subject"] for row in rows}
    assert everything(start, end) == afresh(start, end)
    assert daily.live_from() == timezone.localdate() - dt.timedelta(days=settings.KPI_LIVE_DAYS)
