"""Every path that writes cases refuses what the services refuse (issue #14, point 1).

The refusals of tests/cases/test_services.py (wrong state, wrong role, another department,
another grid, stale version, no pending extension, already signed, the extension and return
limits, missing reasons and replies…) run against every writer: the single services, the
bulk Ledger, report_many and link_many. `PATHS` must name every function of the project
that writes case rows through cases/rows.py: `test_every_writer_of_cases_is_a_path_here`
fails when a new one appears, so a new fast path joins this contract before it can ship.
"""

import ast
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from tests.builders import make_person, point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.bulk import Ledger
from urbanmgmt.cases.models import Case, CaseEvent, InspectionTask
from urbanmgmt.catalog.models import Category
from urbanmgmt.errors import ForbiddenTransition, InvalidInput, NotAllowed, OutsideServiceArea, StaleVersion
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


# --- the paths ---------------------------------------------------------------------------

class SinglePath:
    """One service call, one transaction."""

    name = "services"
    functions = None  # every step
    writes = {"urbanmgmt.cases.services.report", "urbanmgmt.cases.services._take"}

    def step(self, function, actor, case, **kwargs):
        return getattr(services, function)(actor, case, **kwargs)

    def complete(self, actor, task, **kwargs):
        return services.complete_task(actor, task, **kwargs)

    def report(self, actor, **kwargs):
        return services.report(actor, **kwargs)[0]


class LedgerPath:
    """The bulk runner: the case held in memory as a replay holds it, written by flush()."""

    name = "ledger"
    functions = None
    writes = {"urbanmgmt.cases.ledger.Ledger.flush", "urbanmgmt.cases.ledger.Ledger._write_new_cases"}

    def step(self, function, actor, case, **kwargs):
        ledger = Ledger()
        held = Case.objects.select_related("category").get(pk=case.pk)
        held = getattr(ledger, function)(actor, held, **kwargs)
        ledger.flush()
        return held

    def complete(self, actor, task, **kwargs):
        ledger = Ledger()
        case = ledger.complete_task(actor, InspectionTask.objects.select_related("case").get(pk=task.pk), **kwargs)
        ledger.flush()
        return case

    def report(self, actor, **kwargs):
        ledger = Ledger()
        case, _created = ledger.report(actor, **kwargs)
        ledger.flush()
        return case


class ReportManyPath:
    """The 12345 import's way of making cases."""

    name = "report_many"
    functions = {"report"}
    writes = {"urbanmgmt.cases.services.report_many"}

    def report(self, actor, *, channel, point, **kwargs):
        return services.report_many(actor, channel, [services.NewReport(point=(point.x, point.y), **kwargs)])[0]


class LinkManyPath:
    """The 12345 import's way of linking tickets; it reads the version itself, under lock,
    and leaves a case that is no longer open (returning its id) where `link` refuses."""

    name = "link_many"
    functions = {"link"}
    writes: set = set()  # through Ledger.flush

    def step(self, function, actor, case, *, version, ticket, why, reason=""):
        closed = services.link_many(actor, [(case.pk, ticket, why)])
        if case.pk in closed:
            raise ForbiddenTransition("left alone: no longer open")
        return Case.objects.get(pk=case.pk)


PATHS = [SinglePath(), LedgerPath(), ReportManyPath(), LinkManyPath()]


# --- the cases refused -------------------------------------------------------------------

def _dept(code="HZ-HWC"):
    return Department.objects.get(code=code)


def reported(people, category):
    return report_case(people.inspector, category)


def filed(people, category):
    case = reported(people, category)
    return services.file(people.dispatcher, case, version=case.version)


def dispatched(people, category, **kwargs):
    case = report_case(people.inspector, category, **kwargs) if not kwargs.get("channel") else \
        report_case(people.dispatcher, category, **kwargs)
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=_dept())


def long_dispatched(people, category):
    return dispatched(people, Category.objects.get(service_code="C0405"), channel="hotline", request_type="help")


def consultation(people, category):
    return dispatched(people, category, channel="hotline", request_type="consultation")


def signed(people, category):
    case = dispatched(people, category)
    return services.sign(people.handler, case, version=case.version)


def extended(people, category):
    case = long_dispatched(people, category)
    case = services.request_extension(people.handler, case, version=case.version, days=2, reason="需采购")
    return services.approve_extension(people.dispatcher, case, version=case.version)


def dispatched_long_ago(people, category):
    case = dispatched(people, category)
    Case.objects.filter(pk=case.pk).update(dispatched_at=timezone.now() - dt.timedelta(days=7))
    return Case.objects.get(pk=case.pk)


def handled(people, category):
    case = dispatched(people, category)
    return services.handle(people.handler, case, version=case.version, reply="已处理")


def checking(people, category):
    case = handled(people, category)
    return services.send_for_check(people.dispatcher, case, version=case.version)


def rejected(people, category):
    case = reported(people, category)
    return services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="重复")


def uncategorized(people, category):
    return report_case(people.inspector, None)


def far_inspector(people):
    return make_person("far_inspector", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))


@dataclass
class Refusal:
    name: str
    function: str
    given: object  # (people, category) → the case
    who: object  # (people) → the actor
    refused: type
    kwargs: dict
    stale: bool = False  # the version passed is an old one

    def __str__(self) -> str:
        return self.name


def _by(role):
    return lambda people: getattr(people, role)


REFUSALS = [
    Refusal("a step from the wrong state", "dispatch", reported, _by("dispatcher"), ForbiddenTransition,
            {"department": "HZ-HWC"}),
    Refusal("a step of another role", "file", reported, _by("handler"), NotAllowed, {}),
    Refusal("a step of no role", "file", reported, _by("outsider"), NotAllowed, {}),
    Refusal("a handler of another department", "sign", dispatched, _by("other_handler"), NotAllowed, {}),
    Refusal("an inspector of other grids", "check_pass", checking, far_inspector, NotAllowed, {}),
    Refusal("a stale version", "dispatch", filed, _by("dispatcher"), StaleVersion, {"department": "HZ-HWC"},
            stale=True),
    Refusal("signing twice", "sign", signed, _by("handler"), ForbiddenTransition, {}),
    Refusal("approving no pending extension", "approve_extension", long_dispatched, _by("dispatcher"),
            ForbiddenTransition, {}),
    Refusal("denying no pending extension", "deny_extension", long_dispatched, _by("dispatcher"),
            ForbiddenTransition, {"reason": "不"}),
    Refusal("a second extension", "request_extension", extended, _by("handler"), ForbiddenTransition,
            {"days": 1, "reason": "再延"}),
    Refusal("extending a consultation", "request_extension", consultation, _by("handler"), ForbiddenTransition,
            {"days": 1, "reason": "咨询"}),
    Refusal("an extension past ten working days", "request_extension", long_dispatched, _by("handler"),
            ForbiddenTransition, {"days": 6, "reason": "太多"}),
    Refusal("an extension asked too late", "request_extension", dispatched, _by("handler"), ForbiddenTransition,
            {"days": 1, "reason": "来不及"}),
    Refusal("a return after its working day", "return_case", dispatched_long_ago, _by("handler"),
            ForbiddenTransition, {"reason": "不属于本单位"}),
    Refusal("a rejection without a reason", "reject", reported, _by("dispatcher"), InvalidInput,
            {"reason_code": "duplicate", "reason": " "}),
    Refusal("an unknown rejection reason", "reject", reported, _by("dispatcher"), InvalidInput,
            {"reason_code": "because", "reason": "x"}),
    Refusal("filing without a category", "file", uncategorized, _by("dispatcher"), InvalidInput, {}),
    Refusal("dispatching to no department", "dispatch", filed, _by("dispatcher"), InvalidInput, {"department": None}),
    Refusal("a reply without words", "handle", dispatched, _by("handler"), InvalidInput, {"reply": "  "}),
    Refusal("a checker who is no inspector", "send_for_check", handled, _by("dispatcher"), InvalidInput,
            {"checker": "handler"}),
    Refusal("closing a filed case without a reason", "close", filed, _by("dispatcher"), InvalidInput, {}),
    Refusal("suspending without a reason", "suspend", dispatched, _by("dispatcher"), InvalidInput, {"reason": ""}),
    Refusal("unlinking from a case with no ticket", "unlink", reported, _by("dispatcher"), ForbiddenTransition,
            {"ticket": "s:1", "reason": "错"}),
    Refusal("linking to a case no longer open", "link", rejected, _by("dispatcher"), ForbiddenTransition,
            {"ticket": "s:1", "why": {}}),
    Refusal("linking by a handler", "link", reported, _by("handler"), NotAllowed, {"ticket": "s:1", "why": {}}),
    Refusal("corroborating a case no longer open", "corroborate", rejected, _by("inspector"), ForbiddenTransition,
            {"client_uuid": "5b0c1f0e-2d7e-4a43-9d0e-0c1d2e3f4a5b"}),
    Refusal("corroborating a case of another grid", "corroborate", reported, far_inspector, NotAllowed,
            {"client_uuid": "5b0c1f0e-2d7e-4a43-9d0e-0c1d2e3f4a5b"}),
    Refusal("corroborating by a dispatcher", "corroborate", reported, _by("dispatcher"), NotAllowed,
            {"client_uuid": "5b0c1f0e-2d7e-4a43-9d0e-0c1d2e3f4a5b"}),
    Refusal("corroborating without a client id", "corroborate", reported, _by("inspector"), InvalidInput,
            {"client_uuid": " "}),
    Refusal("recategorizing a filed case", "recategorize", filed, _by("dispatcher"), ForbiddenTransition,
            {"category": "C0118"}),
]


def _arguments(kwargs: dict, people) -> dict:
    out = dict(kwargs)
    if isinstance(out.get("department"), str):
        out["department"] = _dept(out["department"])
    if isinstance(out.get("category"), str):
        out["category"] = Category.objects.get(service_code=out["category"])
    if isinstance(out.get("checker"), str):
        out["checker"] = getattr(people, out["checker"])
    return out


def _pairs(kind: str):
    for path in PATHS:
        for refusal in REFUSALS if kind == "step" else REPORT_REFUSALS:
            wanted = refusal.function if kind == "step" else "report"
            if path.functions is None or wanted in path.functions:
                yield pytest.param(path, refusal, id=f"{path.name}: {refusal}")


@pytest.mark.parametrize(("path", "refusal"), list(_pairs("step")))
def test_every_path_refuses_what_the_services_refuse(people, category, path, refusal):
    case = refusal.given(people, category)
    before = (case.state, case.version, CaseEvent.objects.filter(case=case).count())
    version = case.version - 1 if refusal.stale else case.version
    with pytest.raises(refusal.refused):
        path.step(refusal.function, refusal.who(people), case, version=version, **_arguments(refusal.kwargs, people))
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version, CaseEvent.objects.filter(case=case).count()) == before


TASK_REFUSALS = [
    ("a task given to another inspector", "far", {"result": "fixed"}, NotAllowed),
    ("not fixed without saying what", "inspector", {"result": "not_fixed", "note": " "}, InvalidInput),
    ("a result of another kind of task", "inspector", {"result": "confirmed"}, InvalidInput),
]


@pytest.mark.parametrize("path", [p for p in PATHS if p.functions is None], ids=lambda p: p.name)
@pytest.mark.parametrize(("name", "who", "kwargs", "refused"), TASK_REFUSALS, ids=[t[0] for t in TASK_REFUSALS])
def test_every_path_completes_only_the_tasks_the_services_would(people, category, path, name, who, kwargs, refused):
    case = handled(people, category)
    case = services.send_for_check(people.dispatcher, case, version=case.version, checker=people.inspector)
    task = InspectionTask.objects.get(case=case)
    with pytest.raises(refused):
        path.complete(far_inspector(people) if who == "far" else people.inspector, task, **kwargs)
    assert Case.objects.get(pk=case.pk).version == case.version
    assert InspectionTask.objects.get(pk=task.pk).done_at is None


REPORT_REFUSALS = [
    Refusal("an unknown channel", "report", None, _by("inspector"), InvalidInput, {"channel": "pigeon"}),
    Refusal("a channel not of the reporter's role", "report", None, _by("inspector"), NotAllowed,
            {"channel": "video"}),
    Refusal("an unknown request type", "report", None, _by("dispatcher"), InvalidInput,
            {"channel": "hotline", "request_type": "wish"}),
    Refusal("a point in no grid", "report", None, _by("inspector"), OutsideServiceArea,
            {"channel": "inspector", "point": (50, 50)}),
    Refusal("a report from the future", "report", None, _by("inspector"), InvalidInput,
            {"channel": "inspector", "reported_at": "+3h"}),
    Refusal("a report dated before the earliest day", "report", None, _by("inspector"), InvalidInput,
            {"channel": "inspector", "reported_at": "1999"}),
]


@pytest.mark.parametrize(("path", "refusal"), list(_pairs("report")))
def test_every_path_refuses_the_reports_the_services_refuse(people, category, path, refusal):
    kwargs = {"point": (1, 1), "category": category, **refusal.kwargs}
    kwargs["point"] = point_in(*kwargs["point"])
    if kwargs.get("reported_at") == "+3h":
        kwargs["reported_at"] = timezone.now() + dt.timedelta(hours=3)
    elif kwargs.get("reported_at") == "1999":
        kwargs["reported_at"] = timezone.make_aware(dt.datetime(1999, 12, 31, 9))
    with pytest.raises(refusal.refused):
        path.report(refusal.who(people), **kwargs)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_the_ledger_refuses_at_flush_a_case_another_writer_changed_meanwhile(people, category):
    case = filed(people, category)
    ledger = Ledger()
    held = Case.objects.select_related("category").get(pk=case.pk)
    ledger.dispatch(people.dispatcher, held, version=held.version, department=_dept())
    services.suspend(people.dispatcher, case, version=case.version, reason="需协调")  # another writer
    with pytest.raises(StaleVersion):
        ledger.flush()
    stored = Case.objects.get(pk=case.pk)
    assert stored.state == "suspended" and list(stored.events.values_list("action", flat=True)) == [
        "report", "file", "suspend"]


# --- every writer is a path here ---------------------------------------------------------

WRITERS = {"insert_case", "insert_cases", "insert_events", "update_cases", "compare_and_set"}


def _writing_functions() -> set[str]:
    """Every function of the project (not its tests or migrations) that calls a writer of
    cases/rows.py, by module and qualified name."""
    found = set()
    for package in ("urbanmgmt", "collectors_app", "vision", "maps", "demo"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path.name == "rows.py":
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found |= {f"{module}.{name}" for name in _calling(ast.parse(path.read_text(encoding="utf-8")), "")}
    return found


def _calling(node, prefix: str):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef) and any(
                    isinstance(n, ast.Call) and (getattr(n.func, "attr", None) or getattr(n.func, "id", None))
                    in WRITERS for n in ast.walk(child)):
                yield name
            yield from (n for n in _calling(child, f"{name}.") if not isinstance(child, ast.FunctionDef))
        else:
            yield from _calling(child, prefix)


def test_every_writer_of_cases_is_a_path_here():
    assert _writing_functions() == set().union(*(path.writes for path in PATHS))
