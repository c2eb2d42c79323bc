"""The process's caches of database rows (the 12345 classifier and suggester, the gazetteer,
the grid index, the map's layers, the calendar) start afresh in every test: a row a test made
and rolled back, or that a transactional test's flush removed, must not be handed to the next
test. (The 12345 classifier kept its categories for a minute across tests: tests/access after
tests/api failed with "FOREIGN KEY constraint failed" on a ticket's category.)

The two tests run in this order (pytest keeps a module's order): the first makes a category
and has it classified; the second must not be given its id."""

import pytest

pytestmark = pytest.mark.django_db

WORD = "测试专用的甲乙丙丁"


def test_a_category_made_in_a_test_classifies_its_keyword(city):
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.hotline.classify import classifier
    from urbanmgmt.hotline.suggest import suggester

    made = Category.objects.get(service_code="E0102")
    made.pk, made.code, made.name_zh, made.keywords = None, "9999", "测试专用类别", [WORD]
    made.save()
    assert classifier().classify("", WORD).category_id == made.pk
    assert suggester().verdict("", WORD).category_id == made.pk


def test_a_later_test_is_never_given_a_category_that_was_rolled_back(city):
    from urbanmgmt.catalog.models import Category
    from urbanmgmt.hotline.classify import classifier
    from urbanmgmt.hotline.suggest import suggester

    assert not Category.objects.filter(code="9999").exists()
    for got in (classifier().classify("", WORD).category_id, suggester().verdict("", WORD).category_id):
        assert got is None or Category.objects.filter(pk=got).exists(), f"category {got} is not in the database"
