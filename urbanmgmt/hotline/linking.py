"""Finding the open case a ticket describes (DOMAIN §2: same category family, tens of
metres, days apart).

Candidates are open cases of the same category or major class within the distance and time
window of the category's family (settings.HOTLINE_LINK_WINDOWS); each is scored from its
distance, the hours between, the category match and the text similarity (character
pairs, Jaccard), and the best one is linked when its score reaches
settings.HOTLINE_LINK_THRESHOLD, with those four numbers kept as the reason. A ticket placed
only by its community (an address without a point) is compared with the cases of that
community instead of by distance, and linked when its address names the case's finer place
(COMMUNITY_MIN_COVER) rather than by the score, which has no distance to weigh there.

`OpenCases` holds the candidates in memory in 100 m cells of the metric CRS: an import
loads the open cases of its tickets' major classes as its batches bring them (through the
(category, reported_at) index) and adds the cases it creates as it goes; a single ticket
builds it from the cases of its major class and time window.
"""

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from django.conf import settings
from django.db.models import F, FloatField, Func

from urbanmgmt.cases.models import Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.geo import metric_transformer
from urbanmgmt.hotline.classify import GENERIC, classifier
from urbanmgmt.hotline.gazetteer import gazetteer
from urbanmgmt.hotline.keywords import Keywords

CELL_M = 100.0
BOX_MARGIN_M = 1e-3  # around best()'s square: far above hypot's rounding, no candidate within the radius is left out
EPOCH, MICROSECOND = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.timedelta(microseconds=1)


def _micros(at: dt.datetime) -> int:
    """A moment in whole microseconds since 1970 (for the time window in plain integers)."""
    return (at - EPOCH) // MICROSECOND
# Another category of the same major class is linked only when the words agree this much
# and name the case's problem (a keyword of its category); a ticket placed only by its
# community is linked to a case of its category there whose words mention this much of
# the finer place its address names.
MAJOR_MIN_SIMILARITY = 0.25
COMMUNITY_MIN_COVER = 0.6
# In `words`, a catalogue category is the number CONCEPT + its id (below 2**21), and two
# neighbouring characters a, b are the number (a << 21) | (a ^ b) (from 2**21 up: distinct from
# the categories, one number per pair, and its low bits, which place it in a set, depend on both).
CONCEPT = 0xE000
_BAR = ord("|")
# The text less spaces, punctuation and underscores: its runs of letters and digits, joined
# (what removing [\s\W_]+ leaves, in about 30 % less time).
_WORD_RUNS = re.compile(r"[^\W_]+")
_NUMBERS = re.compile(r"[0-9０-９]+(?:号楼|号院|号|栋|幢|单元|室|楼)?")


def window(category: Category) -> tuple[float, float]:
    """(radius in metres, days) for a category: by its major class ("E05"), else its family."""
    windows = settings.HOTLINE_LINK_WINDOWS
    major = ("C" if category.family == "component" else "E") + category.major.code
    return windows.get(category.service_code) or windows.get(major) or windows.get(category.family) or (50.0, 7.0)


def current_words() -> dict:
    """The remembered words, forgotten when the gazetteer or the classifier was built again
    (checked once per search, not per text: each check asks both holders). A new cache
    replaces the old one whole: another thread of the worker may still be reading the old."""
    global _cache
    places, names = gazetteer(), classifier()
    cache = _cache
    if cache.get("of") != (places, names) or len(cache) > WORDS_CACHE:
        cache = {"of": (places, names), "concept": {k: CONCEPT + min(ids) for k, ids in names.keyword_to.items()},
                 # The keywords (keywords.Keywords): cut() gives the text between them and the keywords at once.
                 "split": Keywords(names.keyword_to) if names.keyword_to else None}
        _cache = cache
    return cache


def remembered(text: str, cache: dict) -> frozenset[int]:
    """What two descriptions (with their addresses) are compared by: each catalogue keyword
    (or category name) in the text becomes its category (so 垃圾堆 and 暴露垃圾 agree,
    whatever words each citizen chose); the rest counts as character pairs, less house
    numbers, the names of the areas (shared by every ticket of a community) and the words
    that say where, when or how much rather than what (classify.GENERIC). Remembered per
    text in `cache` (current_words) for as long as the gazetteer and the classifier stay the same
    (an import compares a ticket's text again when its case is a candidate for the next
    tickets)."""
    found = cache.get(text)
    if found is None:
        found = cache[text] = text_words(text, cache["of"][0], cache["split"], cache["concept"])
    return found


def text_words(text: str, places, split, concept_of: dict) -> frozenset[int]:
    text = _NUMBERS.sub("|", places.without_areas("".join(_WORD_RUNS.findall(text or ""))))
    concepts = ()
    if split is not None:
        text, found = split.cut("|", text)
        concepts = [concept_of[k] for k in found]
    return frozenset(pairs(_GENERIC.sub("|", text))).union(concepts)


def pairs(text: str) -> list[int]:
    """The neighbouring characters of `text` (none across a "|") as numbers (see CONCEPT):
    those of a long text a vector at a time."""
    if len(text) < 32:
        return [(a << 21) | (a ^ b) for a, b in pairwise(map(ord, text)) if a != _BAR and b != _BAR]
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    first, second = codes[:-1], codes[1:]
    return ((first << 21) | (first ^ second))[(first != _BAR) & (second != _BAR)].tolist()


WORDS_CACHE = 200_000
_cache: dict = {}


# classify.GENERIC less the words of place (小区门口, 路边): those tell two places apart.
PLACE_WORDS = {"小区", "门口", "楼下", "路边", "附近", "马路", "路上", "周边", "旁边", "对面"}
_GENERIC = Keywords(GENERIC - PLACE_WORDS)


WORDS_WEIGHT = 0.2  # of a candidate's score (at most): the rest is before_words()


def before_words(same: bool, closeness: float, hours: float, days: float) -> float:
    """A candidate's score before its words weigh: the category (the same, or another of the
    class), how close (0 for a community's case) and how recent within the window."""
    return 0.4 * (1.0 if same else 0.5) + 0.3 * closeness + 0.1 * (1 - hours / (days * 24))


def covered(part: frozenset, whole: frozenset) -> float:
    """How much of `part` (the place an address names) `whole` (a case's words) mentions."""
    return len(part & whole) / len(part) if part else 0.0


def similarity(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)  # len(a | b), without making the union


@dataclass
class Candidate:
    case_id: int | None  # None while the case is being created in the same batch
    x: float
    y: float
    category_id: int
    major_id: int
    community_id: int
    at: dt.datetime
    text: str | frozenset  # the description, or its words once compared
    key: object = None  # the batch's handle of a case not yet created
    tickets: int = 0
    micros: int = field(init=False, repr=False)  # `at` in microseconds since 1970, for the time window

    def __post_init__(self):
        self.micros = _micros(self.at)

    def words_in(self, cache: dict) -> frozenset:
        """Its words (remembered), with the cache already checked (a search compares many)."""
        text = self.text
        if text.__class__ is not frozenset:
            text = self.text = remembered(text, cache)
        return text


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float
    why: dict


@dataclass
class OpenCases:
    cells: dict = field(default_factory=dict)  # (cell x, cell y, major class) → candidates
    by_community: dict = field(default_factory=dict)  # (community, category) → candidates
    windows: dict = field(default_factory=dict, repr=False)  # category id → window(category), for this index's life
    words: dict | None = field(default=None, repr=False)  # the remembered words its searches compare (current_words)

    @classmethod
    def load(cls, since: dt.datetime, until: dt.datetime | None = None, categories=None) -> "OpenCases":
        """The open cases reported in [since, until) (of these categories, if given)."""
        index = cls()
        rows = Case.objects.open().filter(reported_at__gte=since, category__isnull=False).order_by()
        if until is not None:
            rows = rows.filter(reported_at__lt=until)
        if categories is not None:
            rows = rows.filter(category_id__in=list(categories))
        rows = list(rows.annotate(lon=Func(F("point"), function="ST_X", output_field=FloatField()),
                                  lat=Func(F("point"), function="ST_Y", output_field=FloatField()))
                    .values_list("id", "lon", "lat", "category_id", "category__major_id", "community_id",
                                 "reported_at", "description", "address", "ticket_count"))
        if not rows:
            return index
        xs, ys = metric_transformer(settings.METRIC_SRID).transform(np.array([r[1] for r in rows]),
                                                                    np.array([r[2] for r in rows]))
        for row, x, y in zip(rows, xs, ys, strict=True):
            index.add(Candidate(row[0], float(x), float(y), row[3], row[4], row[5], row[6], f"{row[7]} {row[8]}",
                                tickets=row[9]))
        return index

    def remembered_words(self) -> dict:
        """The words of the gazetteer and the classifier as they were at this index's first
        search, for as long as it lives (an import's): every ticket of an import is compared
        in the same words, and a gazetteer or classifier built again meanwhile (their TTL)
        does not make it find the words of every case again. Taken afresh when full."""
        if self.words is None or len(self.words) > WORDS_CACHE:
            self.words = current_words()
        return self.words

    def add(self, candidate: Candidate) -> None:
        key = (int(candidate.x // CELL_M), int(candidate.y // CELL_M), candidate.major_id)
        self.cells.setdefault(key, []).append(candidate)
        self.by_community.setdefault((candidate.community_id, candidate.category_id), []).append(candidate)

    def merge(self, other: "OpenCases") -> None:
        """Another index's candidates added to this one (none of them already in it)."""
        for cell in other.cells.values():
            for candidate in cell:
                self.add(candidate)

    def best(self, *, x: float, y: float, category: Category, community_id: int, at: dt.datetime,
             text: str, by_point: bool, address: str = "", exclude: int | None = None) -> Match | None:
        """The open case a ticket describes, if any (see the module's docstring)."""
        radius, days = self.windows.get(category.id) or self.windows.setdefault(category.id, window(category))
        span, now = days * 86400, _micros(at)
        if by_point:
            reach = int(math.ceil(radius / CELL_M))
            cx, cy, major = int(x // CELL_M), int(y // CELL_M), category.major_id
            pool = [c for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
                    for c in self.cells.get((cx + dx, cy + dy, major), ())]
        else:
            pool = self.by_community.get((community_id, category.id), ())
        near, hypot = [], math.hypot
        if by_point:
            # Cheap tests first: the square around the circle (most of the cells' candidates lie
            # outside it), the time, the distance; words only for what is left.
            box = radius + BOX_MARGIN_M
            for c in pool:
                dx, dy = c.x - x, c.y - y
                if dx > box or dx < -box or dy > box or dy < -box:
                    continue
                seconds = abs(now - c.micros) / 10**6  # as timedelta.total_seconds() gives it
                if seconds > span or (exclude is not None and c.case_id == exclude):
                    continue
                distance = hypot(dx, dy)
                if distance > radius:
                    continue
                near.append((c, distance, seconds / 3600))
        else:  # the same community: no distance weighs
            for c in pool:
                seconds = abs(now - c.micros) / 10**6
                if seconds > span or (exclude is not None and c.case_id == exclude):
                    continue
                near.append((c, 0.0, seconds / 3600))
        if not near:
            return None
        cache = self.remembered_words()
        if by_point:
            found = self._best_by_point(near, category, text, cache, days, radius)
        else:
            found = self._best_in_community(near, category, text, address, cache, days)
        if found is None:
            return None
        score, sim, same, c, distance, hours = found
        why = {"distance_m": round(distance, 1) if by_point else None, "same_community": True if not by_point else None,
               "hours_apart": round(hours, 1), "category": "same" if same else "major class",
               "similarity": round(sim, 3), "score": round(score, 3)}
        return Match(c, score, {k: v for k, v in why.items() if v is not None})

    @staticmethod
    def _scored(near_one, category: Category, mine: frozenset, cache: dict, days: float, radius: float | None):
        """(score, similarity, same category, candidate, distance, hours) of one candidate, or
        None when it is of another category of the class and the words do not name its problem."""
        c, distance, hours = near_one
        same = c.category_id == category.id
        sim = similarity(mine, c.words_in(cache))
        if not same and (sim < MAJOR_MIN_SIMILARITY or CONCEPT + c.category_id not in mine):
            return None
        closeness = 1 - distance / radius if radius is not None else 0.0
        return (before_words(same, closeness, hours, days) + WORDS_WEIGHT * min(1.0, 2 * sim), sim, same, c, distance,
                hours)

    def _best_by_point(self, near: list, category: Category, text: str, cache: dict, days: float, radius: float):
        """The best-scored candidate if it reaches the threshold. The words weigh WORDS_WEIGHT at most,
        so the candidates are taken by the score they could reach at most, and a candidate
        whose most cannot beat the best so far nor reach the threshold is not compared (its
        words, nor the ticket's when none is, are not even found): the choice is the same as
        comparing all, ties going to the earlier one."""
        bound = [(before_words(c.category_id == category.id, 1 - distance / radius, hours, days) + WORDS_WEIGHT, n)
                 for n, (c, distance, hours) in enumerate(near)]
        bound.sort(key=lambda b: -b[0])
        best, best_n, threshold, mine = None, -1, settings.HOTLINE_LINK_THRESHOLD, None
        for most, n in bound:
            if most < threshold or best is not None and (most < best[0] or most == best[0] and n > best_n):
                break
            mine = mine if mine is not None else remembered(text, cache)
            scored = self._scored(near[n], category, mine, cache, days, radius)
            if scored is not None and (best is None or scored[0] > best[0] or scored[0] == best[0] and n < best_n):
                best, best_n = scored, n
        if best is None or best[0] < threshold:
            return None  # near, but not enough alike: the ticket gets its own case
        return best

    def _best_in_community(self, near: list, category: Category, text: str, address: str, cache: dict,
                           days: float):
        """Placed by its community only: the address's finer place (菜市场旁边) must be the
        case's, the one whose words mention most of it (at least COMMUNITY_MIN_COVER), the best
        scored among those that mention as much; with no finer place, only the community's one
        case of the kind. The pool holds the ticket's category alone."""
        place = remembered(address, cache)
        if not place:
            if len(near) > 1:
                return None
            tied = near
        else:
            covers = [covered(place, c.words_in(cache)) for c, _d, _h in near]
            top = max(covers)
            if top < COMMUNITY_MIN_COVER:
                return None
            tied = [one for one, cover in zip(near, covers, strict=True) if cover == top]
        mine = remembered(text, cache)
        return max((self._scored(one, category, mine, cache, days, None) for one in tied), key=lambda s: s[0])
