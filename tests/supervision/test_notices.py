"""Notices by hand: who raises, answers and closes them, their append-only history, and the
reminders each step sends (the bell, the API count, e-mail sent once and retried)."""

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction

from tests.builders import client_for
from tests.supervision.conftest import MONDAY, dispatched_at
from tests.tasks.processes import free_port
from urbanmgmt.cases import clock, worktime
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, StaleVersion
from urbanmgmt.jobs.models import Job, JobState
from urbanmgmt.jobs.worker import drain
from urbanmgmt.org.models import Department
from urbanmgmt.supervision import services
from urbanmgmt.supervision.models import Delivery, Level, NoticeEvent, NoticeState, Notification, Subject
from urbanmgmt.supervision.services import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_case(people, category):
    return dispatched_at(people, category, MONDAY)


def raise_on(case, people, level=Level.SUPERVISE):
    return services.raise_notice(people.dispatcher, Target(Subject.CASE, case_id=case.pk), level=level,
                                 request="请说明超期原因并于今日内处置完毕")


def test_the_command_centre_raises_the_department_answers_and_the_command_centre_closes(people, overdue_case):
    notice = raise_on(overdue_case, people)
    assert (notice.department.code, notice.state, notice.level) == ("HZ-HWC", NoticeState.OPEN, Level.SUPERVISE)
    assert notice.answer_due_at == worktime.add_working_hours(notice.raised_at, 7.5)
    notice = services.answer(people.handler, notice, version=notice.version, text="已安排清运，今日 16:00 前完成")
    assert notice.state == NoticeState.ANSWERED and notice.answered_on_time is True
    notice = services.close(people.dispatcher, notice, version=notice.version)
    assert notice.state == NoticeState.CLOSED and notice.closed_at
    assert list(notice.events.values_list("action", "actor__username")) == [
        ("raise", "dispatcher"), ("answer", "handler"), ("close", "dispatcher")]
    overdue_case.refresh_from_db()
    assert overdue_case.version == 3  # supervision never wrote the case


def test_an_answer_sent_back_is_due_again_and_counted_late_when_escalated(people, overdue_case):
    notice = raise_on(overdue_case, people, Level.REMIND)
    with clock.at(notice.answer_due_at + dt.timedelta(minutes=5)):
        assert services.escalate_late() == 1
    notice.refresh_from_db()
    notice = services.answer(people.handler, notice, version=notice.version, text="已处理")
    assert notice.answered_on_time is False  # it was escalated for lateness first
    notice = services.send_back(people.dispatcher, notice, version=notice.version, text="未附处置照片")
    assert notice.state == NoticeState.OPEN
    with pytest.raises(ForbiddenTransition):
        services.close(people.dispatcher, notice, version=notice.version)


def test_who_may_do_what(people, overdue_case):
    with pytest.raises(NotAllowed):
        raise_on(overdue_case, type(people)(**{**people.__dict__, "dispatcher": people.handler}))
    notice = raise_on(overdue_case, people)
    with pytest.raises(NotAllowed):
        services.answer(people.other_handler, notice, version=notice.version, text="不是我们的")
    with pytest.raises(NotAllowed):
        services.close(people.handler, notice, version=notice.version)
    assert list(services.visible_notices(people.other_handler)) == []
    assert list(services.visible_notices(people.handler)) == [notice]
    assert list(services.visible_notices(people.inspector)) == []


def test_mistakes_are_refused_in_the_users_language(people, category, overdue_case):
    from tests.builders import point_in
    from urbanmgmt.cases.services import report

    undispatched, _ = report(people.inspector, channel="inspector", point=point_in(1.5, 0.5), category=category)
    with pytest.raises(InvalidInput, match="尚未派遣|dispatch"):
        services.raise_notice(people.dispatcher, Target(Subject.CASE, case_id=undispatched.pk), level="remind",
                              request="请处理")
    with pytest.raises(InvalidInput):
        services.raise_notice(people.dispatcher, Target(Subject.THEME, department_id=1), level="remind", request="x")
    notice = raise_on(overdue_case, people)
    with pytest.raises(InvalidInput):
        services.answer(people.handler, notice, version=notice.version, text="  ")
    with pytest.raises(StaleVersion):
        services.answer(people.handler, notice, version=notice.version + 1, text="已处理")


def test_a_higher_level_raised_on_a_case_escalates_its_notice_and_never_makes_a_second(people, overdue_case):
    """A walk raised 督办 on a case whose 提醒 awaited its answer and got two notices for one
    case. A case has one notice at a time: a higher level escalates it (the new level's
    deadline from now, the request in its history, the department reminded); the same or a
    lower level, or a notice answered and not closed, is refused saying which; once closed,
    a new notice may be raised. Escalated before its answer was late, it may still be answered
    on time; escalated when late, it is not."""
    reminder = raise_on(overdue_case, people, Level.REMIND)
    with clock.at(reminder.raised_at + dt.timedelta(minutes=30)):
        notice = raise_on(overdue_case, people, Level.SUPERVISE)
        assert notice.pk == reminder.pk and notice.level == Level.SUPERVISE and notice.escalations == 0
        assert notice.answer_due_at == services.answer_due(Level.SUPERVISE, clock.now())
    assert list(notice.events.values_list("action", "level", "actor__username", "text")) == [
        ("raise", Level.REMIND, "dispatcher", "请说明超期原因并于今日内处置完毕"),
        ("escalate", Level.SUPERVISE, "dispatcher", "请说明超期原因并于今日内处置完毕")]
    assert Notification.objects.filter(event__notice=notice, user=people.handler).count() == 2
    for level in (Level.REMIND, Level.SUPERVISE):
        with pytest.raises(InvalidInput, match=f"#{notice.pk}"):
            raise_on(overdue_case, people, level)
    notice = services.answer(people.handler, notice, version=notice.version, text="已清运")
    assert notice.answered_on_time is True
    with pytest.raises(InvalidInput, match=f"#{notice.pk}"):
        raise_on(overdue_case, people, Level.LISTED)
    services.close(people.dispatcher, notice, version=notice.version)
    second = raise_on(overdue_case, people, Level.REMIND)
    assert second.pk != notice.pk
    with clock.at(second.answer_due_at + dt.timedelta(minutes=5)):
        late = raise_on(overdue_case, people, Level.LISTED)
    assert (late.pk, late.level, late.escalations) == (second.pk, Level.LISTED, 1)
    assert services.answer(people.handler, late, version=late.version, text="已处理").answered_on_time is False
    assert services.visible_notices(people.dispatcher).filter(case=overdue_case).count() == 2


def test_the_history_is_append_only_in_the_database(people, overdue_case):
    notice = raise_on(overdue_case, people)
    event = notice.events.get()
    for statement in (lambda: NoticeEvent.objects.filter(pk=event.pk).update(text="改写"),
                      lambda: connection.cursor().execute("DELETE FROM supervision_noticeevent WHERE id = %s",
                                                          [event.pk])):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    assert notice.events.get().text == event.text


def test_each_step_reminds_the_people_concerned_once_in_app_and_by_mail(people, overdue_case):
    people.handler.email = "handler@hz.example"
    people.handler.save()
    notice = raise_on(overdue_case, people)
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["handler"]
    assert client_for(people.handler).get("/api/v1/notifications/unread/").json() == {"unread": 1}
    assert client_for(people.other_handler).get("/api/v1/notifications/unread/").json() == {"unread": 0}
    drain()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["handler@hz.example"]
    assert "督办" in mail.outbox[0].subject and overdue_case.code in mail.outbox[0].subject
    assert Delivery.objects.get().state == Delivery.State.SENT
    drain()
    assert len(mail.outbox) == 1  # sent once
    services.answer(people.handler, notice, version=notice.version, text="已处理")
    assert Notification.objects.filter(user=people.dispatcher).count() == 1  # who raised it hears the answer


def test_a_message_that_fails_is_recorded_and_retried_with_backoff(people, overdue_case, settings):
    people.handler.email = "handler@hz.example"
    people.handler.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.TASKS_RETRY_BASE_S = 1  # long enough that draining the queue does not reach the retry
    raise_on(overdue_case, people)
    drain()
    delivery = Delivery.objects.get()
    job = Job.objects.get(kind__endswith="send_deliveries")
    assert (delivery.state, delivery.attempts, job.state) == (Delivery.State.PENDING, 1, JobState.RETRYING)
    assert delivery.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the mail server is back
    time.sleep(max(0.0, (job.run_after - job.started_at).total_seconds()) + 0.05)
    drain()
    delivery.refresh_from_db()
    job.refresh_from_db()
    assert (delivery.state, delivery.attempts, job.state) == (Delivery.State.SENT, 2, JobState.DONE)
    assert len(mail.outbox) == 1


def test_the_department_sees_its_open_notices_first_in_its_workspace_and_answers_there(people, overdue_case,
                                                                                    client):
    notice = raise_on(overdue_case, people)
    client.force_login(people.handler)
    page = client.get("/workspace/").content.decode()
    assert page.index('id="supervision-block"') < page.index('id="queue-sections"')
    assert overdue_case.code in page and 'id="notification-count">1<' in page
    response = client.post(f"/supervision/{notice.pk}/answer/",
                           {"version": notice.version, "text": "已处理完毕", "next": "/workspace/"})
    assert response.status_code == 302 and response["Location"] == "/workspace/"
    notice.refresh_from_db()
    assert notice.state == NoticeState.ANSWERED
    client.force_login(people.other_handler)
    assert 'id="supervision-block"' not in client.get("/workspace/").content.decode()


def test_a_stale_answer_is_refused_on_the_page_in_the_users_language(people, overdue_case, client):
    notice = raise_on(overdue_case, people)
    client.force_login(people.handler)
    response = client.post(f"/supervision/{notice.pk}/answer/", {"version": 99, "text": "已处理"})
    assert response.status_code == 409 and "重新" in response.content.decode()
    response = client.post(f"/supervision/{notice.pk}/answer/", {"version": 99, "text": "done"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "Reload it and try again" in response.content.decode()
    assert client.post(f"/supervision/{notice.pk}/answer/", {"version": "v1", "text": "已处理"}).status_code == 409


def test_the_bell_page_lists_and_marks_read(people, overdue_case, client):
    raise_on(overdue_case, people)
    client.force_login(people.handler)
    page = client.get("/notifications/").content.decode()
    assert overdue_case.code in page and 'class="unread"' in page
    assert client.post("/notifications/read/", {"id": "x"}).status_code == 302  # not a number: nothing marked
    assert Notification.objects.get().read_at is None
    client.post("/notifications/read/", {})
    assert Notification.objects.get().read_at is not None
    assert 'id="notification-count">0<' in client.get("/notifications/").content.decode()


def test_the_command_centre_raises_a_theme_notice_from_the_form(people, overdue_case, client, category):
    client.force_login(people.dispatcher)
    response = client.post("/supervision/raise/", {"subject": "theme", "level": "listed", "department": "HZ-HWC",
                                                   "category": category.service_code, "area": "320706006",
                                                   "request": "新海街道暴露垃圾集中整治"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert overdue_case.code in page and "挂牌督办" in page
    response = client.post("/supervision/raise/", {"subject": "case", "level": "remind", "case": "nope",
                                                   "request": "x"})
    assert response.status_code == 400 and "nope" in response.content.decode()
    assert Department.objects.get(code="HZ-HWC").notices.count() == 1


def test_the_raise_form_on_a_supervised_case_opens_the_escalated_notice_or_says_which_it_is(people, overdue_case,
                                                                                          client):
    client.force_login(people.dispatcher)

    def raised(level):
        return client.post("/supervision/raise/", {"subject": "case", "level": level, "case": overdue_case.code,
                                                   "request": "请说明超期原因"})

    first = raised("remind")
    assert first.status_code == 302
    again = raised("supervise")
    assert again.status_code == 302 and again["Location"] == first["Location"]
    page = client.get(again["Location"]).content.decode()
    assert "督办" in page and "升级" in page
    same = raised("supervise")
    number = first["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert same.status_code == 400 and f"已有待答复的督办单#{number}（督办）" in same.content.decode()
    assert overdue_case.notices.count() == 1


def test_a_notice_on_a_department_reaches_its_handlers_and_climbs_when_unanswered(people):
    department = Department.objects.get(code="HZ-CGJ")
    notice = services.raise_notice(people.manager, Target(Subject.DEPARTMENT, department_id=department.pk),
                                   level=Level.REMIND, request="本周内报送占道经营整治方案")
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["handler_cgj"]
    with clock.at(notice.answer_due_at + dt.timedelta(seconds=1)):
        assert services.escalate_late() == 1
    assert Notification.objects.filter(user=people.other_handler).count() == 2  # told of the escalation too
    assert list(services.visible_notices(people.other_handler)) == [notice]


def test_opening_or_answering_a_notice_reads_its_notifications(people, overdue_case, client, category):
    """A walk's bell kept counting notices already opened and answered: only "mark read" cleared
    it. Opening the notice reads its notifications (not another notice's); so does a step
    taken on it from the workspace."""
    from urbanmgmt.supervision.notify import unread_count

    notice = raise_on(overdue_case, people)
    other = raise_on(dispatched_at(people, category, MONDAY, col=2.5), people)
    assert unread_count(people.handler) == 2
    client.force_login(people.handler)
    page = client.get(f"/supervision/{notice.pk}/").content.decode()
    assert unread_count(people.handler) == 1 and 'id="notification-count">1<' in page
    client.post(f"/supervision/{other.pk}/answer/", {"version": other.version, "text": "已处理", "next": "/workspace/"})
    assert unread_count(people.handler) == 0
    assert unread_count(people.dispatcher) == 1  # the answer, for the command centre, until it opens it
