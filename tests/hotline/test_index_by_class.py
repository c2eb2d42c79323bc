"""An import's open-case index holds the cases of the major classes its tickets need, loaded
as batches bring new classes or older tickets: a single pushed ticket reads its class's open
cases, not the city's, and links as it did when the index held every open case."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.builders import report_case
from tests.hotline.helpers import row
from urbanmgmt.cases import clock
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline import importer
from urbanmgmt.hotline.importer import Importer
from urbanmgmt.hotline.models import HotlineTicket

pytestmark = pytest.mark.django_db
MANHOLE = "人行道上的下水井盖缺失，晚上看不见很危险"


def _candidates(index) -> set[int]:
    return {c.case_id for cell in index.cells.values() for c in cell}


def test_one_ticket_reads_the_open_cases_of_its_class_only_and_links(people, gazetteer, category):
    garbage = report_case(people.inspector, category, col=1.5, row=1.5, description="小区门口暴露垃圾无人清理")
    manhole = report_case(people.inspector, Category.objects.get(service_code="C0102"), col=1.5, row=1.5,
                          description="下水井盖缺失")
    run = Importer(people.dispatcher, "s")
    summary = run.run([row("T1", col=1.52, cell=1.5)])
    assert summary.linked == 1 and HotlineTicket.objects.get(external_id="T1").case == garbage
    assert run.index_of == set(Category.objects.filter(major=category.major).values_list("pk", flat=True))
    assert garbage.pk in _candidates(run.index) and manhole.pk not in _candidates(run.index)


def test_later_batches_add_their_classes_and_older_days(people, gazetteer, category, monkeypatch):
    """Batches of one row: the second brings a class not loaded yet (its case is found), the
    third a ticket older than the first by more than the longest window (its day's case,
    before the days loaded for the first, is found)."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 1)
    manhole = report_case(people.inspector, Category.objects.get(service_code="C0102"), col=2.5, row=2.5,
                          description="下水井盖缺失")
    long_ago = timezone.now() - dt.timedelta(days=40)
    with clock.at(long_ago - dt.timedelta(hours=2)):
        old = report_case(people.inspector, category, col=3.5, row=3.5, description="小区门口暴露垃圾无人清理")
    run = Importer(people.dispatcher, "s")
    summary = run.run([row("T1", col=1.5, cell=1.5),
                       row("T2", col=2.52, cell=2.5, text=MANHOLE),
                       row("T3", col=3.52, cell=3.5, at=f"{timezone.localtime(long_ago):%Y-%m-%d %H:%M:%S}")])
    assert (summary.linked, summary.cases_created) == (2, 1)
    assert HotlineTicket.objects.get(external_id="T2").case == manhole
    assert HotlineTicket.objects.get(external_id="T3").case == old
    assert {manhole.pk, old.pk} <= _candidates(run.index)
