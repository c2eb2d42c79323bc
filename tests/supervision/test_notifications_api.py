"""The notifications through the API, as 城管通 reads them with its token (it has no browser
session for the bell's page): the person's own, newest first, in the request's language;
one or all marked read; a wrong number refused."""

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.supervision.conftest import MONDAY, dispatched_at
from urbanmgmt.supervision import services
from urbanmgmt.supervision.models import Level, Notification, Subject
from urbanmgmt.supervision.services import Target

pytestmark = pytest.mark.django_db
LIST, READ = "/api/v1/notifications/", "/api/v1/notifications/read/"


def with_token(user, language="zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def two_notices(people, category):
    """Two notices on two cases: the handler is told of each."""
    notices = []
    for col in (0.5, 1.5):
        case = dispatched_at(people, category, MONDAY, col=col)
        notices.append(services.raise_notice(people.dispatcher, Target(Subject.CASE, case_id=case.pk),
                                             level=Level.SUPERVISE, request="请于今日内处置完毕"))
    return notices


def test_the_list_is_the_persons_own_newest_first_in_their_language(people, two_notices):
    Notification.objects.filter(event__notice=two_notices[1]).update(created_at=timezone.now())
    chinese = with_token(people.handler).get(LIST)
    assert chinese.status_code == 200 and chinese.json()["unread"] == 2
    rows = chinese.json()["results"]
    assert [r["read"] for r in rows] == [False, False]
    assert rows[0]["id"] == Notification.objects.get(event__notice=two_notices[1]).pk
    assert "督办" in rows[0]["headline"] and two_notices[1].case.code in rows[0]["headline"]
    english = with_token(people.handler, "en").get(LIST).json()["results"]
    assert english[0]["headline"] == f"Raised · Supervision · Case {two_notices[1].case.code}"
    assert with_token(people.other_handler).get(LIST).json() == {"unread": 0, "results": []}
    assert APIClient().get(LIST).status_code in (401, 403)


def test_one_or_all_are_marked_read_and_a_wrong_number_is_refused(people, two_notices):
    client = with_token(people.handler)
    first, second = Notification.objects.filter(user=people.handler).order_by("pk")
    assert client.post(READ, {"id": first.pk}, format="json").json() == {"unread": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    # Another person's notification is not theirs to mark.
    theirs = Notification.objects.create(user=people.other_handler, event=first.event, created_at=timezone.now())
    assert client.post(READ, {"id": theirs.pk}, format="json").json() == {"unread": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    for wrong in ({"id": "x"}, {"id": 0}, {"id": True}, [1]):
        answer = client.post(READ, wrong, format="json")
        assert answer.status_code == 400, wrong
    assert Notification.objects.filter(user=people.handler, read_at__isnull=True).count() == 1
    assert client.post(READ, {}, format="json").json() == {"unread": 0}
    assert [r["read"] for r in client.get(LIST).json()["results"]] == [True, True]
