"""What intake makes of a ticket's words: in scope or not (转办 to which bureau), which
category, which department, the three best outcomes with the words that led to each, and
how likely the chosen outcome is wrong.

Until a classifier has been trained (train_classifier, or after HOTLINE_RETRAIN_AFTER
decisions), the catalogue's and the bureaus' keywords decide (classify.Classifier and the
same kind of match over Bureau.keywords); then the newest ClassifierVersion does, which
learned from the same keywords and from every decision of intake staff and dispatchers.
"""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max

from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.classify import Classifier, classifier
from urbanmgmt.hotline.keywords import Keywords
from urbanmgmt.hotline.learning import BUREAU, Models, unpack
from urbanmgmt.hotline.models import Bureau, CategoryMethod, ClassifierVersion
from urbanmgmt.hotline.reloading import Reloading

CHOICES = 3


@dataclass
class Choice:
    """One of the outcomes offered to intake: a category or a bureau to forward to."""

    kind: str  # "category" or "bureau"
    code: str  # the category's service code or the bureau's code
    name: str
    confidence: float
    words: list[str]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "code": self.code, "name": self.name, "confidence": round(self.confidence, 3),
                "words": self.words}


@dataclass
class Verdict:
    in_scope: bool
    scope_confidence: float
    category_id: int | None = None
    confidence: float = 0.0
    method: str = ""
    bureau_id: int | None = None
    department_id: int | None = None
    choices: list[Choice] = field(default_factory=list)
    version: int | None = None
    file_above: float = 0.0  # the version's own threshold (training.file_above)

    @property
    def forward(self) -> bool:
        """Out of scope and sure enough to forward without review."""
        return not self.in_scope and self.scope_confidence >= settings.HOTLINE_FORWARD_ABOVE

    @property
    def filed(self) -> bool:
        """In scope and sure enough of its category to be filed without review: above the
        setting HOTLINE_REVIEW_BELOW and above the confidence from which the version's
        held-out filings were right HOTLINE_FILE_PRECISION of the time."""
        return self.in_scope and self.confidence >= max(settings.HOTLINE_REVIEW_BELOW, self.file_above)

    @property
    def doubt(self) -> float:
        """How likely the outcome chosen is wrong: the review queue's order."""
        sure = self.scope_confidence if not self.in_scope else min(self.scope_confidence, self.confidence)
        return round(1.0 - sure, 4)


class Suggester:
    """Built from the newest classifier version, or from the keywords when none exists;
    `model`: a model given (a benchmark's cross-validation folds), not the stored one."""

    def __init__(self, model: Models | None = None):
        self.categories = {c.service_code: c for c in Category.objects.filter(active=True).only(
            "id", "service_code", "name_zh")}
        self.by_id = {c.id: c for c in self.categories.values()}
        self.bureaus = {b.code: b for b in Bureau.objects.filter(active=True)}
        self.bureau_by_id = {b.id: b for b in self.bureaus.values()}
        latest = None if model else ClassifierVersion.objects.order_by("-version").only("version", "weights").first()
        self.version = latest.version if latest else None
        self.model, self.departments = model, None
        if latest is not None:
            self.model, self.departments = unpack(bytes(latest.weights))
            from urbanmgmt.org.models import Department

            self.department_ids = dict(Department.objects.filter(active=True).values_list("code", "id"))
        elif model is None:
            self.catalogue: Classifier = classifier()
            self.bureau_words: dict[str, set[str]] = {}
            for b in self.bureaus.values():
                for word in b.keywords:
                    if len(word) >= 2:
                        self.bureau_words.setdefault(word, set()).add(b.code)
            # One scan of a ticket for both: the longest word at each place wins, 暖气管爆了 (a
            # category's) over 暖气 (the gas company's); a long complaint is read once.
            both = {*self.catalogue.keyword_to, *self.bureau_words}
            self.pattern = Keywords(both)

    def verdict(self, title: str, text: str, source_category: str = "") -> Verdict:
        """Scope, category, bureau, department and the three best choices for a ticket."""
        if self.model is not None:
            return self._learned(title, text, source_category)
        return self._keywords(title, text)

    # --- before any training: the catalogue's and the bureaus' keywords -----------------------
    def _keywords(self, title: str, text: str) -> Verdict:
        hits = self.catalogue.hits(title, text, self.pattern)
        result, ranked = self.catalogue.ranked(title, text, CHOICES,
                                               [h for h in hits if h[0] in self.catalogue.keyword_to])
        in_words = sum(score for _c, score, _w in ranked[:1]) if result.method == CategoryMethod.KEYWORDS else 0.0
        out_scores, out_words = self._bureau_scores(hits)
        out = max(out_scores.values(), default=0.0)
        choices = [Choice("category", self.by_id[cid].service_code, self.by_id[cid].name_zh,
                          result.confidence if i == 0 else 0.0, words)
                   for i, (cid, _s, words) in enumerate(ranked) if cid in self.by_id]
        if out == 0.0:
            scope = 1.0 if in_words else 0.5
            return Verdict(True, scope, result.category_id, result.confidence, result.method, choices=choices)
        share = out / (out + in_words)
        strength = 1 - math.exp(-out / 4.0)
        best = sorted(out_scores, key=lambda code: (-out_scores[code], code))
        forwards = [Choice("bureau", code, self.bureaus[code].name, round(strength * share, 3) if i == 0 else 0.0,
                           out_words[code]) for i, code in enumerate(best[:CHOICES])]
        if share > 0.5:
            return Verdict(False, round(strength * share, 3), result.category_id, result.confidence, result.method,
                           bureau_id=self.bureaus[best[0]].id, choices=(forwards + choices)[:CHOICES])
        scope = round(1 - share * strength, 3)
        return Verdict(True, scope, result.category_id, result.confidence, result.method,
                       choices=(choices[:CHOICES - 1] + forwards)[:CHOICES])

    def _bureau_scores(self, hits: list[tuple[str, float]]) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores: dict[str, float] = {}
        words: dict[str, list[str]] = {}
        for word, weight in hits:
            for code in self.bureau_words.get(word, ()):
                scores[code] = scores.get(code, 0.0) + weight * len(word)
                if word not in words.setdefault(code, []):
                    words[code].append(word)
        return scores, words

    # --- a trained classifier -------------------------------------------------------------------
    def _learned(self, title: str, text: str, source_category: str) -> Verdict:
        whole = f"{title} {text}"
        found = self.model.found(whole, title)
        if source_category:
            found["§" + source_category] = 1
        ranked = self.model.outcomes(found)
        hinted = next((k for k, (label, _p) in enumerate(ranked) if label == source_category), None)
        if hinted is not None:  # the source's own classification, mapped to ours as data
            odds = settings.HOTLINE_SOURCE_CATEGORY_ODDS
            total = 1.0 + ranked[hinted][1] * (odds - 1)
            ranked = sorted(((label, p * (odds if k == hinted else 1.0) / total) for k, (label, p) in
                             enumerate(ranked)), key=lambda item: -item[1])
        out = sum(p for label, p in ranked if label.startswith(BUREAU))
        verdict = Verdict(out < 0.5, round(max(out, 1 - out), 4), version=self.version, method=CategoryMethod.LEARNED,
                          file_above=self.model.file_above)
        category = next(((label, p) for label, p in ranked if label in self.categories), None)
        if category is not None:
            verdict.category_id, verdict.confidence = self.categories[category[0]].id, round(category[1], 4)
        bureau = next((label[len(BUREAU):] for label, _p in ranked
                       if label.startswith(BUREAU) and label[len(BUREAU):] in self.bureaus), None)
        if bureau is not None and not verdict.in_scope:
            verdict.bureau_id = self.bureaus[bureau].id
        for label, p in ranked[:CHOICES]:
            words = self.model.evidence(whole, label, found)
            if label.startswith(BUREAU) and label[len(BUREAU):] in self.bureaus:
                b = self.bureaus[label[len(BUREAU):]]
                verdict.choices.append(Choice("bureau", b.code, b.name, p, words))
            elif label in self.categories:
                c = self.categories[label]
                verdict.choices.append(Choice("category", c.service_code, c.name_zh, p, words))
        if self.departments is not None and verdict.in_scope:
            verdict.department_id = self._department(found)
        return verdict

    def _department(self, found: dict[str, int]) -> int | None:
        probabilities = self.departments.probabilities(found)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        if probabilities[best] < settings.HOTLINE_DEPARTMENT_ABOVE:
            return None
        return self.department_ids.get(self.departments.labels[best])


TTL_S = 60.0


def _newest_version() -> int | None:
    """What a retraining anywhere (a task worker, another node) changes: the newest version."""
    return ClassifierVersion.objects.aggregate(newest=Max("version"))["newest"]


_suggester = Reloading(Suggester, TTL_S, version=_newest_version)


def suggester() -> Suggester:
    built = _suggester.get()
    if built.model is None and built.catalogue is not classifier():
        # The catalogue's classifier was built again (its TTL, or invalidated after a change
        # of the tables): so is the suggester that holds it, with the bureaus as they are now.
        _suggester.invalidate()
        built = _suggester.get()
    return built


def invalidate_suggester(**kwargs) -> None:
    _suggester.invalidate()
