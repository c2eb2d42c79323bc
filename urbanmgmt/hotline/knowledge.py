"""The knowledge base at intake (知识库, "一号答"): the entries that best answer a ticket, with
the words they share with it, so that a clerk answers a citizen at first contact.

Entries are ranked by the character pairs (and Latin words) they share with the ticket, the
classifier's own features (learning.features), each pair weighted by how rare it is among
the entries (a pair every entry has, 请问, tells nothing). The question and the tags count
fully, the answer's words a little: a citizen describes the problem, the question names it.
A score is divided by the square root of the question's own weight, so that a long question
does not win by length. Only the entries valid today take part; the index is built once per
process and built again when an entry changes (its version: count and last change) or the
day turns.
"""

import math
from dataclasses import dataclass

import jieba
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from urbanmgmt.hotline.learning import features, runs
from urbanmgmt.hotline.models import HotlineTicket, KnowledgeEntry
from urbanmgmt.hotline.reloading import Reloading

ANSWER_WEIGHT = 0.3  # a pair found only in the entry's answer
MIN_SHARED = 1  # telling pairs in common with the question or tags, at least (停水 is enough; 怎么 is not)
# How a question is asked and what is asked of the city, not what about: their pairs count in
# the score, but are neither shown nor enough to offer an entry, however few entries use them (a
# base of seven offered 共享单车应停放在哪里 to 附近哪里有公厕 on 哪里 alone, and an entry on
# renovation waste to a car on the blind lane on 处理).
QUESTION_WORDS = ("怎么", "怎样", "在哪里", "哪儿", "如何", "什么", "请问", "是否", "多少", "可以", "能否", "应该", "需要",
                  "为何", "咨询", "处理", "解决", "反映", "投诉", "举报")


@dataclass
class Match:
    """An entry offered for a ticket: its score, the ticket's words that matched, and its
    question cut into (text, matched) parts for highlighting."""

    entry: KnowledgeEntry
    score: float
    words: list[str]
    question: list[tuple[str, bool]]


def stretches(text: str, found: set[str]) -> list[tuple[int, int]]:
    """The stretches of `text` to mark for the features `found`: whole words (jieba's) whose
    character pairs are all found, neighbours joined (预约 + 上门 + 清运), so that a found pair
    across a word's edge (么预 of 怎么预约) marks no half word; the pairs' own stretches when
    no whole word is found (违章 of 违章建筑)."""
    out: list[tuple[int, int]] = []
    at = 0
    for word in jieba.lcut(text, HMM=False):
        end = at + len(word)
        pairs = features(word)
        if len(word) > 1 and pairs and pairs <= found:
            if out and out[-1][1] == at:
                out[-1] = (out[-1][0], end)
            else:
                out.append((at, end))
        at = end
    return out or runs(text, found)


def _parts(text: str, found: set[str]) -> list[tuple[str, bool]]:
    parts, at = [], 0
    for start, end in stretches(text, found):
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return parts


class Index:
    """The entries valid today with their features and the rarity of each feature."""

    def __init__(self):
        day = timezone.localdate()
        self.entries = list(KnowledgeEntry.objects.valid_on(day).select_related("department", "bureau"))
        self.asked = [features(" ".join([e.question, *e.tags])) for e in self.entries]
        self.said = [features(e.answer) - asked for e, asked in zip(self.entries, self.asked, strict=True)]
        df: dict[str, int] = {}
        for asked, said in zip(self.asked, self.said, strict=True):
            for f in asked | said:
                df[f] = df.get(f, 0) + 1
        n = len(self.entries)
        self.idf = {f: math.log(1 + n / d) for f, d in df.items()}
        # Pairs in more than a fifth of the entries (反映, 投诉), and QUESTION_WORDS', count in
        # the score but are neither shown nor enough to offer an entry.
        self.common = {f for f, d in df.items() if d > max(2, n / 5)} | features(" ".join(QUESTION_WORDS))
        self.norm = [math.sqrt(sum(self.idf[f] for f in asked)) or 1.0 for asked in self.asked]

    def best(self, text: str, n: int) -> list[Match]:
        """The `n` entries that best answer `text`, best first; none that shares too little."""
        found = features(text)
        scored = []
        for i, asked in enumerate(self.asked):
            shared = found & asked
            telling = shared - self.common
            if len(telling) < MIN_SHARED:
                continue
            also = found & self.said[i]
            score = (sum(self.idf[f] for f in shared) + ANSWER_WEIGHT * sum(self.idf[f] for f in also)) / self.norm[i]
            scored.append((score, i, telling))
        scored.sort(key=lambda item: (-item[0], self.entries[item[1]].code))
        out = []
        for score, i, shared in scored[:n]:
            entry = self.entries[i]
            words = list(dict.fromkeys(text[a:b] for a, b in stretches(text, shared)))
            out.append(Match(entry, round(score, 3), words, _parts(entry.question, shared)))
        return out


def _version() -> tuple:
    """What a change anywhere (the admin, an import, another node) moves: the entries' count
    and latest change, and the day (validity ends at midnight)."""
    found = KnowledgeEntry.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return found["n"], found["last"], timezone.localdate()


_index = Reloading(Index, 3600.0, version=_version)


def matches(ticket: HotlineTicket, n: int | None = None) -> list[Match]:
    """The knowledge base entries valid today that best answer `ticket`, best first."""
    return _index.get().best(f"{ticket.title} {ticket.text}", n or settings.HOTLINE_KB_MATCHES)


def invalidate_index(**kwargs) -> None:
    _index.invalidate()
