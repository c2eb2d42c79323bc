"""The offline gazetteer (地名库): places tickets that carry only an address.

Places (districts, streets/townships, communities, roads, named places) are rows of
`Place`, loaded from fixtures/hotline/ and editable in the admin. An address is
normalised (width, punctuation, the province and city prefix, the usual long forms of
街道办事处 and 居委会), the names it mentions are found (longest first), and the most
specific one that agrees with the others wins; when no full name appears, jieba's
segmentation of the address is matched against the names without their suffixes. Each
answer carries a confidence: a named place or road is a point, a community or street
only an area (its representative point).
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jieba
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from urbanmgmt.grids.models import Area
from urbanmgmt.hotline.keywords import Keywords
from urbanmgmt.hotline.models import Place
from urbanmgmt.hotline.reloading import Reloading

jieba.setLogLevel(60)

BASE_CONFIDENCE = {Place.Kind.POI: 0.9, Place.Kind.ROAD: 0.7, Place.Kind.COMMUNITY: 0.7,
                   Place.Kind.STREET: 0.45, Place.Kind.DISTRICT: 0.25}
RANK = {Place.Kind.DISTRICT: 0, Place.Kind.STREET: 1, Place.Kind.COMMUNITY: 2, Place.Kind.ROAD: 3, Place.Kind.POI: 4}
# A place whose position is a point (a building, an estate); the rest are areas or lines.
POINT_KINDS = {Place.Kind.POI}
AREA_KINDS = {Place.Kind.DISTRICT, Place.Kind.STREET, Place.Kind.COMMUNITY}
PREFIXES = ("江苏省", "江苏", "连云港市", "连云港")
LONG_FORMS = [("街道办事处", "街道"), ("街道办", "街道"), ("社区居委会", "社区"), ("社区居民委员会", "社区"),
              ("居委会", "社区"), ("人民政府", "")]
SUFFIXES = ("社区", "街道", "小区", "镇", "乡", "区", "县", "路", "街", "村")
_PUNCT = re.compile(r"[\s,，。.、；;:：()（）\[\]【】\"'“”‘’\-—_#/\\]+")


def normalise(address: str) -> str:
    """The address as names are matched: NFKC, no spaces or punctuation, no province or
    city prefix, the long forms of office names shortened."""
    text = _PUNCT.sub("", unicodedata.normalize("NFKC", address or ""))
    for prefix in PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    for long, short in LONG_FORMS:
        text = text.replace(long, short)
    return text


def stem(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Located:
    lon: float
    lat: float
    confidence: float
    match: str  # the names that placed it, most specific first
    kind: str

    @property
    def is_point(self) -> bool:
        return self.kind in POINT_KINDS


@dataclass
class _Entry:
    id: int
    name: str
    kind: str
    parent_id: int | None
    lon: float | None
    lat: float | None


class Gazetteer:
    """Every place in memory, with one regular expression of all names and aliases."""

    def __init__(self):
        self.entries: dict[int, _Entry] = {}
        self.by_name: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        for place in Place.objects.only("id", "name", "kind", "aliases", "parent_id", "point", "geom"):
            where = place.point or (place.geom.point_on_surface if place.geom else None)
            self.entries[place.id] = _Entry(place.id, place.name, place.kind, place.parent_id,
                                            where.x if where else None, where.y if where else None)
            for name in {place.name, *place.aliases}:
                key = normalise(name)
                if key:
                    self.by_name.setdefault(key, []).append(place.id)
                    if len(stem(key)) >= 2 and stem(key) != key:
                        self.by_stem.setdefault(stem(key), []).append(place.id)
        self.pattern = Keywords(self.by_name)  # the longest name at each place
        self.areas = Keywords({name for name, ids in self.by_name.items()
                               if any(self.entries[i].kind in AREA_KINDS for i in ids)} | set(PREFIXES))

    def without_areas(self, text: str) -> str:
        """The text less the names of districts, streets and communities (and the city's),
        which every ticket of a community shares: what is left tells two places apart."""
        return self.areas.sub("|", text)

    def ancestors(self, place_id: int) -> set[int]:
        out, seen = set(), place_id
        while seen is not None and seen in self.entries and seen not in out:
            out.add(seen)
            seen = self.entries[seen].parent_id
        return out

    def locate(self, address: str) -> Located | None:
        """Where an address lies, or None when it names no known place."""
        text = normalise(address)
        if not text or not self.pattern:
            return None
        mentions = [self.by_name[name] for name in self.pattern.findall(text)]
        factor = 1.0
        if not mentions:
            mentions, factor = self._by_segments(text), 0.7
        if not mentions:
            return None
        mentioned = {pid for ids in mentions for pid in ids}
        best, best_score, best_ids = None, -1.0, set()
        for ids in mentions:
            for pid in ids:
                entry = self.entries[pid]
                if entry.lon is None:
                    continue
                up = self.ancestors(pid)
                agree = len((mentioned - {pid}) & up)
                conflict = any(self.entries[o].kind in (Place.Kind.STREET, Place.Kind.DISTRICT)
                               and RANK[self.entries[o].kind] < RANK[entry.kind] for o in mentioned - up)
                score = BASE_CONFIDENCE[entry.kind] + 0.1 * min(agree, 2) - (0.3 if conflict else 0.0)
                if len(ids) > 1 and not agree:
                    score *= 0.6  # the same name in several places and nothing to tell them apart
                if (RANK[entry.kind], score) > ((RANK[best.kind], best_score) if best else (-1, -1)):
                    best, best_score, best_ids = entry, score, up
        if best is None:
            return None
        names = [self.entries[i].name for i in sorted(best_ids & mentioned, key=lambda i: -RANK[self.entries[i].kind])]
        return Located(best.lon, best.lat, round(max(0.05, min(0.95, best_score * factor)), 2),
                       " / ".join(names) or best.name, best.kind)

    def _by_segments(self, text: str) -> list[list[int]]:
        """Names without their suffixes among jieba's words (and pairs of adjacent words)."""
        words = jieba.lcut(text, HMM=False)
        found = []
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                ids = self.by_stem.get("".join(words[i:i + n]))
                if ids:
                    found.append(ids)
        return found


TTL_S = 30.0
_gazetteer = Reloading(Gazetteer, TTL_S)


def gazetteer() -> Gazetteer:
    """This process's gazetteer, reloaded every TTL_S seconds (places are edited rarely)."""
    return _gazetteer.get()


def invalidate_gazetteer(**kwargs) -> None:
    _gazetteer.invalidate()


@transaction.atomic
def load_gazetteer(path: Path) -> int:
    """Create or update the places of a fixture (see fixtures/hotline/README.md); returns
    how many it holds. Parents are named by (kind, name, code)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    known: dict[tuple, Place] = {}
    for item in data["places"]:
        parent = known.get(tuple(item["parent"])) if item.get("parent") else None
        geom = GEOSGeometry(item["geom"], srid=4326) if item.get("geom") else None
        if geom is not None and geom.geom_type == "Polygon":
            geom = MultiPolygon(geom, srid=4326)
        place, _ = Place.objects.update_or_create(
            kind=item["kind"], name=item["name"], code=item.get("code", ""),
            defaults={"aliases": item.get("aliases", []), "parent": parent, "geom": geom,
                      "point": GEOSGeometry(item["point"], srid=4326) if item.get("point") else None,
                      "source": item.get("source", data.get("source", ""))[:200]})
        known[(item["kind"], item["name"], item.get("code", ""))] = place
    invalidate_gazetteer()
    return len(known)


@transaction.atomic
def places_from_areas(source: str = "unit grid layer") -> int:
    """Districts, streets and communities of the loaded grid layer as places (their
    boundaries are the union of their grids); used when no fixture covers the layer."""
    made: dict[int, Place] = {}
    for area in Area.objects.order_by("level", "code").select_related("parent"):
        kind = {"district": Place.Kind.DISTRICT, "street": Place.Kind.STREET, "community": Place.Kind.COMMUNITY}[area.level]
        place, _ = Place.objects.update_or_create(
            kind=kind, name=area.name, code=area.code,
            defaults={"parent": made.get(area.parent_id), "geom": area.geom, "source": source})
        made[area.id] = place
    # Parents are areas of a higher level, created earlier only if ordered so: link again.
    for area in Area.objects.filter(parent__isnull=False):
        Place.objects.filter(pk=made[area.id].pk).update(parent=made.get(area.parent_id))
    invalidate_gazetteer()
    return len(made)
