"""simulate_year plays cases through the services: every case agrees with its history."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone

from demo.simulate import Scale, Simulator
from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.org.names import person_names

pytestmark = pytest.mark.django_db


def test_a_simulated_week_obeys_the_rules(city):
    today = timezone.localdate()
    made = Simulator(Scale(5_000, 9_000), seed=7).run(today - dt.timedelta(days=6), today + dt.timedelta(days=30))
    assert made == Case.objects.count() > 50
    assert set(Case.objects.values_list("channel", flat=True)) == {"inspector", "video", "hotline"}
    assert Case.objects.filter(state="closed").exists() and Case.objects.filter(state="rejected").exists()
    assert not CaseEvent.objects.filter(at__gt=timezone.now()).exists()  # nothing in the future
    for case in Case.objects.annotate(n=Count("events")).prefetch_related("events"):
        events = list(case.events.all())
        assert [e.version for e in events] == list(range(1, case.version + 1)) == list(range(1, case.n + 1))
        assert events[-1].to_state == case.state
        assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
    rejected = Case.objects.filter(channel__in=["inspector", "video"], state="rejected").count()
    assert rejected < 0.2 * Case.objects.filter(channel__in=["inspector", "video"]).count()
    # The simulated staff have names for the evaluation to show, not their logins (#15).
    names = person_names(Case.objects.filter(reporter__isnull=False).values_list("reporter__username", flat=True))
    assert names and not [name for name in names.values() if name.startswith("sim_")]


def test_the_demo_inspector_walks_the_first_beat_of_the_simulation(city, people):
    from demo.simulate import DEMO_INSPECTOR

    demo = people.inspector
    assert demo.username == DEMO_INSPECTOR
    today = timezone.localdate()
    Simulator(Scale(5_000, 9_000), seed=7).run(today - dt.timedelta(days=6), today)
    assert Case.objects.filter(reporter=demo).exists()  # 城管通 shows whoever signs in as it their work
    assert demo.profile.grids.exists()
    assert not User.objects.filter(username="sim_inspector_01").exists()


class _Rollback(Exception):
    pass


def _rows() -> dict:
    """What a simulation wrote, by natural keys (case codes, usernames), without row ids
    and the wall-clock times of writing; events and tasks in the order they were written."""
    from urbanmgmt.cases.models import CaseSequence, InspectionTask
    from urbanmgmt.hotline.models import HotlineTicket

    skip = {"id", "updated_at", "imported_at", "point", "reporter", "checker", "case"}
    case_fields = [f.attname for f in Case._meta.concrete_fields if f.name not in skip]
    cases = {c.code: ({n: getattr(c, n) for n in case_fields}, c.point.coords, c.reporter and c.reporter.username,
                      c.checker and c.checker.username)
             for c in Case.objects.select_related("reporter", "checker")}
    tasks, task_keys = [], {}
    for task in InspectionTask.objects.order_by("id").select_related("case", "inspector", "done_by"):
        task_keys[task.pk] = (task.case.code, task.kind, sum(1 for t in tasks if t[0] == task.case.code))
        tasks.append((task.case.code, task.kind, task.inspector_id and task.inspector.username, task.created_at,
                      task.due_at, task.done_at, task.done_by and task.done_by.username, task.result, task.note))
    events = []
    for e in CaseEvent.objects.order_by("id").select_related("case", "actor"):
        payload = {**e.payload, **({"task": task_keys[e.payload["task"]]} if "task" in e.payload else {})}
        events.append((e.case.code, e.at, e.actor and e.actor.username, e.actor_role, e.action, e.from_state,
                       e.to_state, e.reason, payload, e.version))
    ticket_fields = [f.attname for f in HotlineTicket._meta.concrete_fields if f.name not in skip]
    tickets = {(t.source, t.external_id): ({n: getattr(t, n) for n in ticket_fields}, t.case and t.case.code)
               for t in HotlineTicket.objects.select_related("case")}
    return {"cases": cases, "events": events, "tasks": tasks, "tickets": tickets,
            "sequence": list(CaseSequence.objects.values_list("year", "last"))}


def _simulate(bulk: bool) -> dict:
    from django.db import transaction

    first, last = dt.date(2025, 9, 26), dt.date(2025, 10, 14)  # National Day week, make-up Sunday and Saturday
    try:
        with transaction.atomic():
            made = Simulator(Scale(4_000, 6_000), seed=11, bulk=bulk).run(first, last)
            rows = _rows()
            raise _Rollback
    except _Rollback:
        pass
    return {"made": made, **rows}


def test_the_bulk_path_writes_what_the_services_write(city):
    through_services = _simulate(bulk=False)
    in_bulk = _simulate(bulk=True)
    assert Case.objects.count() == 0  # both rolled back
    assert through_services["made"] > 200 and len(through_services["tickets"]) > 150
    actions = {e[4] for e in through_services["events"]}
    assert {"report", "file", "reject", "dispatch", "sign", "handle", "send_for_check", "check_pass",
            "close", "link"} <= actions, actions
    states = {ticket[0]["state"] for ticket in through_services["tickets"].values()}
    assert {"answered", "replied"} <= states, states
    assert any(ticket[0]["satisfaction"] for ticket in through_services["tickets"].values())
    for part in ("made", "sequence", "tasks", "tickets", "cases"):
        assert in_bulk[part] == through_services[part], part
    assert len(in_bulk["events"]) == len(through_services["events"])
    for mine, theirs in zip(in_bulk["events"], through_services["events"], strict=True):
        assert mine == theirs


def test_a_simulated_week_reads_like_a_citys(city):
    """What people read of the simulation: reports described by what was seen, rejections and
    replies in a dispatcher's words, consultations answered from the entry they ask about."""
    from demo.tickets import load_knowledge
    from urbanmgmt.hotline.models import HotlineTicket, KnowledgeEntry, TicketEvent

    load_knowledge()
    today = timezone.localdate()
    Simulator(Scale(5_000, 9_000), seed=7).run(today - dt.timedelta(days=6), today)
    collected = Case.objects.filter(channel__in=["inspector", "video"])
    assert collected.exists() and not collected.exclude(description__regex=r"^(巡查|视频)发现.+").exists()
    assert not CaseEvent.objects.filter(reason__contains="模拟").exists()
    assert not HotlineTicket.objects.filter(reply__contains="模拟").exists()
    answered = TicketEvent.objects.filter(kind=TicketEvent.Kind.ANSWERED, entry__isnull=False).select_related("ticket")
    assert answered.exists() and KnowledgeEntry.objects.exists()
    assert all(event.ticket.text == event.entry.question for event in answered)
