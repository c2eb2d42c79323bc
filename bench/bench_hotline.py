"""Benchmarks of the 12345 channel (issue #6), on SpatiaLite, one process.

- ticket_import_per_s: a CSV of 100,000 generated tickets (60 % with GCJ-02 coordinates,
  40 % with an address only) imported end to end (read and parse, convert, place, classify,
  grid, link, save) against 50,000 open cases; about a third of the tickets describe one of
  those cases.
- link_precision / link_recall: 3,000 tickets against 2,000 open cases where the true
  duplicates are known: 1,000 describe a case (within 0-30 m, hours to days later, other
  words for the same problem), 2,000 do not (the same category 55-150 m away, another
  category of the same class at the same place, or nothing near).

The data is generated here (texts from the catalogue's keywords and everyday phrases): the
figures measure the machinery, not real citizens' writing.
"""

import csv
import datetime as dt
import io
import math
import os
import random
import sys
import time

from common import Timer, bench, load_demo_city, setup_django
from hotline_real import real_text

N_TICKETS = int(os.environ.get("HOTLINE_BENCH_TICKETS", 100_000))
N_OPEN = N_TICKETS // 2
FILLERS = ["好几天了没人管", "希望尽快处理", "影响居民出行", "晚上特别明显", "多次反映未解决", "请相关部门处理",
           "老人小孩经过很危险", "味道很大", "已经一个星期了", "每天都这样", "周边居民意见很大", "麻烦派人看看"]
PLACES = ["小区门口", "路口", "菜市场旁边", "学校附近", "公交站旁", "楼下", "超市门口", "公园东门"]


def text_for(rng, category, filler_count=2) -> str:
    keyword = rng.choice(category.keywords or [category.name_zh])
    return f"{rng.choice(PLACES)}{keyword}，{'，'.join(rng.sample(FILLERS, filler_count))}"


def random_point(rng, index):
    import shapely

    while True:
        i = rng.randrange(len(index.geoms))
        x0, y0, x1, y1 = index.geoms[i].bounds
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.intersects_xy(index.geoms[i], x, y):
            return x, y


def offset(lon, lat, metres, rng):
    """A point `metres` from (lon, lat) in a random direction, inside the city as its GCJ-02
    pin reads back (a citizen's pin beyond the city's edge is refused, rightly: the
    generator draws another direction rather than count those as tickets)."""
    import math

    from urbanmgmt.grids.geo import metric_transformer

    forward = metric_transformer(32650)
    x, y = forward.transform(lon, lat)
    while True:
        angle = rng.uniform(0, 2 * math.pi)
        point = forward.transform(x + metres * math.cos(angle), y + metres * math.sin(angle), direction="INVERSE")
        if inside(*point):
            return point


def inside(lon, lat) -> bool:
    """Whether a WGS84 point, sent as a GCJ-02 pin of seven decimals, lies in a unit grid."""
    from urbanmgmt.grids.services import grid_index
    from urbanmgmt.hotline.coords import to_wgs84

    return grid_index().lookup(*to_wgs84(*gcj(lon, lat), "gcj02")) is not None


def make_open_cases(actor, n, rng, categories, now, days=5):
    from django.contrib.gis.geos import Point

    from urbanmgmt.cases import services
    from urbanmgmt.grids.services import grid_index

    index, made = grid_index(), []
    for start in range(0, n, 2000):
        items = []
        for i in range(start, min(n, start + 2000)):
            category = rng.choice(categories)
            lon, lat = random_point(rng, index)
            items.append(services.NewReport(point=Point(lon, lat, srid=4326), category=category,
                                            description=text_for(rng, category),
                                            reported_at=now - dt.timedelta(hours=rng.uniform(1, days * 24)),
                                            external_ref=f"open-{i}"))
        made += services.report_many(actor, "inspector", items)
    return made


def gcj(lon, lat):
    import prcoords

    c = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
    return round(c.lon, 7), round(c.lat, 7)


def import_speed(dispatcher, inspector, rng, categories, now):
    """ticket_import_per_s (texts of a few keywords, as since issue #6) and
    ticket_import_real_length_per_s (the same tickets, their texts drawn to the lengths of
    real complaints: log-normal, median 204, mean 351, 95th percentile about 1,150
    characters, as 附件3 of the TipDM 2020 message board), each end to end."""
    cases = make_open_cases(inspector, N_OPEN, rng, categories, now)
    for name, lengths in (("ticket_import_per_s", None), ("ticket_import_real_length_per_s", real_length)):
        data = ticket_file(rng, categories, cases, now, name, lengths)
        timed_import(dispatcher, data, name)


def real_length(rng) -> int:
    return max(10, min(7000, round(rng.lognormvariate(math.log(204), 1.042))))


def ticket_file(rng, categories, cases, now, name: str, lengths) -> bytes:
    from urbanmgmt.grids.models import Area
    from urbanmgmt.grids.services import grid_index

    communities = list(Area.objects.filter(level="community").select_related("parent"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工单编号", "受理时间", "诉求类型", "紧急程度", "诉求内容", "地址", "经度", "纬度", "坐标系", "联系电话"])
    kinds = ["投诉举报"] * 6 + ["求助"] * 2 + ["建议"]
    prefix = "B" if lengths is None else "L"
    for i in range(N_TICKETS):
        at = now - dt.timedelta(minutes=rng.uniform(0, 3 * 24 * 60))
        if rng.random() < 0.6:
            if rng.random() < 0.5:
                case = rng.choice(cases)
                lon, lat = offset(case.point.x, case.point.y, rng.uniform(0, 25), rng)
                text = text_for(rng, case.category)
            else:
                category = rng.choice(categories)
                lon, lat = random_point(rng, grid_index())
                while not inside(lon, lat):  # a point a centimetre inside the edge may round out
                    lon, lat = random_point(rng, grid_index())
                text = text_for(rng, category)
            lon, lat = gcj(lon, lat)
            where = ("", lon, lat, "GCJ-02")
        else:
            community = rng.choice(communities)
            text = text_for(rng, rng.choice(categories))
            where = (f"连云港市海州区{community.parent.name}{community.name}{rng.randint(1, 40)}号楼", "", "", "")
        if lengths is not None:
            text = longer(rng, text, lengths(rng))
        writer.writerow([f"{prefix}{i:07d}", f"{at:%Y-%m-%d %H:%M:%S}", rng.choice(kinds), "一般", text, *where,
                         "138****0000"])
    return out.getvalue().encode("utf-8-sig")


def longer(rng, text: str, length: int) -> str:
    """`text` told at `length` characters, as citizens do: the problem, then the story."""
    parts = [text]
    size = len(text)
    while size < length:
        part = rng.choice(STORY)
        parts.append(part)
        size += len(part) + 1
    return "，".join(parts)[:length]


STORY = [*FILLERS, "我是附近的居民", "这个问题已经存在很长时间了", "之前打过电话反映但是一直没有人来处理",
         "严重影响了我们的正常生活", "希望有关部门能够重视", "尽快派人过来看一下", "每天早上上班都要经过这里",
         "家里有老人和孩子", "周围的邻居都有意见", "请给我们一个答复", "谢谢"]


def timed_import(dispatcher, data: bytes, name: str) -> None:
    from django.db import connection

    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.mapping import Mapping
    from urbanmgmt.hotline.readers import read

    mapping, notes, statements = Mapping(), [], [0]

    def counted(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    cpu = time.process_time()
    with Timer() as timer, connection.execute_wrapper(counted):
        summary = import_rows(read(io.BytesIO(data), "bench.csv", mapping, notes), source=name, actor=dispatcher,
                              mapping=mapping)
    cpu = time.process_time() - cpu
    bench(name, N_TICKETS / timer.seconds, "tickets/s")
    # On a shared machine the wall time depends on the others' load: the CPU time is this process's own.
    bench(name.replace("_per_s", "_per_cpu_s"), N_TICKETS / cpu, "tickets/s")
    print(f"  ({summary.as_dict()}, {len(data) / 2**20:.1f} MB CSV, {timer.seconds:.1f} s wall, {cpu:.1f} s CPU, "
          f"load average {os.getloadavg()[0]:.2f}; {1000 * statements[0] / N_TICKETS:.1f} SQL statements per 1,000 "
          "tickets)")


def other_words(rng, category, avoid: str) -> str:
    """The same problem in other words: another keyword of the category when it has one."""
    choices = [k for k in (category.keywords or []) if k not in avoid] or [category.name_zh]
    return rng.choice(choices)


def link_quality(dispatcher, inspector, rng, categories, now):
    """Tickets against open cases whose true duplicates are known.

    A third are duplicates: the case's problem in other words (another keyword of its
    category where the catalogue has one, other everyday phrases; the case's landmark named
    only half the time by a pin's ticket, always in an address-only ticket's address where
    the clerk wrote down the place), 1 to 48 hours after the case; 70 % with GCJ-02
    coordinates of a citizen's pin 0-40 m from the case, 30 % with an address only (street,
    community, landmark, house number; placed by the gazetteer at the community). The
    others are not: the same category 10-150 m beyond its linking radius, another category
    of the same major class at the same place (pin or address), or the same category in the
    same community at another landmark. A ticket that would describe some other open case
    just as well (the random cases happen to hold a twin: same category within the radius,
    or the same community and landmark) is drawn again, so that the truth is knowable.
    """
    from urbanmgmt.grids.geo import to_metric
    from urbanmgmt.grids.models import Area
    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.linking import window
    from urbanmgmt.hotline.models import HotlineTicket

    base = make_open_cases(inspector, 2000, rng, categories, now - dt.timedelta(days=30), days=1)
    areas = {a.pk: a for a in Area.objects.filter(level="community").select_related("parent")}
    by_major: dict[int, list] = {}
    for c in categories:
        by_major.setdefault(c.major_id, []).append(c)
    of_category: dict[int, list] = {}
    for c in base:
        c.xy, c.landmark = to_metric(c.point.x, c.point.y), next((p for p in PLACES if c.description.startswith(p)), "")
        of_category.setdefault(c.category_id, []).append(c)

    def twin(case, category, at, lonlat=None, landmark=None):
        radius, days = window(category)
        xy = to_metric(*lonlat) if lonlat else None
        for other in of_category.get(category.pk, ()):
            if other is case or abs((at - other.reported_at).total_seconds()) > days * 86400:
                continue
            if xy and math.dist(xy, other.xy) <= radius + 5:
                return True
            if landmark is not None and other.community_id == case.community_id and other.landmark == landmark:
                return True
        return False

    truth, kinds, rows, i = {}, {}, [], 0
    while i < 3000:
        case = rng.choice(base)
        at = case.reported_at + dt.timedelta(hours=rng.uniform(1, 48))
        community, landmark = areas[case.community_id], case.landmark
        address_only = rng.random() < 0.3
        kind = ["duplicate", "same category farther", "other category here"][i % 3]
        if kind == "same category farther" and address_only:
            kind = "same category, other landmark"
        category, place, distance = case.category, landmark, rng.uniform(0, 40)
        if kind == "duplicate":
            if not address_only and rng.random() < 0.5:
                place = rng.choice(PLACES)
            text = f"{place}{other_words(rng, category, case.description)}，{'，'.join(rng.sample(FILLERS, 2))}"
        elif kind == "same category farther":
            text, distance = text_for(rng, category), window(category)[0] + rng.uniform(10, 150)
        elif kind == "same category, other landmark":
            place = rng.choice([p for p in PLACES if p != landmark])
            text = f"{place}{other_words(rng, category, '')}，{'，'.join(rng.sample(FILLERS, 2))}"
        else:
            category = rng.choice([c for c in by_major[case.category.major_id] if c.pk != case.category_id] or categories)
            text = text_for(rng, category)
        lonlat = None if address_only else offset(case.point.x, case.point.y, distance, rng)
        if twin(case, category, at, lonlat, place if address_only else None):
            continue
        ref = f"Q{i}"
        truth[ref] = case.pk if kind == "duplicate" else None
        kinds[ref] = kind + (" (address)" if address_only else " (GCJ-02 pin)")
        row = {"工单编号": ref, "受理时间": f"{at:%Y-%m-%d %H:%M:%S}", "诉求类型": "投诉举报", "诉求内容": text}
        if address_only:  # where the clerk wrote down the place: the community and the landmark
            row["地址"] = f"连云港市海州区{community.parent.name}{community.name}{place}{rng.randint(1, 40)}号"
        else:
            glon, glat = gcj(*lonlat)
            row.update({"经度": glon, "纬度": glat, "坐标系": "GCJ-02"})
        rows.append(row)
        i += 1
    import_rows(rows, source="quality", actor=dispatcher)
    # Links between two tickets of the set (the second to the case the first made) are
    # not scored: two tickets drawn at the same place with the same category may well be
    # one problem, which the truth here does not know.
    known = {c.pk for c in base}
    everything = HotlineTicket.objects.filter(source="quality").exclude(link_reason={}).values_list("external_id", "case_id")
    linked = {ref: case_id for ref, case_id in everything if case_id in known}
    correct = sum(1 for ref, case_id in linked.items() if truth.get(ref) == case_id)
    duplicates = sum(1 for v in truth.values() if v)
    bench("link_precision", 100 * correct / max(1, len(linked)), "%")
    bench("link_recall", 100 * correct / max(1, duplicates), "%")
    print(f"  ({len(linked)} links to the open cases, {correct} right, {duplicates} true duplicates; "
          f"{len(everything) - len(linked)} links between tickets of the set, not scored)")
    for kind in sorted(set(kinds.values())):
        refs = [r for r, k in kinds.items() if k == kind]
        right = sum(1 for r in refs if r in linked and truth[r] == linked[r])
        wrong = sum(1 for r in refs if r in linked and truth[r] != linked[r])
        print(f"  {kind}: {len(refs)} tickets, {right} linked right, {wrong} linked wrong")
        if os.environ.get("HOTLINE_BENCH_DEBUG"):
            for t in HotlineTicket.objects.filter(external_id__in=[r for r in refs if r in linked and truth[r] != linked[r]])[:5]:
                print("     ", t.external_id, t.link_reason, t.text, t.address, "|", t.case.description)


def main() -> None:
    setup_django("bench_hotline.sqlite3")
    load_demo_city()
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from urbanmgmt.catalog.models import Category
    from urbanmgmt.hotline.gazetteer import places_from_areas

    places_from_areas("demo grid layer")
    dispatcher = User.objects.create_user("bench_dispatcher")
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    inspector = User.objects.create_user("bench_inspector")
    inspector.groups.add(Group.objects.get(name="inspector"))
    categories = list(Category.objects.filter(active=True).select_related("major"))
    rng = random.Random(20261124)
    now = timezone.now()
    real_text()
    if "--real" in sys.argv:  # the real-text figures alone
        return
    if "--speed" not in sys.argv:
        link_quality(dispatcher, inspector, rng, categories, now)
    import_speed(dispatcher, inspector, rng, categories, now)


if __name__ == "__main__":
    main()
