"""A simulated city year, played by the rules of the case services at simulated times.

Volumes follow the seeds of DOMAIN §6 (Lianyungang 2020: 575,774 citizen requests and
292,200 collector reports a year), with a weekly and seasonal rhythm and one peak day;
outcomes follow published rates (valid reports ≈ 96–97 %, about half of the consultations
answered at intake, a few returns, extensions, reworks and suspensions, satisfaction of
rated callbacks ≈ 96.8 %). Nothing happens after the present moment: the cases of the
last days stay open where real ones would be.

The city is played in time order (a queue of every case's next step), so each step sees
the city as it is at that moment: a 12345 ticket is linked only to a case still open when
it arrives. Collector reports and case steps go through `cases.bulk.Ledger` (the services'
rules in memory, written in batches) or, with bulk=False, through the services one call
per step; both give the same rows. The citizens' requests arrive as 12345 tickets through
the hotline import (urbanmgmt.hotline.importer.import_rows) once a day, and the callbacks
(回访) of tickets answered since are recorded then (hotline.services.record_callbacks), so
satisfaction and resolution come from ticket data.
"""

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.utils import timezone

from urbanmgmt.cases import clock, worktime
from urbanmgmt.cases.bulk import Ledger, ServicePath
from urbanmgmt.cases.models import Case, Channel
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.services import grid_index
from urbanmgmt.kpi.scope import day_start
from urbanmgmt.org import roles as R
from urbanmgmt.org.models import Department, OwnershipRule, Profile
from urbanmgmt.org.services import suggest_department

SEASON = [0.85, 0.8, 0.95, 1.0, 1.05, 1.15, 1.2, 1.2, 1.05, 1.0, 0.9, 0.85]  # January … December
WEEKDAY = [1.12, 1.08, 1.05, 1.05, 1.0, 0.7, 0.6]  # Monday … Sunday (citizens); collectors patrol workdays
SOURCE = "sim12345"  # the simulated tickets' source system
KINDS = {"咨询": 0.48, "求助": 0.17, "投诉举报": 0.31, "建议": 0.04}
INTAKE = {"电话": 0.62, "网站": 0.12, "微信": 0.2, "APP": 0.06}
IMPORT_AT = dt.timedelta(hours=22, minutes=30)  # the day's tickets arrive in one batch after the hotline closes


@dataclass(frozen=True)
class Scale:
    collector_per_year: int
    hotline_per_year: int
    video_share: float = 0.2


SCALES = {
    "lianyungang": Scale(292_200, 575_774),
    "demo": Scale(9_000, 14_000),
}


class Simulator:
    """Plays days of a city; `progress(done, total)` is told as it goes (items of each day)."""

    def __init__(self, scale: Scale, seed: int = 2020, progress: Callable[[int, int], None] | None = None,
                 bulk: bool = True):
        self.scale, self.rng, self.progress = scale, random.Random(seed), progress or (lambda done, total: None)
        self.cases = Ledger() if bulk else ServicePath()
        self.people = _people()
        self.categories = list(Category.objects.filter(active=True).select_related("major").order_by("id"))
        self.events = [c for c in self.categories if c.family == "event"]
        self.geoms = grid_index().geoms
        self.fallback = Department.objects.get(code="HZ-CGJ")
        self.queue: list = []  # (time, order, the life that continues then)
        self.order = itertools.count()
        self.callbacks: list = []  # (time, order, ticket id, satisfaction, resolved)
        self.intended: dict[str, Category] = {}  # ticket id → the category the citizen meant
        self.knowledge = _knowledge()  # the entries a call taker answers from (在线解答), if any
        self.tickets_of: dict[str, list[str]] = {}  # case code → its tickets' ids
        self.live: dict[str, Case] = {}  # case code → the case, while its life is played
        self.departments: dict[tuple, Department] = {}
        self.grid_rules = OwnershipRule.grids.through.objects.exists()
        self.rule_areas = set(OwnershipRule.objects.filter(area__isnull=False).values_list("area_id", flat=True))
        self.made = 0
        self.end = timezone.now()

    def run(self, first: dt.date, last: dt.date) -> int:
        """Simulate [first, last] (never past now); returns the number of cases made."""
        from urbanmgmt.hotline.importer import import_rows  # noqa: F401 (the hotline app is required)

        last = min(last, timezone.localdate())
        self.end = min(timezone.now(), day_start(last + dt.timedelta(days=1)))
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        peak = self.rng.choice(days) if days else None
        plan = [(day, self._volume(day, peak)) for day in days]
        total, done = sum(c + h for _, (c, h) in plan), 0
        for day, (collect, hotline) in plan:
            self._plan_day(day, collect, hotline)
            self._play_until(min(self.end, day_start(day + dt.timedelta(days=1))))
            done += collect + hotline
            self.progress(done, total)
        self.cases.flush()
        return self.made

    # --- the queue ---------------------------------------------------------------------------
    def _start(self, life: Iterator[dt.datetime]) -> None:
        """Run a life to its first step's time and queue it (dropped when that lies past the end)."""
        try:
            at = next(life)
        except StopIteration:
            return
        if at <= self.end:
            heapq.heappush(self.queue, (at, next(self.order), life))

    def _play_until(self, until: dt.datetime) -> None:
        while self.queue and self.queue[0][0] < until:
            at, _order, life = heapq.heappop(self.queue)
            with clock.at(at):
                self._start(life)

    # --- a day's intake ----------------------------------------------------------------------
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

    def _plan_day(self, day: dt.date, collect: int, hotline: int) -> None:
        for _ in range(collect):
            video = self.rng.random() < self.scale.video_share
            actor = self.people["analyst"] if video else self.rng.choice(self.people["inspectors"])
            t = self._at(day, 8, 18)
            category = self.rng.choice(self.events if video or self.rng.random() < 0.7 else self.categories)
            self._start(self._collector_case(t, Channel.VIDEO if video else Channel.INSPECTOR, actor, category,
                                             self._point()))
        arrival = min(self.end, day_start(day) + IMPORT_AT)
        rows = [self._ticket_row(day, n) for n in range(hotline)]
        self._start(self._intake(arrival, [row for row in rows if row["受理时间"] <= arrival]))

    def _ticket_row(self, day: dt.date, n: int) -> dict:
        t = self._at(day, 7, 22)
        kind = self.rng.choices(list(KINDS), list(KINDS.values()))[0]
        category = self.rng.choice(self.events)
        point = self._point()
        keyword = (category.keywords or [category.name_zh])[0]
        row = {"工单编号": f"{day:%Y%m%d}{n:05d}", "受理时间": t, "诉求类型": kind,
               "来源渠道": self.rng.choices(list(INTAKE), list(INTAKE.values()))[0],
               "标题": category.name_zh, "诉求内容": f"市民反映此处{keyword}，希望尽快处理。",
               "经度": round(point.x, 6), "纬度": round(point.y, 6), "坐标系": "WGS84"}
        if kind == "咨询" and self.rng.random() < 0.9:
            row["答复内容"] = "已当场答复政策咨询"
            if self.knowledge:  # a question the knowledge base answers, answered from its entry
                code, question, answer = self.rng.choice(self.knowledge)
                row.update({"知识库编号": code, "标题": question[:30], "诉求内容": question, "答复内容": answer})
        self.intended[row["工单编号"]] = category
        return row

    # --- the lives -----------------------------------------------------------------------------
    def _collector_case(self, t, channel, actor, category, point):
        yield t
        keyword = (category.keywords or [category.name_zh])[0]
        case, _ = self.cases.report(actor, channel=channel, point=point, category=category, reported_at=t,
                                    description=("视频发现" if channel == Channel.VIDEO else "巡查发现") + keyword)
        self.made += 1
        yield from self._life(case, t, reject_p=0.033)

    def _intake(self, at: dt.datetime, rows: list[dict]):
        """The day's tickets and the callbacks made since, through the hotline import."""
        from urbanmgmt.hotline.importer import import_rows
        from urbanmgmt.hotline.models import HotlineTicket, TicketState
        from urbanmgmt.hotline.services import record_callbacks

        yield at
        self.cases.flush()  # the import sees the city as it is now
        callbacks = []
        while self.callbacks and self.callbacks[0][0] <= at:
            when, _order, ticket, satisfaction, resolved = heapq.heappop(self.callbacks)
            callbacks.append((ticket, satisfaction, resolved, when))
        record_callbacks(self.people["dispatcher"], SOURCE, callbacks)
        import_rows(rows, source=SOURCE, actor=self.people["dispatcher"])
        tickets = []
        ids = [row["工单编号"] for row in rows]
        for chunk in range(0, len(ids), 500):
            tickets += HotlineTicket.objects.filter(source=SOURCE, external_id__in=ids[chunk:chunk + 500]).values_list(
                "external_id", "state", "owns_case", "case__code")
        own, linked = [], []
        for ticket, state, owns, code in sorted(tickets):
            if state == TicketState.ANSWERED:
                self._call_back(ticket, at)
            elif owns:
                own.append(code)
                self.tickets_of[code] = [ticket]
            elif code is not None:
                linked.append(code)
                self.tickets_of.setdefault(code, []).append(ticket)
        for code, version, count in Case.objects.filter(code__in=[c for c in linked if c in self.live]).values_list(
                "code", "version", "ticket_count"):
            self.live[code].version, self.live[code].ticket_count = version, count  # the import's links
        self.made += len(own)
        mine = {t: self.intended.pop(t) for t in ids}
        by_code = {c.code: c for c in Case.objects.filter(code__in=own).select_related("category")}
        for code in sorted(own):
            case = by_code[code]
            self._start(self._life(case, at, reject_p=0.02, category=mine[case.external_ref.split(":", 1)[1]]))

    def _call_back(self, ticket: str, replied: dt.datetime) -> None:
        """The citizen's callback (回访), half a day to three days after the reply."""
        when = replied + dt.timedelta(hours=self.rng.uniform(4, 72))
        if self.rng.random() < 0.06:
            satisfaction, resolved = "unreachable", None
        else:
            r = self.rng.random()
            satisfaction = "satisfied" if r < 0.9 else "basic" if r < 0.968 else "unsatisfied"
            resolved = self.rng.random() < (0.99 if satisfaction != "unsatisfied" else 0.45)
        heapq.heappush(self.callbacks, (when, next(self.order), ticket, satisfaction, resolved))

    def _replied(self, case, t: dt.datetime) -> None:
        self.live.pop(case.code, None)
        for ticket in self.tickets_of.pop(case.code, ()):
            self._call_back(ticket, t)

    def _step(self, t: dt.datetime, low_min: float, high_min: float) -> dt.datetime:
        return t + dt.timedelta(minutes=self.rng.uniform(low_min, high_min))

    def _do(self, action: str, actor, case, **kwargs):
        """One step through the ledger (or the services) at the clock's time."""
        case = getattr(self.cases, action)(actor, case, version=case.version, **kwargs)
        self.live[case.code] = case
        return case

    def _life(self, case, t: dt.datetime, reject_p: float, category: Category | None = None):
        """The rest of a case's life: decision, dispatch, handling, check, closing; each
        `yield` is the time of the next step."""
        dispatcher = self.people["dispatcher"]
        self.live[case.code] = case
        t = self._step(t, 5, 60)
        yield t
        if self.rng.random() < reject_p:
            code = self.rng.choice(list(REJECTIONS))
            case = self._do("reject", dispatcher, case, reason_code=code, reason=REJECTIONS[code])
            self._replied(case, t)
            return
        case = self._do("file", dispatcher, case, category=None if case.category_id else category)
        department = self._department(case)
        t = self._step(t, 3, 40)
        yield t
        case = self._do("dispatch", dispatcher, case, department=department)
        if self.rng.random() < 0.015:  # misrouted: returned, routed again
            t = self._step(t, 20, 120)
            yield t
            case = self._do("return_case", self._handler(department), case, reason="非本单位职责")
            t = self._step(t, 5, 30)
            yield t
            case = self._do("approve_return", dispatcher, case)
            department = self.rng.choice([d for d in self.people["departments"] if d != department])
            t = self._step(t, 30, 60)
            yield t
            case = self._do("dispatch", dispatcher, case, department=department)
        handler = self._handler(department)
        late_sign = self.rng.random() < 0.015
        t = worktime.add_working_hours(t, self.rng.uniform(2.2, 4) if late_sign else self.rng.uniform(0.1, 1.5))
        yield t
        case = self._do("sign", handler, case)
        if self.rng.random() < 0.003:
            t = self._step(t, 60, 600)
            yield t
            self._do("suspend", dispatcher, case, reason="需协调解决")
            self.live.pop(case.code, None)
            return
        yield from self._handle_and_check(case, t, handler)

    def _handle_and_check(self, case, t, handler):
        dispatcher = self.people["dispatcher"]
        for attempt in range(2):
            span = worktime.working_minutes_between(t, case.due_at)
            room = settings.EXTENSION_MAX_TOTAL_WORKING_DAYS - worktime.working_days_between(case.dispatched_at,
                                                                                           case.due_at)
            if attempt == 0 and span > 2 * 450 and room >= 1 and self.rng.random() < 0.01:  # two days left, and room
                case = self._do("request_extension", handler, case, days=min(2, int(room)), reason="需采购材料")
                t = self._step(t, 10, 60)
                yield t
                case = self._do("approve_extension", dispatcher, case)
                span = worktime.working_minutes_between(t, case.due_at)
            on_time = self.rng.random() < 0.97
            done = worktime.add_working_minutes(t, max(1.0, span) * self.rng.uniform(0.2, 0.95)) if on_time else \
                worktime.add_working_hours(case.due_at, self.rng.uniform(0.5, 8))
            t = max(done, t + dt.timedelta(minutes=1))
            yield t
            case = self._do("handle", handler, case, reply="已处置")
            t = self._step(t, 10, 90)
            yield t
            case = self._do("send_for_check", dispatcher, case)
            task = self.cases.open_task(case)
            inspector = self._inspector_for(case)
            late_check = self.rng.random() < 0.02  # the check is due in 2 working hours; a few miss it
            t = worktime.add_working_hours(t, self.rng.uniform(2.1, 6) if late_check else self.rng.uniform(0.2, 1.8))
            fixed = attempt == 1 or self.rng.random() < 0.985
            yield t
            case = self.cases.complete_task(inspector, task, result="fixed" if fixed else "not_fixed",
                                            note="" if fixed else "问题仍存在")
            self.live[case.code] = case
            if fixed:
                t = self._step(t, 5, 60)
                yield t
                case = self._do("close", dispatcher, case)
                self._replied(case, t)
                return

    def _department(self, case) -> Department:
        """suggest_department, asked once per category and grid; while the ownership register
        names no grids, once per category and the areas of the case that rules name (its
        answer depends on nothing else then)."""
        areas = tuple(a for a in (case.community_id, case.street_id, case.district_id) if a in self.rule_areas)
        key = (case.category_id, case.grid_id if self.grid_rules else areas)
        if key not in self.departments:
            self.departments[key] = suggest_department(case) or self.fallback
        return self.departments[key]

    def _handler(self, department):
        handlers = self.people["handlers"]
        if department.pk not in handlers:
            handlers[department.pk] = _person(f"sim_handler_{department.code.lower()}", R.HANDLER,
                                              f"{department.name}承办人", department=department)
        return handlers[department.pk]

    def _inspector_for(self, case):
        inspectors = self.people["by_grid"].get(case.grid_id)
        return inspectors or self.people["admin"]


# A dispatcher's reasons for not filing a report, as they would write them (the citizen's
# ticket is replied to with it).
REJECTIONS = {"duplicate": "与已上报的案件重复，已合并处理", "out_of_scope": "不属于城市管理受理范围",
              "unclear_evidence": "照片不清，无法确认问题"}

# The simulated staff's names, as the evaluation and the history show them (not their logins).
INSPECTOR_NAMES = ("王伟", "李静", "张敏", "刘洋", "陈磊", "杨帆", "赵强", "黄丽", "周杰", "吴芳", "徐刚", "孙涛")


def _person(username: str, role: str, name: str, department=None, grids=None):
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": name})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
        profile = Profile.objects.create(user=user, display_name=name, department=department)
        if grids is not None:
            profile.grids.set(grids)
    return user


DEMO_INSPECTOR = "inspector"


def _knowledge() -> list[tuple[str, str, str]]:
    from urbanmgmt.hotline.models import KnowledgeEntry

    return list(KnowledgeEntry.objects.filter(active=True).order_by("code").values_list("code", "question", "answer"))


def _people() -> dict:
    """Simulation staff (unusable passwords): 12 inspectors sharing the grids, an analyst, a
    dispatcher, an administrator (checks where no inspector is assigned), handlers on demand."""
    from urbanmgmt.grids.models import UnitGrid

    grids = list(UnitGrid.objects.order_by("code").values_list("id", flat=True))
    inspectors, by_grid = [], {}
    share = max(1, len(grids) // 12)
    # The demo's own inspector account (demo/city.py), where it exists, walks the first beat:
    # whoever signs in to 城管通 as it finds their reports, tasks and patrols of the two months.
    demo = get_user_model().objects.filter(username=DEMO_INSPECTOR, groups__name=R.INSPECTOR).first()
    for i in range(12):
        mine = grids[i * share:(i + 1) * share] if i < 11 else grids[11 * share:]
        if i == 0 and demo is not None:
            user = demo
            Profile.objects.get_or_create(user=user)[0].grids.set(mine)
        else:
            user = _person(f"sim_inspector_{i + 1:02d}", R.INSPECTOR, INSPECTOR_NAMES[i], grids=mine)
        inspectors.append(user)
        for grid_id in mine:
            by_grid[grid_id] = user
    return {"inspectors": inspectors, "by_grid": by_grid, "analyst": _person("sim_analyst", R.ANALYST, "马丽"),
            "dispatcher": _person("sim_dispatcher", R.DISPATCHER, "朱军"), "admin": _person("sim_admin", R.ADMIN, "胡明"),
            "handlers": {}, "departments": list(Department.objects.filter(active=True))}
