"""The case services for cases held in memory, written in batches: the bulk path of the
simulator and of importers that replay many steps (simulate_year makes a city year of
868,000 items, ~7 million steps, which one transaction per step would take hours to write).

`Ledger` has the functions of services.py that a replay uses, with their signatures and
their rules: the same state table (states.TRANSITIONS), roles, optimistic version, deadline
arithmetic (services.handling_deadline, worktime), extension and return limits, event
actions and payloads, case numbers from the same sequence, inspection tasks, the answers
to the 12345 tickets of a closed or rejected case. Each call changes the case object in
memory and queues its event; `flush()` writes the new cases, the events, the tasks and the
changed cases with a few batched statements. A replay through `ServicePath` (one service
call per step) gives the same rows: tests/kpi/test_simulate.py compares both.

Checks that need other rows (that an inspector belongs to the grid, stale versions seen
by another process) are the caller's: a ledger is used by one process replaying its own
plan, inside the one writer of a bulk load.
"""

import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urbanmgmt.cases import clock, services, worktime
from urbanmgmt.cases.models import Case, CaseEvent, InspectionTask, RejectReason, State
from urbanmgmt.cases.rows import RowInserter, inserted
from urbanmgmt.cases.states import TRANSITIONS
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department

# What a transition may change: written back for every case changed since the last flush.
CHANGING = ("state", "state_before_suspension", "reject_reason", "category", "urgency", "department", "checker",
            "reply", "filed_at", "dispatched_at", "sign_due_at", "signed_at", "due_at", "original_due_at",
            "extension_requested_until", "handled_at", "handling_minutes", "checked_at", "closed_at", "rejected_at",
            "suspended_at", "extension_count", "return_count", "rework_count", "ticket_count", "version", "updated_at")
_CASES = RowInserter(Case)
_EVENTS = RowInserter(CaseEvent)


class _TaskRef:
    """A task's id in an event payload, known once the task is written."""

    def __init__(self, task: InspectionTask):
        self.task = task


class Ledger:
    """Cases changed in memory by the services' rules; `flush()` writes them."""

    def __init__(self):
        self._new: list[Case] = []
        self._changed: dict[int, Case] = {}  # id(case) → case
        self._events: list[tuple] = []
        self._tasks: list[InspectionTask] = []  # new, or completed since the last flush
        self._open_tasks: dict[int, InspectionTask] = {}  # id(case) → its open task
        self._answers: list[tuple] = []

    # --- collect --------------------------------------------------------------------------
    def report(self, actor, *, channel: str, point: Point, category: Category | None = None, description: str = "",
               address: str = "", request_type: str = "", reported_at: dt.datetime | None = None,
               payload: dict | None = None) -> tuple[Case, bool]:
        """services.report for a case without photos or an external reference."""
        services.check_reporter(actor, channel, request_type)
        case, place, now = services.new_case(actor, channel=channel, point=point, category=category,
                                             description=description, address=address, request_type=request_type,
                                             external_ref=None, reported_at=reported_at, tickets=0)
        case.reported_at, case.updated_at = _as_read(case.reported_at), now
        case.code = services.next_code(timezone.localtime(case.reported_at).year)
        self._new.append(case)
        self._event(case, actor, "report", "", State.REPORTED, "",
                    {"grid": place.code, "point": [point.x, point.y], **(payload or {})}, now, "")
        return case, True

    # --- the transitions (the rules of the functions of the same name in services.py) -----
    def file(self, actor, case: Case, *, version: int, category: Category | None = None, reason: str = "") -> Case:
        chosen = category or case.category
        if chosen is None:
            raise InvalidInput(_("Choose a category before filing the case."))
        return self._apply(actor, case, "file", version, reason,
                           lambda c, now: {"filed_at": now, "category": chosen, "urgency": chosen.urgency})

    def reject(self, actor, case: Case, *, version: int, reason_code: str, reason: str) -> Case:
        if reason_code not in RejectReason.values:
            raise InvalidInput(_("Unknown rejection reason %(code)s."), code=reason_code)
        case = self._apply(actor, case, "reject", version, reason,
                           lambda c, now: {"rejected_at": now, "reject_reason": reason_code}, {"reason_code": reason_code})
        self._answer(case, reason)
        return case

    def dispatch(self, actor, case: Case, *, version: int, department: Department, reason: str = "") -> Case:
        if department is None or not department.active:
            raise InvalidInput(_("Choose an active department to dispatch to."))

        def change(c, now):
            due = services.handling_deadline(c, now)
            return {"department": department, "dispatched_at": now, "due_at": due, "original_due_at": due,
                    "sign_due_at": worktime.add_working_hours(now, settings.SIGN_WITHIN_WORKING_HOURS),
                    "signed_at": None, "extension_requested_until": None}
        return self._apply(actor, case, "dispatch", version, reason, change, {"department": department.code})

    def sign(self, actor, case: Case, *, version: int) -> Case:
        def change(c, now):
            if c.signed_at:
                raise ForbiddenTransition(_("This case was already signed for."))
            return {"signed_at": now}
        return self._apply(actor, case, "sign", version, "", change,
                           lambda c, f: {"on_time": f["signed_at"] <= c.sign_due_at if c.sign_due_at else True})

    def return_case(self, actor, case: Case, *, version: int, reason: str) -> Case:
        def change(c, now):
            if worktime.working_days_between(c.dispatched_at, now) > settings.RETURN_WITHIN_WORKING_DAYS:
                raise ForbiddenTransition(_("The time to return this case (%(days)s working day after dispatch) "
                                            "has passed; ask the dispatcher."), days=settings.RETURN_WITHIN_WORKING_DAYS)
            return {"return_count": c.return_count + 1}
        return self._apply(actor, case, "return", version, reason, change)

    def approve_return(self, actor, case: Case, *, version: int, reason: str = "") -> Case:
        return self._apply(actor, case, "approve_return", version, reason,
                           lambda c, now: {"department": None, "due_at": None, "sign_due_at": None, "signed_at": None},
                           lambda c, f: {"misrouted": True})

    def request_extension(self, actor, case: Case, *, version: int, days: float, reason: str) -> Case:
        return self._apply(actor, case, "request_extension", version, reason,
                           lambda c, now: services.extension_change(c, now, days),
                           lambda c, f: {"days": float(days), "until": f["extension_requested_until"].isoformat()})

    def approve_extension(self, actor, case: Case, *, version: int, reason: str = "") -> Case:
        def change(c, now):
            if not c.extension_requested_until:
                raise ForbiddenTransition(_("No extension is pending for this case."))
            return {"due_at": c.extension_requested_until, "extension_requested_until": None}
        return self._apply(actor, case, "approve_extension", version, reason, change,
                           lambda c, f: {"due_at": f["due_at"].isoformat()})

    def handle(self, actor, case: Case, *, version: int, reply: str) -> Case:
        if not (reply or "").strip():
            raise InvalidInput(_("Write a reply saying what was done."))
        return self._apply(actor, case, "handle", version, "",
                           lambda c, now: {"handled_at": now, "reply": reply.strip(), "signed_at": c.signed_at or now,
                                           "extension_requested_until": None},
                           lambda c, f: {"on_time": c.due_at is None or f["handled_at"] <= c.due_at})

    def send_for_check(self, actor, case: Case, *, version: int, reason: str = "") -> Case:
        """services.send_for_check without a named checker: a task for the grid's inspectors."""
        case = self._apply(actor, case, "send_for_check", version, reason, lambda c, now: {"checker": None},
                           {"checker": None})
        now = clock.now()
        task = InspectionTask(case=case, kind=InspectionTask.Kind.CHECK, inspector=None, created_at=now,
                              due_at=worktime.add_working_hours(now, settings.CHECK_WITHIN_WORKING_HOURS))
        self._open_tasks[id(case)] = task
        self._tasks.append(task)
        return case

    def open_task(self, case: Case) -> InspectionTask:
        return self._open_tasks[id(case)]

    def complete_task(self, actor, task: InspectionTask, *, result: str, note: str = "") -> Case:
        """services.complete_task for a check task: fixed → check passed; not fixed → rework."""
        if task.kind != InspectionTask.Kind.CHECK or result not in InspectionTask.RESULTS[task.kind]:
            raise InvalidInput(_("“%(result)s” is not a result of this task."), result=result)
        if result == InspectionTask.Result.NOT_FIXED and not note.strip():
            raise InvalidInput(_("Say what is still wrong."))
        if task.done_at:
            raise ForbiddenTransition(_("This task was already completed."))
        case = task.case
        site = {"photos": [], "task": _TaskRef(task), "result": result}
        if result == InspectionTask.Result.FIXED:
            case = self._apply(actor, case, "check_pass", case.version, note, lambda c, now: {"checked_at": now}, site)
        else:
            case = self._apply(actor, case, "check_fail", case.version, note,
                               lambda c, now: {"rework_count": c.rework_count + 1, "checked_at": now,
                                               "handled_at": None, "due_at": services.handling_deadline(c, now)}, site)
        task.done_at, task.done_by, task.result, task.note = clock.now(), actor, result, note.strip()
        del self._open_tasks[id(case)]
        if task.pk is not None:
            self._tasks.append(task)
        return case

    def close(self, actor, case: Case, *, version: int, reason: str = "") -> Case:
        def change(c, now):
            if c.state == State.FILED and not reason.strip():
                raise InvalidInput(_("Say why this case is closed without dispatch."))
            return {"closed_at": now}
        case = self._apply(actor, case, "close", version, reason, change)
        self._answer(case, case.reply or reason)
        return case

    def suspend(self, actor, case: Case, *, version: int, reason: str) -> Case:
        return self._apply(actor, case, "suspend", version, reason,
                           lambda c, now: {"suspended_at": now, "state_before_suspension": c.state})

    # --- the machinery ---------------------------------------------------------------------
    def _apply(self, actor, case: Case, action: str, version: int, reason: str, change, payload=None) -> Case:
        """services._apply on the case in memory."""
        transition = TRANSITIONS[action]
        reason = (reason or "").strip()
        if transition.needs_reason and not reason:
            raise InvalidInput(_("Give a reason for this action."))
        services.check_step(transition, case, version)
        role = _role(actor, transition, case)
        now = clock.now()
        fields = services.step_fields(transition, case, change, now)
        to_state = fields["state"]
        extra = payload(case, fields) if callable(payload) else (payload or {})
        from_state = case.state
        for name, value in fields.items():
            setattr(case, name, _as_read(value))
        self._event(case, actor, action, from_state, to_state, reason, extra, now, role)
        if case.pk is not None:
            self._changed[id(case)] = case
        return case

    def _event(self, case, actor, action, from_state, to_state, reason, payload, at, role) -> None:
        self._events.append((case, at, actor, role or services.main_role(actor), action, from_state, to_state,
                             reason, payload, case.version))

    def _answer(self, case: Case, text: str) -> None:
        if text:
            self._answers.append((case, text, clock.now()))

    # --- writing ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what changed since the last flush, in one transaction."""
        with transaction.atomic():
            self._write_new_cases()
            self._write_tasks()
            _EVENTS.insert_many([_event_row(*row) for row in self._events])
            self._write_changed_cases()
            self._write_answers()
        self._events, self._tasks, self._answers = [], [], []

    def _write_new_cases(self) -> None:
        new, self._new = self._new, []
        if not new:
            return
        moments = [case.updated_at for case in new]
        _CASES.insert_many(new)  # (auto_now sets updated_at to the wall clock: the step's time is written below)
        ids = {}
        codes = [case.code for case in new]
        for chunk in range(0, len(codes), 500):
            ids.update(Case.objects.filter(code__in=codes[chunk:chunk + 500]).order_by().values_list("code", "pk"))
        for case, moment in zip(new, moments, strict=True):
            case.pk, case.updated_at = ids[case.code], moment
            case._state.adding, case._state.db = False, "default"
            self._changed[id(case)] = case

    def _write_tasks(self) -> None:
        fresh = [task for task in self._tasks if task.pk is None]
        done = [task for task in self._tasks if task.pk is not None]
        for task in fresh:
            task.case = task.case  # its id, now that the case has one (the object stays cached)
        InspectionTask.objects.bulk_create(fresh, batch_size=500)
        inserted(InspectionTask, fresh)
        if any(task.pk is None for task in fresh):
            raise RuntimeError("this database does not return the ids of bulk-inserted rows")
        if done:
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {quote_table(InspectionTask)} SET {quote('done_at')} = %s, {quote('done_by_id')} = %s, "
                    f"{quote('result')} = %s, {quote('note')} = %s WHERE {quote('id')} = %s",
                    [(connection.ops.adapt_datetimefield_value(t.done_at), t.done_by_id, t.result, t.note, t.pk)
                     for t in done])

    def _write_changed_cases(self) -> None:
        changed, self._changed = list(self._changed.values()), {}
        if not changed:
            return
        fields = [Case._meta.get_field(name) for name in CHANGING]
        quote = connection.ops.quote_name
        sql = (f"UPDATE {quote(Case._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
               f"WHERE {quote('id')} = %s")
        names = [field.attname for field in fields]
        moment = connection.ops.adapt_datetimefield_value  # the rest are str, int or None as they are
        times = {field.attname for field in fields if field.get_internal_type() == "DateTimeField"}
        rows = [[moment(getattr(case, name)) if name in times else getattr(case, name) for name in names] + [case.pk]
                for case in changed]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def _write_answers(self) -> None:
        """What services._answer_tickets does for each closed or rejected case."""
        if not self._answers or not hasattr(Case, "tickets"):
            return
        tickets = Case.tickets.rel.related_model
        quote, table = connection.ops.quote_name, quote_table(tickets)
        at = tickets._meta.get_field("replied_at")
        sql = (f"UPDATE {table} SET {quote('reply')} = %s, {quote('replied_at')} = %s, {quote('updated_at')} = %s, "
               f"{quote('state')} = 'replied' WHERE {quote('case_id')} = %s AND {quote('replied_at')} IS NULL")
        with connection.cursor() as cursor:
            cursor.executemany(sql, [(text, at.get_db_prep_save(now, connection), at.get_db_prep_save(now, connection),
                                      case.pk) for case, text, now in self._answers])


def _as_read(value):
    """A value as the services would read it back from the database: times in UTC (a
    payload made from a time the case holds, such as approve_extension's, says +00:00)."""
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def quote_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _event_row(case, at, actor, role, action, from_state, to_state, reason, payload, version) -> CaseEvent:
    if "task" in payload and isinstance(payload["task"], _TaskRef):
        payload = {**payload, "task": payload["task"].task.pk}
    return CaseEvent(case_id=case.pk, at=at, actor=actor if actor and actor.is_authenticated else None,
                     actor_role=role, action=action, from_state=from_state, to_state=to_state, reason=reason,
                     payload=payload, version=version)


def _role(actor, transition, case: Case) -> str:
    """The role of services._check_actor (a handler only for its own department's cases)."""
    roles = R.roles_of(actor)
    if R.ADMIN in roles:
        return R.ADMIN
    for role in transition.roles:
        if role in roles:
            if role == R.HANDLER and R.department_of(actor) != case.department_id:
                raise NotAllowed(_("Only a handler of the department this case is dispatched to may do this."))
            return role
    raise NotAllowed(_("Your role does not allow “%(action)s”."), action=transition.label)


class ServicePath:
    """The same calls as a Ledger, each made through services.py at the clock's time: one
    transaction per step (the reference the ledger is compared with)."""

    def __getattr__(self, name):
        return getattr(services, name)

    def open_task(self, case: Case) -> InspectionTask:
        return InspectionTask.objects.filter(case_id=case.pk, done_at__isnull=True).latest("id")

    def flush(self) -> None:
        pass
