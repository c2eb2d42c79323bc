"""The linking's remembered words under a worker's threads: a rebuild never empties the cache
another thread is reading (a fresh gunicorn worker's first searches raced into KeyError 500s)."""

import pytest

from urbanmgmt.hotline import linking

pytestmark = pytest.mark.django_db


def test_a_rebuilt_cache_leaves_the_one_a_reader_holds_whole(gazetteer, monkeypatch):
    held = linking.current_words()
    words = linking.remembered("小区门口暴露垃圾没人清理", held)
    monkeypatch.setattr(linking, "WORDS_CACHE", 0)  # the next search rebuilds it
    fresh = linking.current_words()
    assert fresh is not held and {"of", "split", "concept"} <= set(fresh)
    assert held["小区门口暴露垃圾没人清理"] == words and {"of", "split", "concept"} <= set(held)
    assert linking.remembered("小区门口暴露垃圾没人清理", fresh) == words
