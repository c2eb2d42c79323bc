"""The demo city's 12345 channel for `make run`: the gazetteer fixture and a few hundred
tickets of the last days through the importer, as a 12345 platform would export them.

Some describe an open case of the demo (a few metres and hours from it, in the citizen's
words: the importer links them, the dispatch map shows the case's ticket badge), some
repeat one another (one case, several tickets), about a quarter are consultations that the
call taker answers at first contact from the demo's knowledge base (in the 在线解答率), some
carry only an address (the gazetteer places them by their community), a few name no place
the gazetteer knows (the unplaced queue) and a few say too little to classify (the review
list). Idempotent: a second run finds the tickets and changes nothing.
"""

import datetime as dt
import random

import prcoords
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from urbanmgmt.cases import clock
from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.grids.services import grid_index
from urbanmgmt.hotline import services as hotline
from urbanmgmt.hotline.coords import to_wgs84
from urbanmgmt.hotline.gazetteer import load_gazetteer
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, KnowledgeEntry, Place, TicketState
from urbanmgmt.org.models import Department

SOURCE = "12345demo"
GAZETTEER = settings.FIXTURES_DIR / "hotline" / "gazetteer.json"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
CHANNELS = ["电话"] * 6 + ["微信", "网站", "app"]
OPENINGS = ["市民来电反映：", "来电人称，", "市民通过微信反映，", "群众反映，", ""]
PLACES = ["小区门口", "路口东侧", "菜市场旁边", "学校对面", "公交站台附近", "楼下", "十字路口西北角", "超市门口"]
ASKS = ["希望尽快处理。", "请相关部门处理。", "已经好几天了，请尽快解决。", "影响出行，请派人来看看。", "请求处理并回复。"]
# The demo's knowledge base (知识库): code, responsible department, the question as callers ask
# it (the ticket's title and text) and the answer the hotline gives from the entry.
CONSULTATIONS = [
    ("DEMO-ZSK-01", "HZ-HWC", "咨询垃圾分类投放时间", "咨询小区垃圾分类定时定点投放的时间安排。",
     "每天7:00-9:00、18:00-20:00定时投放，其余时间可投放至误时投放点。"),
    ("DEMO-ZSK-02", "HZ-CGJ", "咨询门头招牌审批", "咨询更换店铺门头招牌需要办理什么手续。",
     "向区城管局申请店招标牌设置审批，携带营业执照和设计效果图。"),
    ("DEMO-ZSK-03", "HZ-CGJ", "咨询占道施工许可", "咨询临时占用人行道施工需要什么手续。",
     "向城管部门申请临时占用道路许可，并到交警部门备案。"),
    ("DEMO-ZSK-04", "HZ-HWC", "咨询建筑垃圾清运", "装修产生的建筑垃圾应该怎么处理。",
     "可预约有资质的清运单位，或投放至小区指定的装修垃圾临时堆放点。"),
    ("DEMO-ZSK-05", "HZ-CGJ", "咨询共享单车停放", "咨询共享单车应停放在哪里。",
     "停放在道路两侧施划的非机动车停放区内。"),
    ("DEMO-ZSK-06", "HZ-SZC", "咨询路灯报修渠道", "咨询小区内路灯坏了由谁负责维修。",
     "小区内路灯由物业负责，市政道路路灯可拨打12345或城管热线报修。"),
    ("DEMO-ZSK-07", "HZ-CGJ", "咨询夜市摊点设置", "咨询夜市临时摊点如何申请。",
     "在街道办事处指定的疏导点申请登记，按时段经营。"),
]
VAGUE = ["这里的情况一直没人管，请相关部门来看一下。", "反映一个问题，希望政府重视。", "小区环境问题，请尽快处理。",
         "门口这块有问题，影响大家生活。"]
UNKNOWN_ADDRESSES = ["墟沟街道海棠新村", "家附近的路口", "高公岛街道渔港路", "连云区板桥街道工业园", "老城区一带"]


def load_hotline_demo(log=print) -> None:
    """Load the gazetteer and the demo tickets if they are missing."""
    if not Place.objects.exists():
        log(f"12345 gazetteer: {load_gazetteer(GAZETTEER)} places")
    if HotlineTicket.objects.filter(source=SOURCE).exists():
        return
    actor = get_user_model().objects.filter(username="dispatcher").first()
    if actor is None or not UnitGrid.objects.exists():
        return
    entries = load_knowledge()
    summary = import_rows(demo_rows(), source=SOURCE, actor=actor)
    answered = answer_consultations(actor, entries)
    log(f"12345 demo tickets: {summary.created} ({summary.linked} linked to open cases, {summary.cases_created} new "
        f"cases, {answered} answered at first contact from the knowledge base, {summary.unplaced} unplaced, "
        f"{summary.to_review} to review, {len(summary.rejected)} refused)")


def load_knowledge() -> dict[str, KnowledgeEntry]:
    """The demo's knowledge base entries (made if missing), by the title of the consultations
    they answer: in force for a year, reviewed a month ago."""
    today = timezone.localdate()
    departments = dict(Department.objects.values_list("code", "pk"))
    entries = {}
    for code, department, title, question, answer in CONSULTATIONS:
        entries[title], _made = KnowledgeEntry.objects.get_or_create(code=code, defaults={
            "question": question, "answer": answer, "department_id": departments.get(department), "tags": [title[2:]],
            "valid_from": today - dt.timedelta(days=365), "reviewed_at": today - dt.timedelta(days=30)})
    return entries


def answer_consultations(actor, entries: dict[str, KnowledgeEntry], seed: int = 12345) -> int:
    """Answer the demo's consultations waiting for an answer from the knowledge base entry of
    their question, through the hotline's service, a few minutes after each came in (the
    call taker answers at first contact, 在线解答). How many were answered."""
    rng = random.Random(seed)
    waiting = HotlineTicket.objects.filter(source=SOURCE, state=TicketState.TO_ANSWER, title__in=entries)
    count = 0
    for ticket in waiting.order_by("received_at", "pk"):
        entry = entries[ticket.title]
        with clock.at(ticket.received_at + dt.timedelta(minutes=rng.uniform(2, 8))):
            hotline.answer(actor, ticket, entry.answer, entry)
        count += 1
    return count


def demo_rows(seed: int = 12345, now: dt.datetime | None = None) -> list[dict]:
    """About 300 rows in the common Chinese headers, received over the last few days."""
    rng = random.Random(seed)
    now = now or clock.now()
    categories = [c for c in Category.objects.filter(active=True, family="event").order_by("service_code") if c.keywords]
    grids = list(UnitGrid.objects.order_by("code").values_list("code", flat=True))
    points = {code: point for code, point in _grid_points(grids)}
    communities = list(Area.objects.filter(level=Area.Level.COMMUNITY).select_related("parent").order_by("code"))
    rows: list[dict] = []

    def row(at: dt.datetime, kind: str, title: str, text: str, *, point=None, address="", urgency="一般"):
        number = f"{at:%Y%m%d}{len(rows) + 1:05d}"
        out = {"工单编号": number, "受理时间": f"{at:%Y-%m-%d %H:%M:%S}", "来源渠道": rng.choice(CHANNELS),
               "诉求类型": kind, "紧急程度": urgency, "标题": title, "诉求内容": text, "地址": address,
               "来电人": f"{rng.choice(SURNAMES)}{rng.choice('先生女士')}",
               "联系电话": f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}",
               "经度": "", "纬度": "", "坐标系": ""}
        if point is not None:
            lon, lat = _pin(*point)
            out.update({"经度": lon, "纬度": lat, "坐标系": "GCJ-02"})
        rows.append(out)

    def complaint(category: Category) -> tuple[str, str]:
        keyword = rng.choice(category.keywords[:3])
        return category.name_zh, f"{rng.choice(OPENINGS)}{rng.choice(PLACES)}{keyword}，{rng.choice(ASKS)}"

    def recent(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours, minutes=rng.randint(0, 59))

    # Tickets describing the demo's open cases (linked by the importer).
    open_cases = list(Case.objects.open().filter(category__in=categories,
                                          reported_at__gte=now - dt.timedelta(days=5))
                      .select_related("category").order_by("code")[:400])
    for case in rng.sample(open_cases, min(70, len(open_cases))):
        for _n in range(rng.choice([1, 1, 1, 2, 3])):
            at = min(case.reported_at + dt.timedelta(hours=rng.uniform(0.5, 30)), now - dt.timedelta(minutes=10))
            title, text = complaint(case.category)
            row(at, "投诉举报", title, text, point=_near(rng, case.point.x, case.point.y, 12))
    # New problems, some reported by several callers.
    for _n in range(80):
        category, grid = rng.choice(categories), rng.choice(grids)
        at = recent(rng.uniform(1, 96))
        spot = _near(rng, *points[grid], 30)
        for again in range(rng.choice([1, 1, 1, 1, 2])):
            title, text = complaint(category)
            kind = rng.choice(["投诉举报"] * 4 + ["求助"])
            row(min(at + dt.timedelta(hours=again * 2), now - dt.timedelta(minutes=5)), kind, title, text,
                point=_near(rng, *spot, 8), urgency=rng.choice(["一般"] * 9 + ["紧急"]))
    # Consultations with no place, answered at first contact from the knowledge base (never dispatched).
    for _n in range(70):
        _code, _department, title, text, _answer = rng.choice(CONSULTATIONS)
        row(recent(rng.uniform(1, 120)), "咨询", title, text)
    # Address only: the gazetteer places them by the community the address names.
    for _n in range(45):
        community, category = rng.choice(communities), rng.choice(categories)
        title, text = complaint(category)
        street = community.parent.name if community.parent else ""
        row(recent(rng.uniform(1, 96)), "投诉举报", title, text,
            address=f"连云港市海州区{street}{community.name}{rng.randint(1, 40)}号楼附近")
    # No place the gazetteer knows: the unplaced queue.
    for address in UNKNOWN_ADDRESSES * 2:
        title, text = complaint(rng.choice(categories))
        row(recent(rng.uniform(1, 48)), "投诉举报", title, text, address=address)
    # Too vague to classify: the review list.
    for text in VAGUE * 3:
        spot = _near(rng, *points[rng.choice(grids)], 20)
        row(recent(rng.uniform(1, 72)), rng.choice(["投诉举报", "建议"]), "", text, point=spot)
    rows.sort(key=lambda r: r["受理时间"])
    return rows


def _grid_points(codes: list[str]):
    for code, geom in UnitGrid.objects.filter(code__in=codes).values_list("code", "geom"):
        inside = geom.point_on_surface
        yield code, (inside.x, inside.y)


def _near(rng: random.Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    """A point within about `metres` of (lon, lat) (a point of the city) that is in the city
    as its GCJ-02 pin reads back: near the city's edge another is drawn (a pin outside the
    unit grids is refused by the importer, rightly)."""
    index = grid_index()
    for _try in range(100):
        point = (lon + rng.uniform(-metres, metres) / 94_000, lat + rng.uniform(-metres, metres) / 111_000)
        if index.lookup(*to_wgs84(*_pin(*point), "gcj02")) is not None:
            return point
    return lon, lat


def _pin(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point as a Gaode/Tencent map pin: GCJ-02, six decimals."""
    gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    return round(gcj.lon, 6), round(gcj.lat, 6)
