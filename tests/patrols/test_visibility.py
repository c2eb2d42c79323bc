"""Who sees a patrol's track: the inspector, the command centre, nobody else (DOMAIN §6a)."""

import uuid

from django.utils import timezone

from tests.builders import make_person, point_in
from urbanmgmt.patrols.models import Patrol, PatrolGap, PatrolPoint


def _patrol(inspector) -> Patrol:
    now = timezone.now()
    patrol = Patrol.objects.create(inspector=inspector, client_id=uuid.uuid4(), started_at=now)
    PatrolPoint.objects.create(patrol=patrol, seq=1, recorded_at=now, position=point_in(0.5, 0.5), received_at=now)
    PatrolGap.objects.create(patrol=patrol, started_at=now, ended_at=now, reason="hidden")
    return patrol


def test_an_inspector_sees_only_their_own_patrols(people):
    mine = _patrol(people.inspector)
    _patrol(make_person("inspector2", "inspector"))
    assert list(Patrol.objects.visible_to(people.inspector)) == [mine]
    assert list(PatrolPoint.objects.visible_to(people.inspector).values_list("patrol", flat=True)) == [mine.pk]
    assert list(PatrolGap.objects.visible_to(people.inspector).values_list("patrol", flat=True)) == [mine.pk]


def test_the_command_centre_sees_every_patrol(people):
    _patrol(people.inspector)
    _patrol(make_person("inspector2", "inspector"))
    for user in (people.dispatcher, people.manager, people.admin):
        assert Patrol.objects.visible_to(user).count() == 2
        assert PatrolPoint.objects.visible_to(user).count() == 2


def test_handlers_analysts_and_outsiders_see_no_track(people):
    _patrol(people.inspector)
    for user in (people.handler, people.analyst, people.outsider):
        assert not Patrol.objects.visible_to(user).exists()
        assert not PatrolPoint.objects.visible_to(user).exists()
        assert not PatrolGap.objects.visible_to(user).exists()
