"""keywords.Keywords (how the classifier, the gazetteer and linking find the catalogue's and
the bureaus' words, place names and generic words in long complaints) finds what the regular
expression of the same words, longest first, finds, so that no suggestion, scope decision,
place or link depends on how the words are found."""

import random
import re

import pytest

from urbanmgmt.hotline import linking
from urbanmgmt.hotline.classify import GENERIC
from urbanmgmt.hotline.keywords import Keywords
from urbanmgmt.hotline.suggest import Suggester


def alternation(words) -> re.Pattern:
    """The rule itself: the words as one regular expression, longest first."""
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def test_the_longest_word_at_each_place_as_the_regular_expression_finds_it():
    rng = random.Random(17)
    alphabet = "垃圾堆暴露路灯不亮占道经营新海社区a.*(|🚗𠀀"
    for _ in range(1000):
        words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 25))}
        found, plain = Keywords(words), alternation(words)
        for _ in range(10):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            assert found.spans(text) == [m.span() for m in plain.finditer(text)], (words, text)
            assert found.findall(text) == plain.findall(text), (words, text)
            assert found.sub("|", text) == plain.sub("|", text), (words, text)
            assert found.cut("|", text) == (plain.sub("|", text), plain.findall(text)), (words, text)
    assert Keywords(["垃圾", "垃圾堆"]).findall("垃圾堆旁垃圾") == ["垃圾堆", "垃圾"]
    assert Keywords(["垃圾堆", "ab"]).spans("🚗é垃圾堆x𠀀ab") == [(2, 5), (7, 9)]  # offsets in characters
    assert not Keywords([]) and Keywords([]).findall("垃圾") == [] and Keywords(["", ""]).cut("|", "垃圾") == ("垃圾", [])


def complaints(words: list[str], n: int, rng: random.Random) -> list[str]:
    """Long complaints: the catalogue's and the bureaus' words among everyday characters,
    punctuation, house numbers and halves of words (a word cut across a comma)."""
    filler = "我是附近的居民这个问题已经存在很长时间了希望有关部门能够重视尽快派人过来看一下小区门口路边"
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 60)):
            kind = rng.random()
            word = rng.choice(words)
            if kind < 0.3:
                parts.append(word)
            elif kind < 0.4:
                cut = rng.randint(1, len(word) - 1)
                parts.append(f"{word[:cut]}，{word[cut:]}")
            elif kind < 0.5:
                parts.append(f"{rng.randint(1, 40)}号楼")
            else:
                start = rng.randrange(len(filler))
                parts.append(filler[start:start + rng.randint(1, 12)] + rng.choice(["", "，", "。", " "]))
        out.append("".join(parts))
    return out


@pytest.mark.django_db
def test_suggestions_and_linking_words_are_those_of_the_regular_expression(gazetteer, bureaus):
    suggester = Suggester()
    both = sorted({*suggester.catalogue.keyword_to, *suggester.bureau_words}, key=len, reverse=True)
    texts = complaints(both, 300, random.Random(351))
    assert isinstance(suggester.pattern, Keywords)
    fast = [suggester.verdict(text[:20], text) for text in texts]
    suggester.pattern = alternation(both)
    assert fast == [suggester.verdict(text[:20], text) for text in texts]
    assert {v.in_scope for v in fast} == {True, False}

    cache = linking.current_words()
    places, names = cache["of"]
    assert isinstance(cache["split"], Keywords)
    for text in texts:
        assert linking.text_words(text, places, cache["split"], cache["concept"]) == regular_words(
            text, places.areas.words, names.keyword_to, cache["concept"])


def regular_words(text: str, areas, keywords, concept_of: dict) -> frozenset[int]:
    """linking.text_words written with regular expressions alone, step by step."""
    text = re.sub(r"[\s\W_]+", "", text)
    text = re.sub(r"[0-9０-９]+(?:号楼|号院|号|栋|幢|单元|室|楼)?", "|", alternation(areas).sub("|", text))
    parts = re.compile(f"({alternation(keywords).pattern})").split(text)
    rest = alternation(GENERIC - linking.PLACE_WORDS).sub("|", "|".join(parts[0::2]))
    return frozenset(linking.pairs(rest)).union(concept_of[k] for k in parts[1::2])
