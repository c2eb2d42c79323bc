"""The department suggested at import: the ownership register's once a ticket's place and
category are known (the rules dispatch suggests from), the text model's only without them."""


import pytest

from tests.hotline.helpers import row
from urbanmgmt.cases import clock
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline import services
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.learning import Example, Linear, Models, pack
from urbanmgmt.hotline.models import ClassifierVersion, HotlineTicket
from urbanmgmt.hotline.suggest import invalidate_suggester
from urbanmgmt.hotline.training import seeds

pytestmark = pytest.mark.django_db

GARBAGE = "小区门口暴露垃圾没人清理，味道很大"


def department_of(ticket_id: str) -> str | None:
    ticket = HotlineTicket.objects.select_related("department").get(external_id=ticket_id)
    return ticket.department.code if ticket.department_id else None


@pytest.fixture
def text_model_says_cgj(db, settings):
    """A classifier version whose department model sends rubbish to HZ-CGJ and lamps to
    HZ-YLC (the register owns rubbish to HZ-HWC city-wide). Six examples give it 0.63 for
    HZ-CGJ on GARBAGE: the bar is lowered so that the text model does name a department."""
    settings.HOTLINE_DEPARTMENT_ABOVE = 0.5
    departments = Linear.fit([Example(t, "HZ-CGJ") for t in (GARBAGE, "路边暴露垃圾堆了好几天", "垃圾没人清理很臭")]
                             + [Example(t, "HZ-YLC") for t in ("路灯不亮好几天了", "小区门口路灯坏了", "晚上路灯全黑")])
    ClassifierVersion.objects.create(version=1, trained_at=clock.now(), examples=6, held_out=0, decisions_seen=0,
                                     evaluation={}, weights=pack(Models.fit(seeds()), departments))
    invalidate_suggester()
    yield
    invalidate_suggester()


def test_a_placed_ticket_gets_the_department_the_ownership_register_names(people, gazetteer):
    import_rows([row("R1", col=1.5, cell=1.5, text=GARBAGE),  # E01 city-wide → the sanitation office
                 row("R2", col=4.5, cell=1.5, text="路边有无照游商在摆摊卖水果"),  # E0501 in 新浦街道 → its office
                 row("R3", address="不知道在哪里", text=GARBAGE)],  # no place: no rule can apply
                source="s", actor=people.dispatcher)
    assert department_of("R1") == "HZ-HWC"
    assert HotlineTicket.objects.get(external_id="R2").department.name == "新浦街道办事处"
    assert department_of("R3") is None


def test_the_register_beats_the_text_model_which_serves_only_without_a_place(people, gazetteer, text_model_says_cgj):
    import_rows([row("T1", col=1.5, cell=1.5, text=GARBAGE), row("T2", address="不知道在哪里", text=GARBAGE)],
                source="s", actor=people.dispatcher)
    assert department_of("T1") == "HZ-HWC"
    assert department_of("T2") == "HZ-CGJ"


def test_placing_or_classifying_by_hand_takes_the_registers_department(people, gazetteer):
    import_rows([row("H1", address="不知道在哪里", text=GARBAGE)], source="s", actor=people.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="H1")
    assert ticket.department_id is None
    from tests.builders import point_in

    spot = point_in(4.5, 1.5)
    services.place(people.dispatcher, ticket, spot.x, spot.y)
    assert department_of("H1") == "HZ-HWC"
    services.classify(people.dispatcher, HotlineTicket.objects.get(external_id="H1"),
                      Category.objects.get(service_code="E0501"))
    assert HotlineTicket.objects.get(external_id="H1").department.name == "新浦街道办事处"
