"""The map page (folium, local assets only), the workspace page, GIS exports."""

import io
import json
import re
import zipfile

import folium
import pytest
from django.core.management import CommandError, call_command
from folium.plugins import HeatMap, MarkerCluster

from tests.builders import client_for, report_case
from urbanmgmt.grids.gisio import read_frame

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def test_map_page_serves_every_asset_locally(people, client):
    defaults = (list(folium.Map.default_js), list(MarkerCluster.default_js), list(HeatMap.default_js))
    html = signed_in(client, people.dispatcher).get("/map/").content.decode()
    assert "L.map(" in html and "markerClusterGroup" in html and "heatLayer" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert "cdn" not in html.lower() and "tile.openstreetmap" not in html
    # folium's class-level CDN lists are shared by every map in the process: left alone.
    assert (folium.Map.default_js, MarkerCluster.default_js, HeatMap.default_js) == defaults
    config = json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)[1])
    assert config["choices"]["states"]["dispatched"] and config["names"]["map"].startswith("map_")


def test_tile_layer_is_a_setting(people, client, settings):
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "市测绘院"
    html = signed_in(client, people.dispatcher).get("/map/").content.decode()
    assert "/tiles/{z}/{x}/{y}.png" in html and json.dumps("市测绘院") in html


def test_the_custom_period_reads_as_dates_not_states(people, client):
    html = signed_in(client, people.dispatcher).get("/map/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    period = html[html.index('id="custom-period"'):]
    period = period[:period.index("</div>")]
    assert "自" in period and "至" in period and "状态" not in period


def test_map_page_is_for_the_command_centre(people, client):
    assert signed_in(client, people.inspector).get("/map/").status_code == 403
    assert signed_in(client, people.manager).get("/map/").status_code == 200


def test_workspace_is_for_departments(people, client):
    assert signed_in(client, people.dispatcher).get("/workspace/").status_code == 403
    page = signed_in(client, people.handler).get("/workspace/")
    assert page.status_code == 200 and "HZ-HWC" in page.content.decode()


def test_a_handler_asks_for_their_departments_export_in_the_workspace(people, category, client):
    """The rule of who exports lets handlers export their department's cases: the workspace
    offers it (open cases, or all), asked with a POST that the exports script follows."""
    _cases(people, category)
    page = signed_in(client, people.handler).get("/workspace/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    asks = re.findall(r'data-export-ask="([^"]+)"', page)
    assert "导出本部门的案件" in page and "urbanmgmt/exports" in page and len(asks) == 8
    for url in asks:
        answer = client.post(url.replace("&amp;", "&"))
        assert answer.status_code == 200 and answer.json()["download"], url
    english = signed_in(client, people.handler).get("/workspace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Export your department" in english and "All cases, closed ones too:" in english


def _cases(people, category):
    report_case(people.inspector, category, 0.5, 0.5, description="路边垃圾, \"引号\" <b>粗</b>")
    report_case(people.inspector, category, 3.5, 2.5)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "csv"])
def test_exports_read_back(people, category, fmt, tmp_path):
    _cases(people, category)
    response = client_for(people.dispatcher).get("/api/v1/map/export/", {"as": fmt, "layer": "cases"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        text = body.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("code,channel,state")
        assert "路边垃圾" in text and len(text.strip().splitlines()) == 3
        return
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert {n.rsplit(".", 1)[1] for n in archive.namelist()} >= {"shp", "shx", "dbf", "prj", "cpg"}
            archive.extractall(tmp_path)
        path = tmp_path / "cases.shp"
    else:
        path = tmp_path / f"cases.{fmt}"
        path.write_bytes(body)
    frame = read_frame(path)
    assert len(frame) == 2 and frame.crs.to_epsg() == 4326
    assert set(frame["state"]) == {"reported"} and "路边垃圾, \"引号\" <b>粗</b>" in set(frame["descr"])


@pytest.mark.slow
def test_grid_export_and_command(people, category, tmp_path):
    _cases(people, category)
    out = tmp_path / "grids.geojson"
    call_command("export_cases", str(out), "--layer", "grids")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 24 and sum(f["properties"]["cases"] for f in data["features"]) == 2
    gpkg = tmp_path / "cases.gpkg"
    call_command("export_cases", str(gpkg), "--channel", "inspector")
    assert len(read_frame(gpkg)) == 2
    with pytest.raises(CommandError, match="format"):
        call_command("export_cases", str(tmp_path / "cases.txt"))
    with pytest.raises(CommandError, match="bad filter"):
        call_command("export_cases", str(out), "--reported-after", "not a date")


def test_bad_export_requests(people):
    client = client_for(people.dispatcher)
    assert client.get("/api/v1/map/export/", {"as": "kml"}).status_code == 400
    assert client.get("/api/v1/map/export/", {"layer": "roads"}).status_code == 400



def test_without_tiles_the_map_says_so_and_writes_the_areas_names(people, client, settings):
    settings.MAP_TILE_URL = ""
    html = signed_in(client, people.dispatcher).get("/map/").content.decode()
    assert 'class="map-note' in html and "无底图" in html
    # The streets' names drawn on the map itself (labels.js: a label in each street's part in
    # view), the communities' too, since no tile server draws any; the browser tests see them
    # (tests/browser/test_seen_bugs_s9.py).
    assert "maps/labels.js" in html and "streets: " in html and "communities: " in html
    assert "新海街道" in html or json.dumps("新海街道") in html
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    assert 'class="map-note' not in signed_in(client, people.dispatcher).get("/map/").content.decode()
