"""The one way to change a supervision notice: raise, answer, send back, close, escalate.

Each function checks who acts and the notice's state and version, writes the notice and its
NoticeEvent in one transaction, and records the reminders the step sends (notify.py) in the
same transaction, so a step and its reminders are written together or not at all. The case
table is only read here: supervision watches cases, it never changes them."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock, worktime
from urbanmgmt.cases.models import Case
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, StaleVersion
from urbanmgmt.org import roles as R
from urbanmgmt.supervision import notify
from urbanmgmt.supervision.models import LEVELS, Level, Notice, NoticeEvent, NoticeState, Subject, next_level

STALE = _("This notice was changed by someone else (you saw version %(seen)s, it is now at version %(current)s). "
          "Reload it and try again.")


@dataclass
class Target:
    """What a notice is about (ids of rows) and which department answers it; a rule's
    target also says which subject and period it raised the notice for."""

    subject: str
    department_id: int | None = None
    case_id: int | None = None
    category_id: int | None = None
    area_id: int | None = None
    grid_id: int | None = None
    subject_key: str = ""
    period: str = ""
    facts: dict = field(default_factory=dict)


def answer_due(level: str, at: dt.datetime) -> dt.datetime:
    """When a department's answer to a notice of `level` raised (or escalated) at `at` is due."""
    return worktime.add_working_hours(at, settings.SUPERVISION_ANSWER_WORKING_HOURS[level])


def may_command(user) -> bool:
    """Whether `user` acts for the command centre (raises, sends back and closes notices)."""
    return R.has_role(user, *R.COMMAND_CENTRE)


def may_answer(user, notice: Notice) -> bool:
    """Whether `user` answers for the notice's department."""
    return R.has_role(user, R.ADMIN) or (R.has_role(user, R.HANDLER) and R.department_of(user) == notice.department_id)


def visible_notices(user):
    """The notices `user` may see: the command centre all, a department handler its own."""
    notices = Notice.objects.select_related("department", "case", "category", "area", "grid")
    if may_command(user):
        return notices
    if R.has_role(user, R.HANDLER) and R.department_of(user):
        return notices.filter(department_id=R.department_of(user))
    return notices.none()


def check_target(target: Target) -> Target:
    """The target completed and checked: a case's department is the one it is dispatched to;
    a theme needs a category and an area or a grid; every notice needs a department."""
    if target.subject not in Subject.values:
        raise InvalidInput(_("Choose what the notice is about."))
    if target.subject == Subject.CASE:
        case = Case.objects.filter(pk=target.case_id).values("code", "department_id").first()
        if case is None:
            raise InvalidInput(_("Give the number of the case to supervise."))
        if case["department_id"] is None:
            raise InvalidInput(_("Case %(code)s has no department yet: dispatch it first."), code=case["code"])
        target.department_id = case["department_id"]
    if target.subject == Subject.THEME and (target.category_id is None or (target.area_id is None
                                                                           and target.grid_id is None)):
        raise InvalidInput(_("A theme needs a category and a street, community or grid."))
    if target.department_id is None:
        raise InvalidInput(_("Choose the department that must answer."))
    return target


def check_level(level: str) -> str:
    if level not in Level.values:
        raise InvalidInput(_("Unknown level “%(value)s”."), value=level)
    return level


def build(target: Target, level: str, at: dt.datetime, *, actor=None, request: str = "", rule=None) -> tuple:
    """The unsaved notice and its raise event (the single and the bulk path both use it)."""
    due = answer_due(check_level(level), at)
    notice = Notice(subject=target.subject, case_id=target.case_id, department_id=target.department_id,
                    category_id=target.category_id, area_id=target.area_id, grid_id=target.grid_id, level=level,
                    request=request, raised_at=at, raised_by=actor, rule=rule, subject_key=target.subject_key,
                    period=target.period, facts=target.facts, answer_due_at=due)
    event = NoticeEvent(notice=notice, at=at, actor=actor, action=NoticeEvent.Action.RAISE, level=level, text=request,
                        answer_due_at=due)
    return notice, event


def raise_notice(actor, target: Target, *, level: str, request: str) -> Notice:
    """Raise a notice by hand (the command centre): its department is reminded at once. On a
    case that has a notice not yet closed (raised by hand or by a rule), no second one: a
    higher level escalates that notice (提醒 → 督办), with the new level's deadline from now;
    the same or a lower level, or a notice answered and not yet closed, is refused, saying
    which notice. (The rules' sweep raises each of its own once per case and deadline.)"""
    if not may_command(actor):
        raise NotAllowed(_("Only the command centre raises supervision notices."))
    if not request.strip():
        raise InvalidInput(_("Say what the department must do and answer."))
    check_level(level)
    target = check_target(target)
    if target.subject == Subject.CASE:
        live = (Notice.objects.filter(subject=Subject.CASE, case_id=target.case_id)
                .exclude(state=NoticeState.CLOSED).order_by("-raised_at").first())
        if live is not None:
            return _raised_again(actor, live, level, request.strip())
    notice, event = build(target, level, clock.now(), actor=actor, request=request.strip())
    with transaction.atomic():
        notice.save()
        event.notice = notice
        event.save()
        notify.record([event])
    return notice


def _raised_again(actor, live: Notice, level: str, request: str) -> Notice:
    """A notice raised by hand on a case that has `live`, not closed: see raise_notice."""
    code = Case.objects.values_list("code", flat=True).get(pk=live.case_id)
    if live.state == NoticeState.ANSWERED:
        raise InvalidInput(_("Case %(code)s already has notice #%(number)s, answered: close it or send the answer "
                             "back."), code=code, number=live.pk)
    if LEVELS.index(level) <= LEVELS.index(live.level):
        raise InvalidInput(_("Case %(code)s already has notice #%(number)s (%(level)s) awaiting its answer: raise a "
                             "higher level to escalate it."), code=code, number=live.pk,
                           level=live.get_level_display())
    now = clock.now()
    late = live.answer_due_at < now  # escalated when already late: not answered on time, as escalate_late counts
    return _step(actor, live, live.version, NoticeEvent.Action.ESCALATE, (NoticeState.OPEN,), request, now,
                 level=level, answer_due_at=answer_due(level, now), escalations=live.escalations + late)


def _locked(notice: Notice, version: int) -> Notice:
    current = Notice.objects.select_for_update().get(pk=notice.pk)
    if current.version != version:
        raise StaleVersion(STALE, seen=version, current=current.version)
    return current


def _step(actor, notice: Notice, version: int, action: str, allowed: tuple, text: str, at: dt.datetime | None = None,
          **changes) -> Notice:
    """Move the notice (row lock, version compare, one transaction with its event and reminders)."""
    at = at or clock.now()
    with transaction.atomic():
        current = _locked(notice, version)
        if current.state not in allowed:
            raise ForbiddenTransition(_("This notice is “%(state)s”: this step is not possible now. Reload it."),
                                      state=current.get_state_display())
        for name, value in changes.items():
            setattr(current, name, value)
        current.version += 1
        current.save()
        event = NoticeEvent.objects.create(notice=current, at=at, actor=actor, action=action,
                                           level=current.level, text=text, answer_due_at=current.answer_due_at)
        notify.record([event])
    return current


def answer(actor, notice: Notice, *, version: int, text: str) -> Notice:
    """The department's written answer (书面答复); on time when given before the answer was
    due and never escalated for lateness."""
    if not may_answer(actor, notice):
        raise NotAllowed(_("Only the department the notice is addressed to answers it."))
    if not text.strip():
        raise InvalidInput(_("Write the answer: what was done and by when the rest will be."))
    now = clock.now()
    first = {"answered_at": now, "answered_on_time": notice.escalations == 0 and now <= notice.answer_due_at}
    return _step(actor, notice, version, NoticeEvent.Action.ANSWER, (NoticeState.OPEN,), text.strip(),
                 state=NoticeState.ANSWERED, **(first if notice.answered_at is None else {}))


def send_back(actor, notice: Notice, *, version: int, text: str) -> Notice:
    """The command centre finds the answer wanting: open again, with a new deadline."""
    if not may_command(actor):
        raise NotAllowed(_("Only the command centre sends an answer back."))
    if not text.strip():
        raise InvalidInput(_("Say why the answer is not enough."))
    return _step(actor, notice, version, NoticeEvent.Action.SEND_BACK, (NoticeState.ANSWERED,), text.strip(),
                 state=NoticeState.OPEN, answer_due_at=answer_due(notice.level, clock.now()))


def close(actor, notice: Notice, *, version: int, text: str = "") -> Notice:
    """The command centre closes an answered notice (办结)."""
    if not may_command(actor):
        raise NotAllowed(_("Only the command centre closes supervision notices."))
    return _step(actor, notice, version, NoticeEvent.Action.CLOSE, (NoticeState.ANSWERED,), text.strip(),
                 state=NoticeState.CLOSED, closed_at=clock.now())


def escalate_late(at: dt.datetime | None = None) -> int:
    """Escalate every open notice whose answer is late by one level (提醒 → 督办 → 挂牌督办),
    with the new level's deadline from now; a listed notice stays listed. Returns how many."""
    at = at or clock.now()
    late = Notice.objects.filter(state=NoticeState.OPEN, answer_due_at__lt=at).exclude(level=Level.LISTED)
    escalated = 0
    for notice in late.only("pk", "version", "level", "escalations"):
        higher = next_level(notice.level)
        try:
            _step(None, notice, notice.version, NoticeEvent.Action.ESCALATE, (NoticeState.OPEN,), "", at,
                  level=higher, answer_due_at=answer_due(higher, at), escalations=notice.escalations + 1)
        except (StaleVersion, ForbiddenTransition):  # answered or moved meanwhile: nothing is late any more
            continue
        escalated += 1
    return escalated
