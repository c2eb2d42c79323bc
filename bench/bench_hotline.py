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
import random

from common import Timer, bench, load_demo_city, setup_django

N_TICKETS, N_OPEN = 100_000, 50_000
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
    import math

    from urbanmgmt.grids.geo import _to_metric

    angle = rng.uniform(0, 2 * math.pi)
    forward = _to_metric(32650)
    x, y = forward.transform(lon, lat)
    return forward.transform(x + metres * math.cos(angle), y + metres * math.sin(angle), direction="INVERSE")


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
    from urbanmgmt.grids.models import Area
    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.mapping import Mapping
    from urbanmgmt.hotline.readers import read

    cases = make_open_cases(inspector, N_OPEN, rng, categories, now)
    communities = list(Area.objects.filter(level="community").select_related("parent"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["工单编号", "受理时间", "诉求类型", "紧急程度", "诉求内容", "地址", "经度", "纬度", "坐标系", "联系电话"])
    kinds = ["投诉举报"] * 6 + ["求助"] * 2 + ["建议"]
    for i in range(N_TICKETS):
        at = now - dt.timedelta(minutes=rng.uniform(0, 3 * 24 * 60))
        if rng.random() < 0.6:
            if rng.random() < 0.5:
                case = rng.choice(cases)
                lon, lat = offset(case.point.x, case.point.y, rng.uniform(0, 25), rng)
                text = text_for(rng, case.category)
            else:
                from urbanmgmt.grids.services import grid_index

                category = rng.choice(categories)
                lon, lat = random_point(rng, grid_index())
                text = text_for(rng, category)
            lon, lat = gcj(lon, lat)
            writer.writerow([f"B{i:07d}", f"{at:%Y-%m-%d %H:%M:%S}", rng.choice(kinds), "一般", text, "", lon, lat,
                             "GCJ-02", "138****0000"])
        else:
            community = rng.choice(communities)
            text = text_for(rng, rng.choice(categories))
            address = f"连云港市海州区{community.parent.name}{community.name}{rng.randint(1, 40)}号楼"
            writer.writerow([f"B{i:07d}", f"{at:%Y-%m-%d %H:%M:%S}", rng.choice(kinds), "一般", text, address, "", "",
                             "", "138****0000"])
    data = out.getvalue().encode("utf-8-sig")
    mapping, notes = Mapping(), []
    with Timer() as timer:
        summary = import_rows(read(io.BytesIO(data), "bench.csv", mapping, notes), source="bench", actor=dispatcher,
                              mapping=mapping)
    bench("ticket_import_per_s", N_TICKETS / timer.seconds, "tickets/s")
    print(f"  ({summary.as_dict()}, {len(data) / 2**20:.1f} MB CSV, {timer.seconds:.1f} s)")


def link_quality(dispatcher, inspector, rng, categories, now):
    from django.contrib.gis.geos import Point

    from urbanmgmt.hotline.importer import import_rows
    from urbanmgmt.hotline.models import HotlineTicket

    base = make_open_cases(inspector, 2000, rng, categories, now - dt.timedelta(days=30), days=1)
    truth, rows = {}, []
    by_major = {}
    for c in categories:
        by_major.setdefault(c.major_id, []).append(c)
    for i in range(3000):
        case = rng.choice(base)
        at = case.reported_at + dt.timedelta(hours=rng.uniform(0.5, 48))
        kind = i % 3
        if kind == 0:  # a true duplicate
            lon, lat = offset(case.point.x, case.point.y, rng.uniform(0, 30), rng)
            text = text_for(rng, case.category)
            truth[f"Q{i}"] = case.pk
        elif kind == 1 and rng.random() < 0.5:  # same category, another place
            lon, lat = offset(case.point.x, case.point.y, rng.uniform(55, 150), rng)
            text = text_for(rng, case.category)
            truth[f"Q{i}"] = None
        else:  # same place, another category of the class (or of another class)
            others = [c for c in by_major[case.category.major_id] if c.pk != case.category_id] or categories
            lon, lat = offset(case.point.x, case.point.y, rng.uniform(0, 30), rng)
            text = text_for(rng, rng.choice(others))
            truth[f"Q{i}"] = None
        glon, glat = gcj(lon, lat)
        rows.append({"工单编号": f"Q{i}", "受理时间": f"{at:%Y-%m-%d %H:%M:%S}", "诉求类型": "投诉举报", "诉求内容": text,
                     "经度": glon, "纬度": glat, "坐标系": "GCJ-02"})
    assert Point  # (imported for clarity of the generated points' datum)
    import_rows(rows, source="quality", actor=dispatcher)
    linked = {t.external_id: t.case_id for t in HotlineTicket.objects.filter(source="quality").exclude(link_reason={})}
    correct = sum(1 for ref, case_id in linked.items() if truth.get(ref) == case_id)
    duplicates = sum(1 for v in truth.values() if v)
    bench("link_precision", 100 * correct / max(1, len(linked)), "%")
    bench("link_recall", 100 * correct / max(1, duplicates), "%")
    print(f"  ({len(linked)} links made, {correct} right, {duplicates} true duplicates)")


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
    link_quality(dispatcher, inspector, rng, categories, now)
    import_speed(dispatcher, inspector, rng, categories, now)


if __name__ == "__main__":
    main()
