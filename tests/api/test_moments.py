"""Times from outside that make no sense (year 0048, before the earliest day, tomorrow) are
refused with the reason wherever they come in: the 12345 push API and file import (the row
alone, with its line), a case's report time, an inspector's capture time."""

import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.builders import client_for, point_in
from tests.collectors_app.test_reports import form, post
from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.mapping import Mapping
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.hotline.readers import read

pytestmark = pytest.mark.django_db

AN_HOUR_AGO = f"{timezone.localtime() - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}"
TOMORROW = f"{timezone.localtime() + dt.timedelta(days=1):%Y-%m-%d %H:%M:%S}"


def test_the_push_api_refuses_a_ticket_of_year_0048_alone_with_its_reason(people):
    rows = [row("OLD", at="0048-05-01 10:00:00", col=1.5, cell=1.5), row("LATE", at=TOMORROW, col=1.5, cell=1.5),
            row("NOW", at=AN_HOUR_AGO, col=1.5, cell=1.5)]
    response = client_for(people.dispatcher).post("/api/v1/hotline/tickets/", rows, format="json")
    assert response.status_code == 201, response.data
    refused = {item["external_id"]: item for item in response.data["refused"]}
    assert set(refused) == {"OLD", "LATE"}
    assert "2000-01-01" in refused["OLD"]["reason"] and refused["OLD"]["line"] == 1
    assert "晚于当前时间" in refused["LATE"]["reason"]
    assert list(HotlineTicket.objects.values_list("external_id", flat=True)) == ["NOW"]


def test_the_earliest_day_is_a_setting(people, settings):
    settings.EARLIEST_DAY = dt.date(2020, 1, 1)
    summary = import_rows([row("T2019", at="2019-06-01 09:00:00", col=1.5, cell=1.5)], source="s",
                          actor=people.dispatcher)
    assert summary.created == 0 and "2020-01-01" in summary.rejected[0][2]


def test_a_file_row_before_the_earliest_day_is_refused_with_its_line(people):
    data = csv_bytes([row("A", at=AN_HOUR_AGO, col=1.5, cell=1.5), row("B", at="1999-12-31 23:59:00", col=1.5, cell=1.5)])
    mapping = Mapping()
    summary = import_rows(read(io.BytesIO(data), "t.csv", mapping, []), source="f", actor=people.dispatcher,
                          mapping=mapping)
    assert summary.created == 1
    [(line, ref, reason)] = summary.rejected
    assert (line, ref) == (3, "B") and "2000-01-01" in reason


def test_a_callback_time_before_the_earliest_day_refuses_the_row(people):
    summary = import_rows([row("CB", at=AN_HOUR_AGO, col=1.5, cell=1.5, 回访结果="满意", 回访时间="0048-01-01 00:00:00")],
                          source="s", actor=people.dispatcher)
    assert summary.created == 0 and "2000-01-01" in summary.rejected[0][2]


@pytest.mark.parametrize("when", ["0048-01-01T00:00:00+08:00", "1999-12-31T12:00:00Z"])
def test_a_case_reported_before_the_earliest_day_is_refused(people, category, when):
    a = point_in(0.5, 0.5)
    response = client_for(people.dispatcher).post("/api/v1/cases/", {
        "channel": "other", "lon": a.x, "lat": a.y, "category": category.service_code, "reported_at": when,
    }, format="json")
    assert response.status_code == 400 and "2000-01-01" in str(response.data["reported_at"]), response.data
    assert not Case.objects.exists()


def test_an_inspector_photo_taken_before_the_earliest_day_is_refused(people):
    response = post(client_for(people.inspector), form(captured_at="1970-01-01T08:00:00+08:00"))
    assert response.status_code == 400 and "2000-01-01" in str(response.data["captured_at"]), response.data
    assert not Case.objects.exists()
