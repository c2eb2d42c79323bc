"""make run's 12345 demo: tickets on the demo's open cases (badges on the map), consultations
answered at intake, address-only tickets, the unplaced and the review queues; once."""

import datetime as dt

import pytest
from django.utils import timezone

from demo.tickets import SOURCE, load_hotline_demo
from tests.builders import report_case
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.models import HotlineTicket, TicketEvent, TicketState
from urbanmgmt.kpi.knowledge import online_answers

pytestmark = pytest.mark.django_db


def test_the_demo_tickets_fill_every_queue_and_load_once(people, gazetteer, category):
    cases = [report_case(people.inspector, category, col + 0.5, row + 0.5) for col in range(3) for row in range(2)]
    cases += [report_case(people.inspector, category, 0.02, 1.5), report_case(people.inspector, category, 5.5, 3.97)]
    said = []
    load_hotline_demo(said.append)
    tickets = HotlineTicket.objects.filter(source=SOURCE)
    assert tickets.count() >= 200
    # None refused: the pins near a case at the city's edge (2 and 3 m inside) are drawn inside.
    assert any("12345 demo tickets" in line and line.endswith(" 0 refused)") for line in said), said
    # Tickets on the demo's open cases are linked to them: the map's badge counts them.
    linked = tickets.filter(case__in=cases, owns_case=False)
    assert linked.exists() and all(t.link_reason.get("distance_m") is not None for t in linked)
    assert Case.objects.filter(pk__in=[c.pk for c in cases], ticket_count__gte=1).exists()
    assert tickets.filter(state=TicketState.ANSWERED, case__isnull=True).count() >= 30
    assert tickets.filter(place_method="gazetteer").exists()
    assert tickets.filter(state=TicketState.UNPLACED).exists()
    assert tickets.filter(needs_review=True).exists()
    assert Case.objects.filter(channel="hotline", ticket_count__gte=2).exists()  # repeat callers, one case
    count, cases_now = tickets.count(), Case.objects.count()
    load_hotline_demo(said.append)
    assert (tickets.count(), Case.objects.count()) == (count, cases_now)


def test_the_demo_answers_its_consultations_from_its_knowledge_base(people, gazetteer, category):
    """The managers' 在线解答率 on the demo: its consultations are answered at first contact
    from an entry of the knowledge base (it read 0 / 390 while they came answered in the
    file, with no entry named)."""
    said = []
    load_hotline_demo(said.append)
    tickets = HotlineTicket.objects.filter(source=SOURCE)
    answered = tickets.filter(state=TicketState.ANSWERED, case__isnull=True)
    events = TicketEvent.objects.filter(ticket__in=answered, kind=TicketEvent.Kind.ANSWERED, entry__isnull=False)
    assert answered.count() >= 30 and events.count() == answered.count()
    for event in events.select_related("ticket", "entry")[:10]:
        assert event.entry.answer == event.ticket.answer and event.ticket.received_at < event.at
        assert event.at - event.ticket.received_at < dt.timedelta(minutes=10)
    start, end = tickets.earliest("received_at").received_at, timezone.now()
    figures = online_answers(start, end)["online_answer"]
    assert figures["n"] == answered.count() and figures["d"] == tickets.count()
    assert any(f"{answered.count()} answered at first contact from the knowledge base" in line for line in said), said
