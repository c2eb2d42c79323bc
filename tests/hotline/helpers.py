"""Rows of a 12345 export for the tests, in the common Chinese headers."""

import csv
import datetime as dt
import io

import prcoords
from django.utils import timezone

from tests.builders import point_in

HEADERS = ["工单编号", "受理时间", "诉求类型", "紧急程度", "标题", "诉求内容", "地址", "经度", "纬度", "坐标系", "来电人",
           "联系电话"]


def gcj_at(col: float, row: float) -> tuple[float, float]:
    """GCJ-02 coordinates of a test-layer position (what a Gaode map would show)."""
    p = point_in(col, row)
    g = prcoords.wgs_gcj(prcoords.Coords(p.y, p.x))
    return round(g.lon, 7), round(g.lat, 7)


def row(ticket_id: str, *, at=None, kind="投诉举报", text="小区门口暴露垃圾没人清理，味道很大",
        title="", col=None, cell=None, address="", datum="GCJ-02", **extra) -> dict:
    lon = lat = ""
    if at is None:  # an hour ago: inside every linking window
        at = f"{timezone.localtime() - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}"
    if col is not None:
        lon, lat = gcj_at(col, cell)
    out = {"工单编号": ticket_id, "受理时间": at, "诉求类型": kind, "紧急程度": "一般", "标题": title, "诉求内容": text,
           "地址": address, "经度": lon, "纬度": lat, "坐标系": datum if lon != "" else "", "来电人": "张先生",
           "联系电话": "13800000000"}
    out.update(extra)
    return out


def csv_bytes(rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    headers = list(dict.fromkeys(h for r in rows for h in r)) or HEADERS
    out = io.StringIO()
    writer = csv.DictWriter(out, headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
