"""simulate_year plays cases through the services: every case agrees with its history."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from urbanmgmt.cases.models import Case, CaseEvent
from urbanmgmt.kpi.simulate import Scale, Simulator

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
