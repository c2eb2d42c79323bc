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


def test_an_index_compares_in_the_words_of_its_first_search_until_they_are_full(gazetteer, monkeypatch):
    """An import's index keeps the words it started with when the classifier is built again
    meanwhile (its TTL, or an edit): every ticket of the import is compared in the same words,
    and the cases' words are not all found again; a full cache is taken afresh."""
    import datetime as dt

    from urbanmgmt.catalog.models import Category
    from urbanmgmt.hotline.classify import invalidate_classifier

    index = linking.OpenCases()
    category = Category.objects.select_related("major").get(service_code="E0102")
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    index.add(linking.Candidate(1, 100.0, 100.0, category.id, category.major_id, 1, at, "小区门口暴露垃圾没人清理"))

    def search():
        return index.best(x=110.0, y=100.0, category=category, community_id=1, at=at, text="小区门口暴露垃圾堆",
                          by_point=True)

    first = search()
    held = index.words
    assert first is not None and "小区门口暴露垃圾没人清理" in held
    invalidate_classifier()
    assert linking.current_words() is not held  # a search without the index would start again
    assert search() == first and index.words is held
    monkeypatch.setattr(linking, "WORDS_CACHE", 0)
    assert search() == first and index.words is not held
