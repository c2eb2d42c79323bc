"""The dispatch map's base, built with folium: the city's own boundaries (district, streets)
as the base layer, an optional tile layer from settings, the case cluster and heat layers
that the page's script fills, and a layer control.

Every asset is served from this server. folium's CDN lists (`default_js`/`default_css`)
are class attributes shared by every map in the process, so each map and plugin gets new
lists of its own here; the class lists are never changed.
"""

import json
from dataclasses import dataclass

import folium
import shapely
from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext as _
from folium.plugins import HeatMap, MarkerCluster

from maps.layers import layer_cache
from urbanmgmt.grids.services import grid_index

LEAFLET = "vendor/leaflet/"
VENDOR = "vendor/"


@dataclass(frozen=True)
class BuiltMap:
    header: str
    html: str
    script: str
    names: dict


def _local(element, js=(), css=()):
    """Give one folium element its own asset lists, served locally."""
    element.default_js = [(name, static(path)) for name, path in js]
    element.default_css = [(name, static(path)) for name, path in css]
    return element


def _boundaries(level: str) -> dict:
    cache = layer_cache()
    features = [{"type": "Feature", "id": place.id, "geometry": json.loads(place.geometry),
                 "properties": {"code": place.code, "name": place.name, "level": level}}
                for place in cache.areas[level].values()]
    return {"type": "FeatureCollection", "features": features}


def _view() -> tuple[list[float], list[list[float]] | None]:
    geoms = grid_index().geoms
    if not geoms:
        return [34.6, 119.2], None  # nothing imported yet: Lianyungang's centre
    west, south, east, north = (float(v) for v in shapely.total_bounds(geoms))
    return [(south + north) / 2, (west + east) / 2], [[south, west], [north, east]]


def dispatch_map() -> BuiltMap:
    centre, fit = _view()
    # maxZoom/minZoom as map options (folium's max_zoom only reaches a tile layer, and the
    # cluster plugin needs the map's own).
    m = _local(folium.Map(location=centre, zoom_start=13, tiles=None, prefer_canvas=True,
                          maxZoom=19, minZoom=9),
               js=[("leaflet", LEAFLET + "leaflet.js")], css=[("leaflet_css", LEAFLET + "leaflet.css")])
    if settings.MAP_TILE_URL:
        folium.TileLayer(tiles=settings.MAP_TILE_URL, attr=settings.MAP_TILE_ATTRIBUTION or " ",
                         name=_("Base map"), max_zoom=19).add_to(m)
    # The outlines are drawn only (interactive=False): on the canvas the topmost layer whose
    # area holds the point takes a click or a hover, fill or none, so an outline drawn above the
    # grid layer would swallow the grids' clicks and tooltips (dispatch.js).
    folium.GeoJson(_boundaries("district"), name=_("District boundaries"), control=True,
                   style_function=lambda _f: {"color": "#263238", "weight": 4, "fill": False},
                   interactive=False).add_to(m)
    # Without a tile server the names of the city's own areas are what a dispatcher reads the
    # map by: the streets' always, the communities' when close enough. labels.js writes them,
    # each in the part of its area in view (a tooltip bound by folium to the whole layer is one
    # label for all its areas, at one area's centre).
    streets = folium.GeoJson(_boundaries("street"), name=_("Street boundaries"), control=True,
                             style_function=lambda _f: {"color": "#37474f", "weight": 2.5, "fill": False,
                                                        "dashArray": "6 4"},
                             interactive=False).add_to(m)
    communities = folium.GeoJson(_boundaries("community"), name=_("Community names"), control=True,
                                 style_function=lambda _f: {"color": "#78909c", "weight": 0.8, "fill": False,
                                                            "opacity": 0.6},
                                 interactive=False).add_to(m)
    cluster = _local(MarkerCluster(name=_("Cases"), options={"chunkedLoading": True, "maxClusterRadius": 40,
                                                              "showCoverageOnHover": False}),
                     js=[("markercluster", VENDOR + "markercluster/leaflet.markercluster.js")],
                     css=[("markercluster_css", VENDOR + "markercluster/MarkerCluster.css"),
                          ("markercluster_default_css", VENDOR + "markercluster/MarkerCluster.Default.css")])
    cluster.add_to(m)
    heat = _local(HeatMap([], name=_("Heat (last days)"), show=False, radius=22, blur=18, min_opacity=0.35),
                  js=[("leaflet_heat", VENDOR + "leaflet-heat/leaflet-heat.js")])
    heat.add_to(m)
    # Collapsed to its button: open, its list covered the map's status line and, on a narrow
    # map beside the case panel, most of the map.
    control = folium.LayerControl(collapsed=True)
    control.add_to(m)
    if fit:
        # At once, not animated: while a zoom animates the map still reports the old zoom to
        # the first requests, and ignores the view a link's cases ask for (dispatch.js).
        first_view = folium.map.FitBounds(fit)
        first_view.options["animate"] = False
        first_view.add_to(m)
    figure = m.get_root()
    figure.render()
    return BuiltMap(
        header=figure.header.render(), html=figure.html.render(), script=figure.script.render(),
        names={"map": m.get_name(), "cluster": cluster.get_name(), "heat": heat.get_name(),
               "control": control.get_name(), "streets": streets.get_name(), "communities": communities.get_name()},
    )
