"""Webhooks out (issue #18, point 4): events delivered to a real HTTP receiver started by the
test, signed, retried with backoff, idempotent by event id, replayable from the admin, and
written with the domain write or not at all."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.builders import point_in, report_case
from tests.webhooks.receiver import Receiver
from urbanmgmt.cases import clock, services
from urbanmgmt.cases.models import Channel, State
from urbanmgmt.hotline import services as hotline
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.worker import drain
from urbanmgmt.org.models import Department
from urbanmgmt.supervision import services as supervision
from urbanmgmt.supervision.models import Level, Subject
from urbanmgmt.webhooks.models import Delivery, Event, EventType, Subscription

pytestmark = pytest.mark.django_db
SECRET = "s3cret-shared-with-the-receiver"


@pytest.fixture
def receiver():
    with Receiver(SECRET) as running:
        yield running


def subscribe(receiver, events=tuple(EventType.values), secret=SECRET, path="/hook") -> Subscription:
    subscription = Subscription(name="12345 平台", url=receiver.url(path), secret=secret, events=list(events))
    subscription.full_clean()
    subscription.save()
    return subscription


def webhook_jobs():
    return Job.objects.filter(kind__startswith="urbanmgmt.webhooks.")


def move_time_to_the_retry() -> None:
    """The retries' messages fall due now (what waiting out the backoff would do)."""
    assert DBTaskResult.objects.ready().count() == 0  # not before its time
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_each_event_type_reaches_the_receiver_signed_once_with_its_event_id(people, category, receiver):
    subscribe(receiver)
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version,
                             department=Department.objects.get(code="HZ-HWC"))
    case = services.sign(people.handler, case, version=case.version)  # no new state: no event
    notice = supervision.raise_notice(people.dispatcher, supervision.Target(Subject.CASE, case_id=case.pk),
                                      level=Level.SUPERVISE, request="请说明超期原因")
    consultation = HotlineTicket.objects.create(source="12345", external_id="GD-1", received_at=timezone.now(),
                                                request_type="consultation", link_reason={})
    hotline.answer(people.dispatcher, consultation, "垃圾清运时间为每日 6 点和 18 点")
    assert drain() > 0
    got = {(r.event_type, r.document["type"]) for r in receiver.received}
    assert got == {(t, t) for t in EventType.values}
    assert [r.event_type for r in receiver.received if r.event_type.startswith("case.")] == [
        "case.created", "case.state_changed", "case.state_changed"]  # in the order they happened
    assert sorted(receiver.ids()) == sorted(str(pk) for pk in Event.objects.values_list("pk", flat=True))
    created, filed, dispatched = [r.document for r in receiver.received if r.event_type.startswith("case.")]
    assert created["occurred_at"].endswith("+08:00")
    assert created["data"]["case"]["code"] == case.code and created["data"]["case"]["state"] == State.REPORTED
    assert (dispatched["data"]["case"]["state"], dispatched["data"]["case"]["from_state"],
            dispatched["data"]["case"]["version"], dispatched["data"]["case"]["department"]) == (
        State.DISPATCHED, State.FILED, 3, "HZ-HWC")
    assert created["data"]["case"]["category"]["code"] == category.code and created["data"]["case"]["grid"]
    raised = next(r.document["data"]["notice"] for r in receiver.received if r.event_type == "notice.raised")
    assert (raised["id"], raised["level"], raised["case"]["code"], raised["department"]) == (
        notice.pk, Level.SUPERVISE, case.code, "HZ-HWC")
    answered = next(r.document["data"]["ticket"] for r in receiver.received if r.event_type == "ticket.answered")
    assert (answered["number"], answered["reply"]) == ("GD-1", "垃圾清运时间为每日 6 点和 18 点")
    assert set(Delivery.objects.values_list("state", "attempts")) == {(Delivery.State.DELIVERED, 1)}
    assert drain() == 0 and len(receiver.requests) == len(receiver.received)  # each sent once


def test_a_ticket_is_told_answered_when_its_case_ends(people, category, receiver):
    subscribe(receiver, [EventType.TICKET_ANSWERED])
    case, _created = services.report(people.dispatcher, channel=Channel.HOTLINE, point=point_in(0.5, 0.5),
                                     category=category, external_ref="12345:GD-7", tickets=1)
    HotlineTicket.objects.create(source="12345", external_id="GD-7", received_at=timezone.now(),
                                 request_type="complaint", case=case, owns_case=True, state="open", link_reason={})
    services.reject(people.dispatcher, case, version=case.version, reason_code="other", reason="非城管职责")
    drain()
    [got] = receiver.received
    ticket = got.document["data"]["ticket"]
    assert (got.event_type, ticket["number"], ticket["case"]["code"], ticket["state"]) == (
        "ticket.answered", "GD-7", case.code, "replied")
    assert ticket["reply"] and ticket["replied_at"].endswith("+08:00")


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_tried_again(people, category, receiver):
    subscribe(receiver, secret="not-the-receivers-secret")
    report_case(people.inspector, category)
    drain()
    delivery = Delivery.objects.get()
    assert (receiver.refused, receiver.received) == (1, [])
    assert (delivery.state, delivery.attempts, delivery.last_status) == (Delivery.State.FAILED, 1, 401)
    assert "401" in delivery.last_error and webhook_jobs().get().state == JobState.DONE
    assert drain() == 0 and receiver.refused == 1


def test_a_receiver_failing_twice_gets_the_event_once_after_growing_waits(people, category, receiver, settings):
    settings.TASKS_RETRY_BASE_S = 60
    receiver.answers = [500, 503]
    subscribe(receiver)
    report_case(people.inspector, category)
    waits = []
    for attempt in (1, 2):
        drain()
        delivery, job = Delivery.objects.get(), webhook_jobs().get()
        assert (delivery.state, delivery.attempts, job.state) == (Delivery.State.PENDING, attempt, JobState.RETRYING)
        assert delivery.last_status in (500, 503) and delivery.last_error.startswith("HTTP 5")
        waits.append((job.run_after - job.started_at).total_seconds())
        move_time_to_the_retry()
    assert 0.75 * 60 <= waits[0] <= 1.25 * 60 and 0.75 * 120 <= waits[1] <= 1.25 * 120  # doubling, with jitter
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status, delivery.last_error) == (
        Delivery.State.DELIVERED, 3, 200, "")
    assert len(set(receiver.requests)) == 1 and len(receiver.requests) == 3  # one event id every time
    assert receiver.ids() == [str(delivery.event_id)]


def test_a_receiver_that_cannot_be_reached_is_tried_again(people, category, receiver, settings):
    settings.TASKS_RETRY_BASE_S = 60
    subscription = subscribe(receiver)
    Subscription.objects.filter(pk=subscription.pk).update(url="http://127.0.0.1:9/nobody-listens")
    report_case(people.inspector, category)
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status) == (Delivery.State.PENDING, None)
    assert "ConnectionError" in delivery.last_error and webhook_jobs().get().state == JobState.RETRYING


@pytest.mark.parametrize(("status", "state"), [(404, Delivery.State.FAILED), (410, Delivery.State.FAILED),
                                               (408, Delivery.State.PENDING), (429, Delivery.State.PENDING)])
def test_a_refusal_4xx_is_not_tried_again_but_408_and_429_are(people, category, receiver, settings, status, state):
    settings.TASKS_RETRY_BASE_S = 60
    receiver.answers = [status]
    subscribe(receiver)
    report_case(people.inspector, category)
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (state, 1, status)
    assert webhook_jobs().get().state == (JobState.DONE if state == Delivery.State.FAILED else JobState.RETRYING)


def test_the_admin_lists_the_deliveries_and_replays_them_with_the_same_event_id(people, category, receiver):
    subscribe(receiver)
    report_case(people.inspector, category)
    drain()
    delivery = Delivery.objects.get()
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    client = Client()
    client.force_login(people.admin)
    page = client.get("/admin/webhooks/delivery/").content.decode()
    assert str(delivery.event_id) in page and "已送达" in page and "推送记录" in page
    answer = client.post("/admin/webhooks/delivery/", {"action": "replay_deliveries",
                                                       "_selected_action": [delivery.pk]})
    assert answer.status_code == 302
    assert drain() == 1
    assert receiver.ids() == [str(delivery.event_id)] * 2
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.DELIVERED, 2)
    assert Event.objects.count() == 1 and Delivery.objects.count() == 1


def test_only_administrators_see_the_webhooks_in_the_admin(people):
    people.dispatcher.is_staff = True
    people.dispatcher.save()
    client = Client()
    client.force_login(people.dispatcher)
    assert client.get("/admin/webhooks/subscription/").status_code == 403


def test_nothing_is_recorded_or_sent_when_the_domain_write_rolls_back(people, category, receiver):
    case = report_case(people.inspector, category)
    subscribe(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.file(people.dispatcher, case, version=case.version)
        assert Delivery.objects.count() == 1  # written with the step…
        raise RuntimeError("the caller's transaction fails after the step")
    assert (Event.objects.count(), Delivery.objects.count(), webhook_jobs().count()) == (0, 0, 0)  # …and gone with it
    assert drain() == 0 and receiver.requests == []


def test_without_subscriptions_a_case_write_records_nothing(people, category, receiver):
    subscribe(receiver, [EventType.NOTICE_RAISED])  # wants other events only
    Subscription.objects.create(name="paused", url=receiver.url(), events=EventType.values, active=False)
    case = report_case(people.inspector, category)
    services.file(people.dispatcher, case, version=case.version)
    assert (Event.objects.count(), Delivery.objects.count(), webhook_jobs().count()) == (0, 0, 0)


def test_a_subscription_failing_again_and_again_is_paused(people, category, receiver, settings):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    receiver.answers = [404, 404]
    subscription = subscribe(receiver)
    for _ in range(2):
        report_case(people.inspector, category)
        drain()
    subscription.refresh_from_db()
    assert (subscription.active, subscription.failures) == (False, 2) and subscription.paused_at
    report_case(people.inspector, category)
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "javascript:alert(1)", "file:///etc/passwd"])
def test_a_subscription_url_must_be_http_or_https(url):
    with pytest.raises(ValidationError) as refused:
        Subscription(name="x", url=url, events=[EventType.CASE_CREATED]).full_clean()
    assert "url" in refused.value.message_dict


def test_events_of_the_bulk_path_are_told_too(people, category, receiver):
    subscribe(receiver, [EventType.CASE_CREATED])
    items = [services.NewReport(point=point_in(0.5 + i / 10, 0.5), category=category, external_ref=f"bulk-{i}",
                              reported_at=timezone.now() - dt.timedelta(minutes=i)) for i in range(3)]
    cases = services.report_many(people.dispatcher, Channel.HOTLINE, items)
    drain()
    assert sorted(r.document["data"]["case"]["code"] for r in receiver.received) == sorted(c.code for c in cases)


def test_the_admin_keeps_a_subscription_and_refuses_a_url_that_is_not_http(people, receiver):
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    client = Client()
    client.force_login(people.admin)
    form = {"name": "区平台", "url": "ftp://district.example/hook", "secret": "k", "events": ["case.created"],
            "active": "on"}
    refused = client.post("/admin/webhooks/subscription/add/", form)
    assert refused.status_code == 200 and not Subscription.objects.exists()
    assert client.post("/admin/webhooks/subscription/add/", {**form, "url": receiver.url()}).status_code == 302
    assert Subscription.objects.get().events == ["case.created"]


def test_a_paused_subscription_made_active_again_in_the_admin_gets_what_waited(people, category, receiver,
                                                                              settings):
    settings.TASKS_RETRY_BASE_S = 60
    receiver.answers = [500]
    subscription = subscribe(receiver)
    report_case(people.inspector, category)
    drain()
    Subscription.objects.filter(pk=subscription.pk).update(active=False, paused_at=timezone.now(), failures=50)
    move_time_to_the_retry()
    drain()  # the retry leaves the paused subscription's delivery waiting
    assert Delivery.objects.get().state == Delivery.State.PENDING and receiver.received == []
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save()
    client = Client()
    client.force_login(people.admin)
    form = {"name": subscription.name, "url": subscription.url, "secret": SECRET, "events": EventType.values,
            "active": "on"}
    assert client.post(f"/admin/webhooks/subscription/{subscription.pk}/change/", form).status_code == 302
    drain()
    subscription.refresh_from_db()
    assert Delivery.objects.get().state == Delivery.State.DELIVERED and len(receiver.received) == 1
    assert (subscription.active, subscription.failures, subscription.paused_at) == (True, 0, None)
    assert client.get("/admin/webhooks/delivery/", {"q": "not-a-uuid"}).status_code == 200
    assert client.get("/admin/webhooks/event/", {"q": str(receiver.ids()[0])}).status_code == 200


def test_a_case_write_with_no_subscription_asks_nothing_of_the_webhooks_tables(people, category, receiver):
    case = report_case(people.inspector, category)  # learns that there is none
    with CaptureQueriesContext(connection) as queries:
        case = services.file(people.dispatcher, case, version=case.version)
    assert queries.captured_queries and not [q for q in queries.captured_queries if "webhooks_" in q["sql"]]
    subscribe(receiver)  # saved in this process: known at once
    services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))
    assert Delivery.objects.get().event.type == EventType.CASE_STATE_CHANGED


def test_a_notice_escalated_for_a_late_answer_is_raised_again_at_its_new_level(people, category, receiver):
    subscribe(receiver, [EventType.NOTICE_RAISED])
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version,
                             department=Department.objects.get(code="HZ-HWC"))
    notice = supervision.raise_notice(people.dispatcher, supervision.Target(Subject.CASE, case_id=case.pk),
                                      level=Level.REMIND, request="请尽快处置")
    with clock.at(notice.answer_due_at + dt.timedelta(minutes=5)):
        assert supervision.escalate_late() == 1
    drain()
    assert [(r.document["data"]["notice"]["action"], r.document["data"]["notice"]["level"])
            for r in receiver.received] == [("raise", Level.REMIND), ("escalate", Level.SUPERVISE)]


def test_old_events_done_with_are_pruned_and_those_still_tried_stay(db, settings):
    """The event tables do not grow for ever: a daily job deletes events past
    WEBHOOK_KEEP_DAYS whose deliveries are all done; one still pending stays, as do recent ones."""
    from urbanmgmt.jobs.periodic import schedule

    hook = Subscription.objects.create(name="区平台", url="http://127.0.0.1:9/hook", events=list(EventType.values))
    old = timezone.now() - dt.timedelta(days=settings.WEBHOOK_KEEP_DAYS + 1)
    states = {"done-old": (old, Delivery.State.DELIVERED), "failed-old": (old, Delivery.State.FAILED),
              "pending-old": (old, Delivery.State.PENDING), "done-new": (timezone.now(), Delivery.State.DELIVERED)}
    events = {}
    for name, (at, state) in states.items():
        events[name] = Event.objects.create(type=EventType.values[0], occurred_at=at, data={"name": name})
        Delivery.objects.create(event=events[name], subscription=hook, state=state)
    assert any(j.kind.endswith("prune_events") for j in schedule())
    drain()
    left = set(Event.objects.values_list("data__name", flat=True))
    assert left == {"pending-old", "done-new"}
    assert Delivery.objects.count() == 2
