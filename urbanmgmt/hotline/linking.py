"""Finding the open case a ticket describes (DOMAIN §2: same category family, tens of
metres, days apart).

Candidates are open cases of the same category or major class within the distance and time
window of the category's family (settings.HOTLINE_LINK_WINDOWS); each is scored from its
distance, the hours between, the category match and the text similarity (character
pairs, Jaccard), and the best one above settings.HOTLINE_LINK_THRESHOLD is linked, with
those four numbers kept as the reason. A ticket placed only by its community (an address
without a point) is compared with the cases of that community instead of by distance.

`OpenCases` holds the candidates in memory in 100 m cells of the metric CRS: a bulk
import builds it with one indexed query (open states, reported since the window) and adds
the cases it creates as it goes; a single ticket builds it from the cases of its category
family and time window, through the (category, reported_at) index.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import F, FloatField, Func

from urbanmgmt.cases.models import OPEN_STATES, Case
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.geo import _to_metric

CELL_M = 100.0
WEIGHTS = {"distance": 0.3, "time": 0.1, "category": 0.3, "similarity": 0.3}
MAJOR_MIN_SIMILARITY = 0.5
COMMUNITY_MIN_SIMILARITY = 0.5


def window(category: Category) -> tuple[float, float]:
    """(radius in metres, days) for a category: by its major class ("E05"), else its family."""
    windows = settings.HOTLINE_LINK_WINDOWS
    major = ("C" if category.family == "component" else "E") + category.major.code
    return windows.get(category.service_code) or windows.get(major) or windows.get(category.family) or (50.0, 7.0)


def pairs(text: str) -> frozenset[str]:
    text = "".join(ch for ch in (text or "") if not ch.isspace())
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def similarity(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class Candidate:
    case_id: int | None  # None while the case is being created in the same batch
    x: float
    y: float
    category_id: int
    major_id: int
    community_id: int
    at: dt.datetime
    text: str | frozenset  # the description, or its character pairs once compared
    key: object = None  # the batch's handle of a case not yet created
    tickets: int = 0

    @property
    def words(self) -> frozenset:
        if not isinstance(self.text, frozenset):
            self.text = pairs(self.text)
        return self.text


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float
    why: dict


@dataclass
class OpenCases:
    cells: dict = field(default_factory=dict)
    by_community: dict = field(default_factory=dict)

    @classmethod
    def load(cls, since: dt.datetime, until: dt.datetime | None = None, categories=None) -> "OpenCases":
        """The open cases reported in [since, until) (of these categories, if given)."""
        index = cls()
        rows = Case.objects.filter(state__in=OPEN_STATES, reported_at__gte=since, category__isnull=False).order_by()
        if until is not None:
            rows = rows.filter(reported_at__lt=until)
        if categories is not None:
            rows = rows.filter(category_id__in=list(categories))
        rows = list(rows.annotate(lon=Func(F("point"), function="ST_X", output_field=FloatField()),
                                  lat=Func(F("point"), function="ST_Y", output_field=FloatField()))
                    .values_list("id", "lon", "lat", "category_id", "category__major_id", "community_id",
                                 "reported_at", "description", "ticket_count"))
        if not rows:
            return index
        xs, ys = _to_metric(settings.METRIC_SRID).transform(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
        for row, x, y in zip(rows, xs, ys, strict=True):
            index.add(Candidate(row[0], float(x), float(y), row[3], row[4], row[5], row[6], row[7], tickets=row[8]))
        return index

    def add(self, candidate: Candidate) -> None:
        key = (int(candidate.x // CELL_M), int(candidate.y // CELL_M), candidate.major_id)
        self.cells.setdefault(key, []).append(candidate)
        self.by_community.setdefault(candidate.community_id, []).append(candidate)

    def best(self, *, x: float, y: float, category: Category, community_id: int, at: dt.datetime,
             words: frozenset, by_point: bool) -> Match | None:
        """The best-scoring open case for a ticket, if it scores above the threshold."""
        radius, days = window(category)
        if by_point:
            reach = int(math.ceil(radius / CELL_M))
            cx, cy = int(x // CELL_M), int(y // CELL_M)
            major = category.major_id
            pool = [c for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
                    for c in self.cells.get((cx + dx, cy + dy, major), ())]
        else:
            pool = self.by_community.get(community_id, ())
        best, threshold = None, settings.HOTLINE_LINK_THRESHOLD
        for c in pool:
            if c.category_id != category.id and c.major_id != category.major_id:
                continue
            hours = abs((at - c.at).total_seconds()) / 3600
            if hours > days * 24:
                continue
            distance = math.hypot(c.x - x, c.y - y)
            if by_point and distance > radius:
                continue
            same = c.category_id == category.id
            sim = similarity(words, c.words)
            if not same and sim < MAJOR_MIN_SIMILARITY:
                continue  # another category of the class: only when the words say it is the same
            parts = {"distance": 1 - distance / radius if by_point else 0.5, "time": 1 - hours / (days * 24),
                     "category": 1.0 if same else 0.4, "similarity": min(1.0, sim * 2)}
            if not by_point and (sim < COMMUNITY_MIN_SIMILARITY or not same):
                continue  # only the community in common: the category and the words must agree
            score = sum(WEIGHTS[k] * v for k, v in parts.items())
            if score > threshold and (best is None or score > best.score):
                why = {"distance_m": round(distance, 1) if by_point else None,
                       "same_community": not by_point or None, "hours_apart": round(hours, 1),
                       "category": "same" if same else "major class", "similarity": round(sim, 3),
                       "score": round(score, 3)}
                best = Match(c, score, {k: v for k, v in why.items() if v is not None})
        return best
