"""The automatic rules: each raises its notice once per subject and period, counting
working time on the calendar, and late answers climb the levels."""

import datetime as dt

import pytest
from django.utils import translation

from tests.supervision.conftest import MONDAY, dispatched_at
from urbanmgmt.cases import clock, services, worktime
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.org.models import Department
from urbanmgmt.supervision import rules as sweep_rules
from urbanmgmt.supervision import texts
from urbanmgmt.supervision.models import Level, Notice, NoticeEvent, NoticeState

pytestmark = pytest.mark.django_db


def test_a_case_overdue_by_n_working_hours_is_supervised_once(people, category, only):
    only("overdue-4h")
    case = dispatched_at(people, category, MONDAY)  # due Monday 11:00
    # Monday 14:30 is 1 + 1 working hours late (lunch 12:00–13:30 does not count): not yet.
    assert sweep_rules.sweep(MONDAY.replace(hour=14, minute=30))["raised"] == {"overdue-4h": 0}
    # Tuesday 08:45: 1 + 4 + 0.25 working hours late, although 21 hours passed overnight.
    tuesday = MONDAY + dt.timedelta(days=1, minutes=-15)
    assert sweep_rules.sweep(tuesday)["raised"] == {"overdue-4h": 1}
    assert sweep_rules.sweep(tuesday + dt.timedelta(hours=2))["raised"] == {"overdue-4h": 0}
    notice = Notice.objects.get()
    assert (notice.case, notice.department.code, notice.level, notice.state) == (case, "HZ-HWC", Level.REMIND,
                                                                                  NoticeState.OPEN)
    assert notice.facts == {"late_hours": 5.2} and notice.answer_due_at == worktime.add_working_hours(tuesday, 15)
    assert list(notice.events.values_list("action", flat=True)) == ["raise"]


def test_a_weekend_does_not_make_a_case_late(people, category, only):
    only("overdue-4h")
    friday = MONDAY - dt.timedelta(days=3) + dt.timedelta(hours=7)  # Friday 16:00, due Monday 09:30
    dispatched_at(people, category, friday)
    assert sweep_rules.sweep(MONDAY.replace(hour=12))["raised"] == {"overdue-4h": 0}  # 2.5 working hours late


def test_a_case_due_soon_and_not_signed_is_reminded(people, only, category):
    only("due-unsigned-2h")
    category.deadline_value, category.deadline_unit = 1, "days"
    category.save(update_fields=["deadline_value", "deadline_unit"])
    unsigned = dispatched_at(people, category, MONDAY)  # to sign by 11:00, due Tuesday 09:00
    signed = dispatched_at(people, category, MONDAY, col=2.5)
    with clock.at(MONDAY + dt.timedelta(minutes=10)):
        services.sign(people.handler, signed, version=signed.version)
    assert unsigned.due_at == MONDAY + dt.timedelta(days=1)
    assert sweep_rules.sweep(MONDAY + dt.timedelta(hours=6))["raised"] == {"due-unsigned-2h": 0}  # 2.5 h left
    assert sweep_rules.sweep(MONDAY + dt.timedelta(hours=7))["raised"] == {"due-unsigned-2h": 1}  # 16:00: 1.5 h
    assert sweep_rules.sweep(MONDAY + dt.timedelta(hours=7, minutes=30))["raised"] == {"due-unsigned-2h": 0}
    assert Notice.objects.get().case == unsigned
    # Why, in a sentence with the rule's number in it.
    with translation.override("zh-hans"):
        assert texts.reason(Notice.objects.get()) == "规则：2 个工作小时内到期仍未签收"
    with translation.override("en"):
        assert texts.reason(Notice.objects.get()) == "Rule: Due within 2 working hours and not signed"
    # Past its deadline the case is overdue, not "due soon": nothing more from this rule.
    assert sweep_rules.sweep(MONDAY + dt.timedelta(days=1, hours=3))["raised"] == {"due-unsigned-2h": 0}


def test_a_case_whose_whole_deadline_is_short_is_not_reminded_the_minute_it_is_dispatched(people, only, category):
    """A walk saw a reminder "due within 2 working hours and not signed" raised the minute a
    2-hour case was dispatched, before the department could sign: the rule waits for the
    time to sign to pass, and such a case is left to the overdue rule."""
    only("due-unsigned-2h")
    dispatched_at(people, category, MONDAY)  # to sign by 11:00, due 11:00
    for minutes in (0, 20, 90, 119):
        assert sweep_rules.sweep(MONDAY + dt.timedelta(minutes=minutes))["raised"] == {"due-unsigned-2h": 0}
    assert not Notice.objects.exists()


def test_a_case_returned_twice_is_supervised(people, category, only):
    only("returned-twice")
    case = dispatched_at(people, category, clock.now())
    for _ in range(2):
        case = services.return_case(people.handler, case, version=case.version, reason="不归我们管")
        case = services.approve_return(people.dispatcher, case, version=case.version)
        case = services.dispatch(people.dispatcher, case, version=case.version,
                                 department=Department.objects.get(code="HZ-HWC"))
    assert sweep_rules.sweep()["raised"] == {"returned-twice": 1}
    assert sweep_rules.sweep()["raised"] == {"returned-twice": 0}
    assert Notice.objects.get().facts == {"count": 2}


def test_a_case_whose_check_failed_twice_is_supervised(people, category, only):
    only("reworked-twice")
    case = dispatched_at(people, category, MONDAY)
    for times in (1, 2):
        case = services.sign(people.handler, case, version=case.version) if not case.signed_at else case
        case = services.handle(people.handler, case, version=case.version, reply="已清理")
        case = services.send_for_check(people.dispatcher, case, version=case.version)
        case = services.check_fail(people.inspector, case, version=case.version, reason="仍有垃圾")
        assert sweep_rules.sweep()["raised"] == {"reworked-twice": times - 1}
    assert Notice.objects.get().case == case


def _ticket(number: str, case=None, **fields) -> HotlineTicket:
    defaults = {"source": "t", "external_id": number, "received_at": clock.now(), "request_type": "complaint"}
    return HotlineTicket.objects.create(case=case, **{**defaults, **fields})


def test_citizens_unsatisfied_twice_bring_a_supervision(people, category, only):
    only("unsatisfied-twice")
    case = dispatched_at(people, category, MONDAY)
    _ticket("1", case, satisfaction="unsatisfied", satisfaction_at=clock.now())
    _ticket("2", case, satisfaction="satisfied", satisfaction_at=clock.now())
    assert sweep_rules.sweep()["raised"] == {"unsatisfied-twice": 0}
    _ticket("3", case, satisfaction="unsatisfied", satisfaction_at=clock.now())
    assert sweep_rules.sweep()["raised"] == {"unsatisfied-twice": 1}
    assert Notice.objects.get().level == Level.SUPERVISE


def test_more_than_n_tickets_on_a_grid_and_category_in_a_week_bring_one_reminder_letter(people, category, only):
    from urbanmgmt.grids.models import UnitGrid

    only("ticket-cluster-week")
    grid = UnitGrid.objects.order_by("code").first()
    department = Department.objects.get(code="HZ-HWC")
    wednesday = MONDAY + dt.timedelta(days=2)
    for i in range(6):
        _ticket(f"c{i}", grid=grid, category=category, department=department,
                received_at=wednesday - dt.timedelta(days=i % 3))
    _ticket("last-week", grid=grid, category=category, received_at=MONDAY - dt.timedelta(hours=10))  # Sunday 23:00
    assert sweep_rules.sweep(wednesday + dt.timedelta(hours=1))["raised"] == {"ticket-cluster-week": 1}
    assert sweep_rules.sweep(wednesday + dt.timedelta(hours=3))["raised"] == {"ticket-cluster-week": 0}
    notice = Notice.objects.get()
    assert (notice.subject, notice.grid, notice.category, notice.period) == ("theme", grid, category, "2026-W45")
    assert notice.facts == {"tickets": 6} and notice.level == Level.REMIND
    # Next week is another period: a new letter if the cluster goes on.
    for i in range(6):
        _ticket(f"n{i}", grid=grid, category=category, department=department,
                received_at=wednesday + dt.timedelta(days=7))
    assert sweep_rules.sweep(wednesday + dt.timedelta(days=7, hours=1))["raised"] == {"ticket-cluster-week": 1}


def test_a_late_answer_climbs_the_levels_with_their_own_deadlines(people, category, only):
    only("overdue-4h")
    dispatched_at(people, category, MONDAY)
    tuesday = MONDAY + dt.timedelta(days=1)
    sweep_rules.sweep(tuesday)
    notice = Notice.objects.get()
    late = notice.answer_due_at + dt.timedelta(minutes=1)
    assert sweep_rules.sweep(late)["escalated"] == 1
    notice.refresh_from_db()
    assert (notice.level, notice.escalations) == (Level.SUPERVISE, 1)
    assert notice.answer_due_at == worktime.add_working_hours(late, 7.5)
    assert sweep_rules.sweep(late)["escalated"] == 0  # not late at its new level yet
    later = notice.answer_due_at + dt.timedelta(minutes=1)
    assert sweep_rules.sweep(later)["escalated"] == 1
    assert sweep_rules.sweep(later + dt.timedelta(days=30))["escalated"] == 0  # listed is the top
    notice.refresh_from_db()
    assert notice.level == Level.LISTED
    assert list(notice.events.values_list("action", "level")) == [
        ("raise", "remind"), ("escalate", "supervise"), ("escalate", "listed")]
    assert NoticeEvent.objects.filter(notice=notice, action="escalate").count() == 2
