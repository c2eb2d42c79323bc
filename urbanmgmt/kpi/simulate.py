"""A simulated city year, played through the services (cases/services.py) at simulated
times, so every case and event obeys the same rules as real work.

Volumes follow the seeds of DOMAIN §6 (Lianyungang 2020: 575,774 citizen requests and
292,200 collector reports a year), with a weekly and seasonal rhythm and one peak day;
outcomes follow published rates (valid reports ≈ 96–97 %, about half of the consultations
answered at intake, a few returns, extensions, reworks and suspensions). Nothing happens
after the present moment: the cases of the last days stay open where real ones would be.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.utils import timezone

from urbanmgmt.cases import clock, services, worktime
from urbanmgmt.cases.models import Channel, InspectionTask, RequestType
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.services import grid_index
from urbanmgmt.kpi.collection import day_start
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department, Profile
from urbanmgmt.org.services import suggest_department

SEASON = [0.85, 0.8, 0.95, 1.0, 1.05, 1.15, 1.2, 1.2, 1.05, 1.0, 0.9, 0.85]  # January … December
WEEKDAY = [1.12, 1.08, 1.05, 1.05, 1.0, 0.7, 0.6]  # Monday … Sunday (citizens); collectors patrol workdays


@dataclass(frozen=True)
class Scale:
    collector_per_year: int
    hotline_per_year: int
    video_share: float = 0.2


SCALES = {
    "lianyungang": Scale(292_200, 575_774),
    "demo": Scale(9_000, 14_000),
}


class _Later(Exception):
    """A simulated step that would lie in the future."""


class Simulator:
    """Plays days of a city through the services; `progress(done, total)` is told as it goes."""

    def __init__(self, scale: Scale, seed: int = 2020, progress: Callable[[int, int], None] | None = None):
        self.scale, self.rng, self.progress = scale, random.Random(seed), progress or (lambda done, total: None)
        self.people = _people()
        self.categories = list(Category.objects.filter(active=True).select_related("major"))
        self.events = [c for c in self.categories if c.family == "event"]
        self.places = [p for p in grid_index().places]
        self.geoms = grid_index().geoms
        self.fallback = Department.objects.get(code="HZ-CGJ")

    def run(self, first: dt.date, last: dt.date) -> int:
        """Simulate [first, last] (never past today); returns the number of cases made."""
        last = min(last, timezone.localdate())
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        peak = self.rng.choice(days) if days else None
        plan = [(day, self._volume(day, peak)) for day in days]
        total, made = sum(c + h for _, (c, h) in plan), 0
        done = 0
        for day, (collect, hotline) in plan:
            for _ in range(collect):
                made += self._collector_case(day)
            for _ in range(hotline):
                made += self._hotline_case(day)
            done += collect + hotline
            self.progress(done, total)
        return made

    def _volume(self, day: dt.date, peak) -> tuple[int, int]:
        season = SEASON[day.month - 1]
        collect = self.scale.collector_per_year / 250 * season if worktime.is_workday(day) else 0
        hotline = self.scale.hotline_per_year / 365 * season * WEEKDAY[day.weekday()] / 0.94
        if day == peak:
            hotline *= 2.7
        return self._poisson(collect), self._poisson(hotline)

    def _poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        return max(0, round(self.rng.gauss(mean, mean ** 0.5)))

    def _point(self) -> Point:
        while True:
            geom = self.geoms[self.rng.randrange(len(self.geoms))]
            x0, y0, x1, y1 = geom.bounds
            point = Point(self.rng.uniform(x0, x1), self.rng.uniform(y0, y1), srid=4326)
            if grid_index().lookup(point.x, point.y):
                return point

    def _at(self, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
        minutes = self.rng.randrange(first_hour * 60, last_hour * 60)
        return day_start(day) + dt.timedelta(minutes=minutes)

    def _collector_case(self, day: dt.date) -> bool:
        video = self.rng.random() < self.scale.video_share
        actor = self.people["analyst"] if video else self.rng.choice(self.people["inspectors"])
        t = self._at(day, 8, 18)
        if self._due(t):
            return False  # later today: not yet reported
        category = self.rng.choice(self.events if video or self.rng.random() < 0.7 else self.categories)
        with clock.at(t):
            case, _ = services.report(actor, channel=Channel.VIDEO if video else Channel.INSPECTOR,
                                      point=self._point(), category=category, reported_at=t, description="模拟上报")
        self._live(case, t, reject_p=0.033)
        return True

    def _hotline_case(self, day: dt.date) -> bool:
        t = self._at(day, 7, 22)
        if self._due(t):
            return False
        kind = self.rng.choices([RequestType.CONSULTATION, RequestType.HELP, RequestType.COMPLAINT, RequestType.SUGGESTION],
                                [0.48, 0.17, 0.31, 0.04])[0]
        with clock.at(t):
            case, _ = services.report(self.people["dispatcher"], channel=Channel.HOTLINE, point=self._point(),
                                      category=self.rng.choice(self.events), request_type=kind, reported_at=t,
                                      description="模拟12345诉求")
        if kind == RequestType.CONSULTATION and self.rng.random() < 0.9:
            t = self._step(t, 5, 30)
            if not self._due(t):
                with clock.at(t):
                    case = services.file(self.people["dispatcher"], case, version=case.version)
                    services.close(self.people["dispatcher"], case, version=case.version, reason="咨询已当场答复")
            return True
        self._live(case, t, reject_p=0.02)
        return True

    def _step(self, t: dt.datetime, low_min: float, high_min: float) -> dt.datetime:
        return t + dt.timedelta(minutes=self.rng.uniform(low_min, high_min))

    @staticmethod
    def _due(t: dt.datetime) -> bool:
        """True when the step would lie in the future: the case stays where it is."""
        return t > timezone.now()

    def _act(self, t, function, *args, **kwargs):
        """One service call at simulated time t; a step that would lie in the future ends
        the case's simulated life there (it stays open, as real cases of today do)."""
        if self._due(t):
            raise _Later
        with clock.at(t):
            return function(*args, **kwargs)

    def _live(self, case, t: dt.datetime, reject_p: float) -> None:
        try:
            self._work(case, t, reject_p)
        except _Later:
            pass

    def _work(self, case, t: dt.datetime, reject_p: float) -> None:
        """The rest of a case's life: decision, dispatch, handling, check, closing."""
        dispatcher = self.people["dispatcher"]
        t = self._step(t, 5, 60)
        if self.rng.random() < reject_p:
            self._act(t, services.reject, dispatcher, case, version=case.version,
                      reason_code=self.rng.choice(["duplicate", "out_of_scope", "unclear_evidence"]), reason="模拟")
            return
        case = self._act(t, services.file, dispatcher, case, version=case.version)
        department = suggest_department(case) or self.fallback
        t = self._step(t, 3, 40)
        case = self._act(t, services.dispatch, dispatcher, case, version=case.version, department=department)
        if self.rng.random() < 0.015:  # misrouted: returned, routed again
            t = self._step(t, 20, 120)
            case = self._act(t, services.return_case, self._handler(department), case, version=case.version,
                             reason="非本单位职责")
            case = self._act(self._step(t, 5, 30), services.approve_return, dispatcher, case, version=case.version)
            department = self.rng.choice([d for d in self.people["departments"] if d != department])
            t = self._step(t, 30, 60)
            case = self._act(t, services.dispatch, dispatcher, case, version=case.version, department=department)
        handler = self._handler(department)
        late_sign = self.rng.random() < 0.015
        t = worktime.add_working_hours(t, self.rng.uniform(2.2, 4) if late_sign else self.rng.uniform(0.1, 1.5))
        case = self._act(t, services.sign, handler, case, version=case.version)
        if self.rng.random() < 0.003:
            self._act(self._step(t, 60, 600), services.suspend, dispatcher, case, version=case.version, reason="需协调解决")
            return
        self._handle_and_check(case, t, department, handler)

    def _handle_and_check(self, case, t, department, handler) -> None:
        dispatcher = self.people["dispatcher"]
        for attempt in range(2):
            span = worktime.working_minutes_between(t, case.due_at)
            if attempt == 0 and span > 2 * 450 and self.rng.random() < 0.01:  # more than two days left
                case = self._act(t, services.request_extension, handler, case, version=case.version, days=2,
                                 reason="需采购材料")
                case = self._act(self._step(t, 10, 60), services.approve_extension, dispatcher, case, version=case.version)
                span = worktime.working_minutes_between(t, case.due_at)
            on_time = self.rng.random() < 0.97
            t = worktime.add_working_minutes(t, max(1.0, span) * self.rng.uniform(0.2, 0.95)) if on_time else \
                worktime.add_working_hours(case.due_at, self.rng.uniform(0.5, 8))
            case = self._act(t, services.handle, handler, case, version=case.version, reply="已处置")
            t = self._step(t, 10, 90)
            case = self._act(t, services.send_for_check, dispatcher, case, version=case.version)
            task = InspectionTask.objects.filter(case=case, done_at__isnull=True).latest("id")
            inspector = self._inspector_for(case)
            t = worktime.add_working_hours(t, self.rng.uniform(0.2, 1.8))
            fixed = attempt == 1 or self.rng.random() < 0.985
            case = self._act(t, services.complete_task, inspector, task, result="fixed" if fixed else "not_fixed",
                             note="" if fixed else "问题仍存在")
            if fixed:
                self._act(self._step(t, 5, 60), services.close, dispatcher, case, version=case.version)
                return

    def _handler(self, department):
        handlers = self.people["handlers"]
        if department.pk not in handlers:
            handlers[department.pk] = _person(f"sim_handler_{department.code.lower()}", R.HANDLER, department=department)
        return handlers[department.pk]

    def _inspector_for(self, case):
        inspectors = self.people["by_grid"].get(case.grid_id)
        return inspectors or self.people["admin"]


def _person(username: str, role: str, department=None, grids=None):
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": username})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
        profile = Profile.objects.create(user=user, display_name=username, department=department)
        if grids is not None:
            profile.grids.set(grids)
    return user


def _people() -> dict:
    """Simulation staff (unusable passwords): 12 inspectors sharing the grids, an analyst, a
    dispatcher, an administrator (checks where no inspector is assigned), handlers on demand."""
    from urbanmgmt.grids.models import UnitGrid

    grids = list(UnitGrid.objects.order_by("code").values_list("id", flat=True))
    inspectors, by_grid = [], {}
    share = max(1, len(grids) // 12)
    for i in range(12):
        mine = grids[i * share:(i + 1) * share] if i < 11 else grids[11 * share:]
        user = _person(f"sim_inspector_{i + 1:02d}", R.INSPECTOR, grids=mine)
        inspectors.append(user)
        for grid_id in mine:
            by_grid[grid_id] = user
    return {"inspectors": inspectors, "by_grid": by_grid, "analyst": _person("sim_analyst", R.ANALYST),
            "dispatcher": _person("sim_dispatcher", R.DISPATCHER), "admin": _person("sim_admin", R.ADMIN),
            "handlers": {}, "departments": list(Department.objects.filter(active=True))}
