"""12345 timeliness, campaigns, the Excel workbook read back, and the page's access."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tests.builders import client_for, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, WorkDay
from urbanmgmt.catalog.models import Category
from urbanmgmt.kpi.collection import campaign_progress
from urbanmgmt.kpi.loop import loop_kpis
from urbanmgmt.kpi.models import AnnualQuota, Campaign
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def period():
    today = timezone.localdate()
    return day_start(today - dt.timedelta(days=1)), day_start(today + dt.timedelta(days=30))


def hotline_case(people, category, request_type="complaint"):
    case = report_case(people.dispatcher, category, channel="hotline", request_type=request_type)
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))


def test_signing_late_and_on_time_and_a_misrouted_dispatch(people, category):
    on_time = hotline_case(people, category)
    services.sign(people.handler, on_time, version=on_time.version)
    late = hotline_case(people, category)
    Case.objects.filter(pk=late.pk).update(sign_due_at=timezone.now() - dt.timedelta(minutes=5))
    services.sign(people.handler, Case.objects.get(pk=late.pk), version=late.version)
    returned = hotline_case(people, category)
    returned = services.return_case(people.handler, returned, version=returned.version, reason="非本单位")
    services.approve_return(people.dispatcher, returned, version=returned.version)
    report_case(people.inspector, category)  # not 12345: not counted

    kpis = loop_kpis(*period())
    assert (kpis["on_time_signing"]["n"], kpis["on_time_signing"]["d"]) == (1, 2)
    assert (kpis["dispatch_accuracy"]["n"], kpis["dispatch_accuracy"]["d"]) == (2, 3)
    assert kpis["satisfaction"]["value"] is None and "回访" in kpis["satisfaction"]["note"]
    behind = client_for(people.manager).get(kpis["on_time_signing"]["cases_url"]).data
    assert behind["count"] == 2  # the returned one, routed back to the dispatcher, has nothing to sign


def test_handling_time_in_working_days_apart_for_consultations(people, category):
    case = hotline_case(people, category, "consultation")
    Case.objects.filter(pk=case.pk).update(dispatched_at=timezone.now() - dt.timedelta(days=7))
    services.handle(people.handler, Case.objects.get(pk=case.pk), version=case.version, reply="已答复")
    days = loop_kpis(*period())["avg_handling_working_days"]
    assert days["consultation"] >= 3 and days["other"] is None


def test_a_campaign_counts_its_categories_in_its_period(people):
    today = timezone.localdate()
    campaign = Campaign.objects.create(name="占道经营专项", starts_on=today - dt.timedelta(days=2),
                                       ends_on=today + dt.timedelta(days=5), target_count=4)
    campaign.categories.set(Category.objects.filter(service_code__in=["E0501", "E0504"]))
    report_case(people.inspector, Category.objects.get(service_code="E0501"))
    report_case(people.inspector, Category.objects.get(service_code="E0504"))
    report_case(people.inspector, Category.objects.get(service_code="E0102"))  # another category
    [row] = campaign_progress(*period())
    assert (row["count"], row["share"]) == (2, 0.5)
    assert client_for(people.manager).get(row["cases_url"]).data["count"] == 2


def test_the_workbook_has_every_table_and_reads_back(people, category):
    AnnualQuota.objects.create(year=timezone.localdate().year, collection_total=135000, valid_rate="0.970")
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=case.version)
    from django.conf import settings

    from urbanmgmt.kpi.loader import load_schemes

    load_schemes(settings.FIXTURES_DIR / "kpi" / "evaluation.json")
    client = Client()
    client.force_login(people.manager)
    today = timezone.localdate().isoformat()
    response = client.get("/kpi/export.xlsx", {"start": today, "end": today})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    expected = {"年度指标", "有效上报率-监督员", "有效上报率-月份", "12345时效", "专项采集", "评价-监督员", "评价-区域"}
    assert expected <= set(book.sheetnames)
    rows = list(book["有效上报率-监督员"].iter_rows(values_only=True))
    assert rows[0][0] == "监督员" and rows[1][:3] == ("inspector", 1, 1)
    quota = dict(book["年度指标"].iter_rows(values_only=True))
    assert quota["采集指标"] == 135000 and quota["已采集"] == 1
    assert client.get("/kpi/export.xlsx", {"start": today, "end": "2000-01-01"}).status_code == 400



def test_only_managers_open_the_dashboard(people):
    for user, status in ((people.manager, 200), (people.inspector, 403), (people.handler, 403)):
        client = Client()
        client.force_login(user)
        assert client.get("/kpi/").status_code == status
    assert Client().get("/kpi/").status_code == 302


def test_handling_days_count_working_time_over_a_holiday_week_and_make_up_days(people, category):
    """National Day 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked."""
    from urbanmgmt.cases import worktime
    from urbanmgmt.kpi.loop import handling_days, handling_figures

    at = lambda *parts: dt.datetime(*parts, tzinfo=day_start(dt.date(2025, 1, 1)).tzinfo)  # noqa: E731
    spans = [  # (dispatched, handled, working minutes counted by hand)
        (at(2025, 9, 30, 16, 30), at(2025, 10, 9, 9, 30), 60 + 60),  # 16:30–17:30, the holiday week, 08:30–09:30
        (at(2025, 10, 11, 10, 0), at(2025, 10, 13, 10, 0), 120 + 240 + 90),  # make-up Saturday, Sunday off
        (at(2025, 9, 27, 20, 0), at(2025, 9, 28, 12, 30), 210),  # Saturday night off, make-up Sunday morning
    ]
    from urbanmgmt.cases import clock

    for dispatched, handled, _minutes in spans:
        case = hotline_case(people, category)
        Case.objects.filter(pk=case.pk).update(dispatched_at=dispatched)
        with clock.at(handled):
            services.handle(people.handler, Case.objects.get(pk=case.pk), version=case.version, reply="已处理")
    for dispatched, handled, minutes in spans:
        assert worktime.working_minutes_between(dispatched, handled) == minutes
    days = handling_days(handling_figures(Case.objects.filter(channel="hotline")))
    assert days == {"consultation": None, "other": round((120 + 450 + 210) / 3 / 450, 2)}
    # The calendar changes after the fact (8 October worked after all): the span across it counts again.
    day = WorkDay.objects.get(date=dt.date(2025, 10, 8))
    day.is_workday, day.source = True, "manual"
    day.save()
    days = handling_days(handling_figures(Case.objects.filter(channel="hotline")))
    assert days == {"consultation": None, "other": round((120 + 450 + 450 + 210) / 3 / 450, 2)}
