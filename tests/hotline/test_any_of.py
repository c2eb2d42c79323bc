"""classify.any_of (the trie the classifier and the gazetteer match names with) finds what
the alternation of the same words, longest first, finds."""

import random
import re

from urbanmgmt.hotline.classify import any_of


def test_the_trie_finds_the_longest_word_at_each_place_as_the_alternation_does():
    rng = random.Random(6)
    alphabet = "垃圾堆暴露路灯不亮占道经营新海社区a.*("
    for _ in range(500):
        words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 25))}
        alternation = re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
        trie = any_of(words)
        for _ in range(10):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            assert [m.span() for m in trie.finditer(text)] == [m.span() for m in alternation.finditer(text)]
    assert any_of([]) is None and any_of(["垃圾", "垃圾堆"]).findall("垃圾堆旁垃圾") == ["垃圾堆", "垃圾"]
