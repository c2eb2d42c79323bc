"""Bounded memory: the map's export reads and writes the cases a frame at a time (a year of
a large city's cases is never in a web worker's memory at once), and the file is the same."""

import io
import json
import zipfile

import pytest

from maps import exports
from tests.builders import client_for, report_case
from urbanmgmt.grids.gisio import read_frame

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def five_cases(people, category, settings):
    settings.EXPORT_FRAME_ROWS = 2
    for i in range(5):
        report_case(people.inspector, category, 0.5 + i, 0.5, description=f"第{i}件 路边垃圾")


def test_the_cases_come_a_frame_at_a_time(people, five_cases):
    frames = list(exports.case_frames(people.dispatcher, {}))
    assert [len(frame) for frame in frames] == [2, 2, 1]
    assert list(exports.cases_frame(people.dispatcher, {})["descr"]) == [f"第{i}件 路边垃圾" for i in range(5)]


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv"])
def test_an_export_of_several_frames_reads_back_whole(people, five_cases, fmt, tmp_path):
    response = client_for(people.dispatcher).get("/api/v1/map/export/", {"as": fmt, "layer": "cases"})
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        lines = body.decode("utf-8-sig").strip().splitlines()
        assert body.count(b"\xef\xbb\xbf") == 1 and lines[0].startswith("code,channel,state") and len(lines) == 6
        return
    if fmt == "geojson":
        collection = json.loads(body)
        assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 5
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            archive.extractall(tmp_path)
        path = tmp_path / "cases.shp"
    else:
        path = tmp_path / f"cases.{fmt}"
        path.write_bytes(body)
    frame = read_frame(path)
    assert len(frame) == 5 and frame.crs.to_epsg() == 4326
    assert sorted(frame["descr"]) == [f"第{i}件 路边垃圾" for i in range(5)]


def test_an_empty_export_still_has_its_columns(people, monkeypatch, tmp_path):
    response = client_for(people.dispatcher).get("/api/v1/map/export/", {"as": "csv", "layer": "cases"})
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("code,channel,state")
