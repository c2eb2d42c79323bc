"""The automatic rules (SupervisionRule rows) applied by the periodic sweep.

Each kind of rule finds its targets with a few SQL reads over the open cases (or the week's
12345 tickets), counting working time with the calendar's vectorised form (kpi/workcal.py)
instead of one calendar walk per case. A target is raised once per rule, subject and period
(the table's unique constraint; the sweep leaves out what is there already): a case overdue
once is supervised once for that deadline, a grid's cluster once per week."""

import datetime as dt
import logging

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from urbanmgmt.cases import clock, worktime
from urbanmgmt.cases.models import Case, State
from urbanmgmt.hotline.models import HotlineTicket, Satisfaction
from urbanmgmt.kpi import workcal
from urbanmgmt.sqlchunks import filtered_in
from urbanmgmt.supervision import notify
from urbanmgmt.supervision.models import Notice, NoticeEvent, RuleKind, Subject, SupervisionRule
from urbanmgmt.supervision.services import Target, build, escalate_late

logger = logging.getLogger(__name__)


def _utc64(moment: dt.datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(dt.UTC).replace(tzinfo=None), "us")


def _case_target(case_id, department_id, period: str = "", **facts) -> Target:
    return Target(Subject.CASE, department_id=department_id, case_id=int(case_id), subject_key=f"case:{case_id}",
                  period=period, facts=facts)


def _working_hours_to(deadlines: np.ndarray, now: dt.datetime) -> np.ndarray:
    """Working hours from now to each deadline (negative: past it)."""
    minutes = workcal.working_minutes_since(np.concatenate([deadlines, [_utc64(now)]]))
    return (minutes[:-1] - minutes[-1]) / 60


def overdue(rule: SupervisionRule, now: dt.datetime) -> list[Target]:
    """Cases past their deadline by at least `hours` working hours (once per deadline)."""
    cols = workcal.columns(Case.objects.overdue(now).filter(department__isnull=False),
                           ("id", "department_id", "due_at"), moments=("due_at",))
    if not len(cols["id"]):
        return []
    late = -_working_hours_to(cols["due_at"], now)
    return [_case_target(i, d, np.datetime_as_string(due, unit="s"), late_hours=round(float(h), 1))
            for i, d, due, h in zip(cols["id"], cols["department_id"], cols["due_at"], late, strict=True)
            if h >= rule.hours]


def due_unsigned(rule: SupervisionRule, now: dt.datetime) -> list[Target]:
    """Dispatched cases not signed whose deadline is within `hours` working hours, once the
    time to sign has passed: a case whose whole deadline is that short is not reminded the
    minute it is dispatched (the overdue rule follows it)."""
    cases = Case.objects.filter(state=State.DISPATCHED, signed_at__isnull=True, due_at__gte=now,
                                sign_due_at__lt=now, department__isnull=False)
    cols = workcal.columns(cases, ("id", "department_id", "due_at", "dispatched_at"), moments=("due_at", "dispatched_at"))
    if not len(cols["id"]):
        return []
    left = _working_hours_to(cols["due_at"], now)
    return [_case_target(i, d, np.datetime_as_string(sent, unit="s"), left_hours=round(float(h), 1))
            for i, d, sent, h in zip(cols["id"], cols["department_id"], cols["dispatched_at"], left, strict=True)
            if h <= rule.hours]


def _counted(column: str):
    def find(rule: SupervisionRule, now: dt.datetime) -> list[Target]:
        rows = (Case.objects.open().filter(**{f"{column}__gte": rule.threshold}, department__isnull=False)
                .values_list("id", "department_id", column))
        return [_case_target(i, d, count=n) for i, d, n in rows]
    return find


def unsatisfied(rule: SupervisionRule, now: dt.datetime) -> list[Target]:
    """Cases whose citizens said they were unsatisfied (不满意) at least `threshold` times in
    the last `days` days of callbacks."""
    rows = (HotlineTicket.objects.filter(satisfaction=Satisfaction.UNSATISFIED, case__isnull=False,
                                         case__department__isnull=False,
                                         satisfaction_at__gte=now - dt.timedelta(days=rule.days))
            .values("case_id", "case__department_id").annotate(n=Count("id")).filter(n__gte=rule.threshold).order_by())
    return [_case_target(r["case_id"], r["case__department_id"], count=r["n"]) for r in rows]


def ticket_cluster(rule: SupervisionRule, now: dt.datetime) -> list[Target]:
    """More than `threshold` tickets on one grid and category in this calendar week (from
    Monday, city time): a reminder letter (提醒函) to the department concerned, once a week."""
    local = now.astimezone(worktime.tz())
    monday = dt.datetime.combine(local.date() - dt.timedelta(days=local.weekday()), dt.time(), tzinfo=worktime.tz())
    year, week, _day = local.isocalendar()
    rows = (HotlineTicket.objects.filter(received_at__gte=monday, received_at__lte=now, grid__isnull=False,
                                         category__isnull=False)
            .values("grid_id", "category_id")
            .annotate(n=Count("id"), department=Max("department_id"), case_department=Max("case__department_id"))
            .filter(n__gt=rule.threshold).order_by())
    return [Target(Subject.THEME, department_id=r["department"] or r["case_department"], grid_id=r["grid_id"],
                   category_id=r["category_id"], subject_key=f"theme:grid={r['grid_id']};category={r['category_id']}",
                   period=f"{year}-W{week:02d}", facts={"tickets": r["n"]})
            for r in rows if r["department"] or r["case_department"]]


FINDERS = {RuleKind.OVERDUE: overdue, RuleKind.DUE_UNSIGNED: due_unsigned, RuleKind.RETURNED: _counted("return_count"),
           RuleKind.REWORKED: _counted("rework_count"), RuleKind.UNSATISFIED: unsatisfied,
           RuleKind.TICKET_CLUSTER: ticket_cluster}


def raise_targets(rule: SupervisionRule, targets: list[Target], now: dt.datetime) -> int:
    """Raise the rule's notices for the targets it has not raised yet; returns how many."""
    keys = sorted({t.subject_key for t in targets})
    seen = set()
    for part in filtered_in(Notice.objects.filter(rule=rule), "subject_key", keys):
        seen.update(part.values_list("subject_key", "period"))
    built = [build(t, rule.level, now, rule=rule) for t in targets if (t.subject_key, t.period) not in seen]
    if not built:
        return 0
    try:
        with transaction.atomic():
            notices = Notice.objects.bulk_create([notice for notice, _ in built])
            for notice, (_, event) in zip(notices, built, strict=True):
                event.notice = notice
            notify.record(NoticeEvent.objects.bulk_create([event for _, event in built]))
    except IntegrityError:  # another sweep raised them meanwhile: it told the departments
        logger.warning("rule %s: notices raised by another sweep meanwhile", rule.code)
        return 0
    return len(built)


def sweep(now: dt.datetime | None = None) -> dict:
    """One pass: every active rule raises what it finds, then late answers are escalated."""
    now = now or clock.now()
    raised = {}
    for rule in SupervisionRule.objects.filter(active=True):
        raised[rule.code] = raise_targets(rule, FINDERS[rule.kind](rule, now), now)
    return {"raised": raised, "escalated": escalate_late(now)}
