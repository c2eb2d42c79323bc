"""A video candidate is found by its number (#15 point 2): the map's search answers it with its
case to whoever may see it, written as the review queue shows it."""

import pytest
from django.test import Client

from tests.builders import client_for
from tests.vision.test_channel import candidate, post
from vision import services
from vision.models import CandidateEvent

pytestmark = pytest.mark.django_db


def find(user, q):
    answer = client_for(user, "zh-hans").get("/api/v1/map/find/", {"q": q})
    assert answer.status_code == 200, answer.content
    return answer.json()["candidates"]


def test_a_candidate_is_found_by_its_number_with_its_case_within_what_the_user_may_see(zone, worker_key, people):
    assert post(worker_key, candidate(zone)).status_code == 201
    raised = CandidateEvent.objects.get()
    for written in (str(raised.pk), f"#{raised.pk}", f"候选 #{raised.pk}"):
        [found] = find(people.analyst, written)
        assert (found["id"], found["case"], found["status"]) == (raised.pk, None, "pending")
    assert find(people.dispatcher, str(raised.pk))[0]["id"] == raised.pk
    assert find(people.handler, str(raised.pk)) == []  # no case of theirs behind it
    assert find(people.outsider, str(raised.pk)) == []
    assert find(people.analyst, "no number") == []

    case = services.confirm(people.analyst, raised)
    [found] = find(people.dispatcher, f"#{raised.pk}")
    assert (found["case"], found["case_code"]) == (case.pk, case.code)
    assert found["lon"] == pytest.approx(raised.point.x)


def test_the_review_queue_shows_each_candidates_number(zone, worker_key, people):
    post(worker_key, candidate(zone))
    browser = Client()
    browser.force_login(people.analyst)
    page = browser.get("/vision/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"候选 #{CandidateEvent.objects.get().pk}" in page
