"""Many web nodes: what a worker keeps in memory checks a version kept in the database. The
12345 suggester (built from the newest trained classifier) used to be rebuilt only after its
60-second TTL in every process but the one that trained; a version trained elsewhere (a task
worker, another node) is now used at the next check."""

import pytest

from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline import suggest
from urbanmgmt.hotline.bureaus import load_bureaus
from urbanmgmt.hotline.models import Bureau, ClassifierVersion, TicketDecision
from urbanmgmt.hotline.training import train

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureaus(db):
    load_bureaus()
    suggest.invalidate_suggester()


def decisions() -> None:
    category, bureau = Category.objects.get(service_code="E0101").pk, Bureau.objects.get(code="RSJ").pk
    for text in ["楼顶彩钢棚越盖越大", "院子里违建彩钢棚", "楼顶加盖彩钢棚", "彩钢棚搭到路边"]:
        TicketDecision.objects.create(text=text, kind="corrected", in_scope=True, category_id=category)
    for text in ["老板拖欠工资不给", "工地拖欠农民工工资", "公司欠薪三个月"]:
        TicketDecision.objects.create(text=text, kind="forwarded", in_scope=False, bureau_id=bureau)


def test_a_classifier_trained_in_another_process_is_used_at_the_next_check(city, bureaus, settings):
    decisions()
    first = train()
    assert suggest.suggester().version == first.version
    settings.GRID_INDEX_TTL_S = 0
    # Another process trains: its row arrives, no signal of this process says so.
    ClassifierVersion.objects.create(version=first.version + 1, trained_at=first.trained_at, examples=first.examples,
                                     held_out=first.held_out, evaluation=first.evaluation, weights=first.weights)
    assert suggest.suggester().version == first.version + 1


def test_without_a_change_the_suggester_is_kept(city, bureaus, settings):
    settings.GRID_INDEX_TTL_S = 0
    assert suggest.suggester() is suggest.suggester()
