"""A catalogue category for a ticket from its title and text, with a confidence.

Two signals, both from the catalogue itself (Category.keywords and names, data editable in
the admin): the catalogue's keywords found literally in the text (keywords.Keywords: the
longest at each place; a hit in the title counts more), and the overlap of the
ticket's jieba words with each category's words (keywords and name segmented the same way,
each word weighted by how few categories share it), which catches a paraphrase that uses
no keyword verbatim. The confidence is the winner's strength times its margin over the
runner-up; below settings.HOTLINE_REVIEW_BELOW the ticket goes to the review list.
"""

import math
import re
from dataclasses import dataclass

import jieba

from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.keywords import Keywords
from urbanmgmt.hotline.models import CategoryMethod
from urbanmgmt.hotline.reloading import Reloading

jieba.setLogLevel(60)
STOP = set("的了在是有我和就不人都一个也很到说要去你会着没看好自己这那里啊吧呢吗么还被把让给对从向于请")
WORDS_MAX_CONFIDENCE = 0.55
# Words that say where, when or how much, not what: they never decide a category.
GENERIC = {"小区", "门口", "楼下", "路边", "附近", "马路", "路上", "晚上", "白天", "半夜", "好久", "好几天", "很多",
           "严重", "希望", "处理", "没人", "问题", "市民", "反映", "来电", "投诉", "举报", "情况", "部门", "一直",
           "东西", "现在", "已经", "影响", "居民", "周边", "旁边", "对面", "占用", "破损", "损坏", "坏了"}


@dataclass(frozen=True)
class Classified:
    category_id: int | None
    confidence: float
    method: str  # "keywords", "words", or "" when nothing matched


class Classifier:
    def __init__(self):
        self.categories = list(Category.objects.filter(active=True).only("id", "name_zh", "keywords"))
        self.keyword_to: dict[str, set[int]] = {}
        words_of: dict[int, set[str]] = {}
        for category in self.categories:
            terms = {category.name_zh, *category.keywords}
            for term in terms:
                if len(term) >= 2:
                    self.keyword_to.setdefault(term, set()).add(category.id)
            words_of[category.id] = {w for term in terms for w in _words(term)}
        document_frequency: dict[str, int] = {}
        for words in words_of.values():
            for word in words:
                document_frequency[word] = document_frequency.get(word, 0) + 1
        n = max(1, len(self.categories))
        self.weight = {w: math.log(1 + n / f) for w, f in document_frequency.items()}
        self.word_to: dict[str, list[int]] = {}
        for cid, words in words_of.items():
            for word in words:
                self.word_to.setdefault(word, []).append(cid)
        self.pattern = Keywords(self.keyword_to)

    def classify(self, title: str, text: str) -> Classified:
        return self.ranked(title, text)[0]

    def ranked(self, title: str, text: str, n: int = 0, hits: list[tuple[str, float]] | None = None
               ) -> tuple[Classified, list[tuple[int, float, list[str]]]]:
        """The best category with its confidence, and the `n` best (category, score, the
        catalogue words found for it) for the review's choices. `hits`: the catalogue's
        keywords in the text with their weights, when the caller has looked for them."""
        scores: dict[int, float] = {}
        found: dict[int, list[str]] = {}
        method = CategoryMethod.KEYWORDS
        for word, weight in self.hits(title, text) if hits is None else hits:
            for cid in self.keyword_to[word]:
                scores[cid] = scores.get(cid, 0.0) + weight * len(word)
                if n:
                    found.setdefault(cid, []).append(word)
        if not scores:
            method = CategoryMethod.WORDS
            for word in set(_words(f"{title} {text}")):
                for cid in self.word_to.get(word, ()):
                    scores[cid] = scores.get(cid, 0.0) + self.weight[word]
                    if n:
                        found.setdefault(cid, []).append(word)
        if not scores:
            return Classified(None, 0.0, ""), []
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        strength = 1 - math.exp(-top / (2.0 if method == CategoryMethod.KEYWORDS else 8.0))
        confidence = strength * top / (top + second)
        if method == CategoryMethod.WORDS:  # no catalogue keyword in the text: a guess that intake reviews
            confidence = min(confidence, WORDS_MAX_CONFIDENCE)
        choices = [(cid, score, list(dict.fromkeys(found.get(cid, ())))[:4]) for cid, score in ranked[:n]]
        return Classified(best, round(confidence, 3), method), choices


    def hits(self, title: str, text: str, pattern: Keywords | None = None) -> list[tuple[str, float]]:
        """The keywords of `pattern` (the catalogue's, or those given: a keywords.Keywords or
        anything with its `findall`) in the title (weighing 1.5) and the text."""
        pattern = pattern or self.pattern
        if not pattern:
            return []
        return [(word, weight) for part, weight in ((title or "", 1.5), (text or "", 1.0))
                for word in pattern.findall(part)]


def _words(text: str) -> list[str]:
    """jieba's words and the text's character pairs (jieba may cut 垃圾堆 where a keyword has
    垃圾), less the generic ones."""
    words = [w for w in jieba.lcut(text, HMM=False)
             if w not in GENERIC and (len(w) > 1 or (w.strip() and w not in STOP and not w.isascii()))]
    pairs = [text[i:i + 2] for i in range(len(text) - 1)]
    return words + [p for p in pairs if p not in GENERIC and _CJK.fullmatch(p)]


_CJK = re.compile(r"[\u4e00-\u9fff]{2}")


TTL_S = 60.0
_classifier = Reloading(Classifier, TTL_S)


def classifier() -> Classifier:
    return _classifier.get()


def invalidate_classifier(**kwargs) -> None:
    _classifier.invalidate()
