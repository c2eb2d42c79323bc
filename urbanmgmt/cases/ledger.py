"""The steps of the closed loop taken on cases held in memory and written in batches: the
bulk path of the simulator, of importers that replay many steps (simulate_year makes a city
year of 868,000 items, ~7 million steps, which one transaction per step would take hours to
write) and of services.link_many.

`Ledger` is a generic runner of the table of steps (cases/steps.py): `ledger.<function>(…)`
takes the step of the services function of that name with its arguments, through the same
`steps.begin` and `steps.decide` as services.py (states, roles, versions, preconditions,
fields, event payloads, tasks, answers to 12345 tickets); each call changes the case object
in memory and queues what to write, and `flush()` writes the new cases, the events, the
tasks and the changed fields with a few batched statements (a field a step sets to the
value it holds is left out: the managers' triggers fire on an UPDATE OF state, and a link
keeps the state), every changed case
compared-and-set on the version its row had when the ledger first touched it (StaleVersion,
and nothing written, when another writer moved it meanwhile). A replay through `ServicePath`
(one service call per step) gives the same rows: tests/kpi/test_simulate.py compares both.
"""

import datetime as dt

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from urbanmgmt.cases import clock, rows, steps
from urbanmgmt.cases.models import Case, InspectionTask, State
from urbanmgmt.cases.steps import FUNCTIONS, STEPS
from urbanmgmt.catalog.models import Category


class _TaskRef:
    """A task's id in an event payload, known once the task is written."""

    def __init__(self, task: InspectionTask):
        self.task = task


class Ledger:
    """Cases changed in memory by the table of steps; `flush()` writes them."""

    def __init__(self):
        self._new: list[Case] = []
        self._changed: dict[int, list] = {}  # id(case) → [case, names of changed fields, version stored]
        self._events: list[tuple] = []
        self._tasks: list[InspectionTask] = []  # new, or completed since the last flush
        self._open_tasks: dict[int, InspectionTask] = {}  # id(case) → its open task
        self._answers: list[tuple] = []

    def report(self, actor, *, channel: str, point: Point, category: Category | None = None, description: str = "",
               address: str = "", request_type: str = "", reported_at: dt.datetime | None = None,
               payload: dict | None = None) -> tuple[Case, bool]:
        """services.report for a case without photos or an external reference."""
        steps.check_reporter(actor, channel, request_type)
        case, place, now = steps.new_case(actor, channel=channel, point=point, category=category,
                                          description=description, address=address, request_type=request_type,
                                          external_ref=None, reported_at=reported_at, tickets=0)
        case.reported_at, case.updated_at = _as_read(case.reported_at), now
        case.code = rows.case_codes(timezone.localtime(case.reported_at).year, 1)[0]
        self._new.append(case)
        self._events.append((case, now, actor, steps.main_role(actor), "report", "", State.REPORTED, "",
                             steps.report_payload(place.code, point.x, point.y, payload), case.version))
        return case, True

    def take(self, action: str, actor, case: Case, *, version: int, reason: str = "", **args) -> Case:
        """The step `action` of steps.STEPS on the case in memory (as services.py takes it)."""
        step = STEPS[action]
        args = steps.begin(step, reason, args)
        now = clock.now()
        outcome = steps.decide(step, actor, case, version, args, now)
        stored, changed = case.version, []
        for name, value in outcome.fields.items():
            value = _as_read(value)
            if case.__dict__.get(name, _UNREAD) != value:
                changed.append(name)
            setattr(case, name, value)
        if case.pk is not None:
            self._changed.setdefault(id(case), [case, set(), stored])[1].update(changed)
        self._events.append((case, now, actor, outcome.role, action, outcome.from_state, case.state, args["reason"],
                             outcome.payload, case.version))
        if step.task:
            kind, inspector = step.task
            task = steps.new_task(case, kind, args.get(inspector), now)
            self._open_tasks[id(case)] = task
            self._tasks.append(task)
        if step.answers:
            self._answers.append((case, steps.answer_text(step, case, args), now))
        return case

    def __getattr__(self, name: str):
        """The services' step functions by name (file, dispatch, return_case, link, …)."""
        action = FUNCTIONS.get(name, name)
        if action not in STEPS:
            raise AttributeError(name)

        def step(actor, case: Case, *, version: int, reason: str = "", **args) -> Case:
            return self.take(action, actor, case, version=version, reason=reason, **args)
        return step

    def open_task(self, case: Case) -> InspectionTask:
        return self._open_tasks[id(case)]

    def complete_task(self, actor, task: InspectionTask, *, result: str, note: str = "") -> Case:
        """services.complete_task (without photos) on the task and case in memory."""
        steps.check_task_result(task, result, note)
        case = task.case
        action = steps.task_step(actor, task, case, result)
        site = {"photos": [], "task": _TaskRef(task), "result": result}
        case = self.take(action, actor, case, version=case.version, reason=note, site=site)
        task.done_at, task.done_by, task.result, task.note = clock.now(), actor, result, note.strip()
        del self._open_tasks[id(case)]
        if task.pk is not None:
            self._tasks.append(task)
        return case

    def flush(self) -> None:
        """Write what changed since the last flush, in one transaction."""
        with transaction.atomic():
            self._write_new_cases()
            fresh = [task for task in self._tasks if task.pk is None]
            for task in fresh:
                task.case = task.case  # its id, now that the case has one (the object stays cached)
            rows.insert_tasks(fresh)
            rows.finish_tasks([task for task in self._tasks if task not in fresh])
            changed, self._changed = self._changed, {}
            rows.update_cases([(case, names, stored) for case, names, stored in changed.values()])
            # after the cases: what is told of new events (webhooks) reads the cases as they now are
            rows.insert_events([_event_row(*event) for event in self._events])
            rows.answer_tickets(self._answers)
        self._events, self._tasks, self._answers = [], [], []

    def _write_new_cases(self) -> None:
        new, self._new = self._new, []
        if not new:
            return
        moments = [case.updated_at for case in new]
        rows.insert_cases(new)  # (auto_now sets updated_at to the wall clock: the step's time is written back)
        for case, moment in zip(new, moments, strict=True):
            case.updated_at = moment
            self._changed[id(case)] = [case, {"updated_at"}, case.version]


# A field the ledger has not read (deferred, or a relation held by its id): always written.
_UNREAD = object()


def _as_read(value):
    """A value as the services would read it back from the database: times in UTC (a
    payload made from a time the case holds, such as approve_extension's, says +00:00)."""
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def _event_row(case, at, actor, role, action, from_state, to_state, reason, payload, version) -> rows.Values:
    if "task" in payload and isinstance(payload["task"], _TaskRef):
        payload = {**payload, "task": payload["task"].task.pk}
    return rows.event_row(case.pk, at, actor, role, action, from_state, to_state, reason, payload, version)
