"""Shared fixtures: a small test city loaded once per database, personas for every role."""

import os

import pytest
from django.conf import settings

from maps.layers import invalidate_layer_cache
from tests import citycopy
from tests.builders import People, grid_features, make_person, write_layer
from urbanmgmt.cases.worktime import invalidate_calendar
from urbanmgmt.grids.services import invalidate_grid_index
from urbanmgmt.hotline.classify import invalidate_classifier
from urbanmgmt.hotline.gazetteer import invalidate_gazetteer
from urbanmgmt.hotline.suggest import invalidate_suggester

# What a process keeps of the database's rows between requests.
PROCESS_CACHES = (invalidate_grid_index, invalidate_layer_cache, invalidate_calendar, invalidate_gazetteer,
                  invalidate_classifier, invalidate_suggester)


def load_city(tmp_dir) -> None:
    """The catalogue, a 6 × 4 test grid layer (through the real importer), departments and
    ownership, the calendar of 2024–2026. Skipped when already there; put back from the
    session's copy after a flush (tests/citycopy.py)."""
    from demo.city import load_departments
    from urbanmgmt.cases.calendar_seed import seed_calendar
    from urbanmgmt.cases.models import WorkDay
    from urbanmgmt.catalog.loader import load_catalog
    from urbanmgmt.grids.importer import import_grids
    from urbanmgmt.grids.models import UnitGrid

    if UnitGrid.objects.exists():
        return
    if citycopy.restore():
        for invalidate in PROCESS_CACHES:
            invalidate()
        return
    load_catalog(settings.FIXTURES_DIR / "catalog" / "categories.json")
    report = import_grids(write_layer(tmp_dir / "grids.geojson", grid_features()))
    assert report.ok, report.lines()
    load_departments(settings.FIXTURES_DIR / "demo" / "departments.json")
    if not WorkDay.objects.exists():
        seed_calendar(range(2024, 2027))


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`), the files with slow or browser tests are handed out
    first: a process that takes a long file last would run alone while the other waits."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    heavy = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)  # stable: a file's tests keep their order


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        citycopy.load_and_keep(lambda: load_city(tmp_path_factory.mktemp("city")))


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request of an earlier test may have left
    another one active on this thread (LocaleMiddleware activates the request's language and
    nothing deactivates it after the response)."""
    from django.conf import settings as django_settings
    from django.utils import translation

    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render without a collectstatic manifest in tests.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # The map's layer cache follows the grid index's version, which a test city reloaded after
    # a flush repeats: without this, a later browser test's map finds the grids of an earlier one.
    # The 12345 caches hold ids of rows a test made and rolled back (tests/test_process_caches.py).
    for invalidate in PROCESS_CACHES:
        invalidate()
    yield
    for invalidate in PROCESS_CACHES:
        invalidate()


@pytest.fixture
def empty_history_after(transactional_db):
    """For transactional tests: the history triggers refuse to delete the events of an existing
    case or notice, so every other table is emptied first (foreign keys are deferred: the order
    within the transaction does not matter), then the histories; then the flush. The flush's
    own order follows a set's, which changes with the hash seed, so it cannot be left to it."""
    yield
    from django.db import connection, transaction

    from urbanmgmt.cases.models import CaseEvent
    from urbanmgmt.supervision.models import NoticeEvent

    histories = [CaseEvent._meta.db_table, NoticeEvent._meta.db_table]
    tables = [t for t in connection.introspection.django_table_names(only_existing=True) if t not in histories]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables + histories:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture
def city(db, tmp_path):
    """The test city (reloaded after a transactional test emptied the database)."""
    load_city(tmp_path)


@pytest.fixture
def people(city) -> People:
    from urbanmgmt.grids.models import UnitGrid

    return People(
        inspector=make_person("inspector", "inspector", grids=UnitGrid.objects.filter(street__code="320706006")),
        analyst=make_person("analyst", "analyst"),
        dispatcher=make_person("dispatcher", "dispatcher"),
        handler=make_person("handler", "handler", department="HZ-HWC"),
        other_handler=make_person("handler_cgj", "handler", department="HZ-CGJ"),
        manager=make_person("manager", "manager"),
        admin=make_person("root", "admin"),
        outsider=make_person("outsider", None),
    )


@pytest.fixture
def category():
    from urbanmgmt.catalog.models import Category

    return Category.objects.get(service_code="E0102")  # 暴露垃圾 → sanitation office HZ-HWC, 2 working hours


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch):
    """The live server answers /media/ as production does, through the platform's view.

    Django's LiveServerThread wraps the site in a handler that serves every file under
    MEDIA_ROOT to anyone before any view runs; gunicorn (`make run`) has no such handler, so
    live-server and browser tests would never meet protected_media's checks."""
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)
