"""城管通 in a real browser (Debian's Chromium): offline queue, reload offline, never a
duplicate; EXIF-free display copies; a poor GPS fix refused until placed by hand."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from tests.browser.conftest import log_in_app, wait_for
from tests.builders import point_in
from tests.photos import jpeg, now_local
from urbanmgmt.cases.models import Case, CaseMedia

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inspector(empty_history_after, city, people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    people.inspector.set_password("patrol-2026")
    people.inspector.save()
    return people.inspector


@pytest.fixture
def photo_files(tmp_path):
    point = point_in(0.5, 0.5)
    paths = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        path.write_bytes(jpeg(800 + i, 600, gps=(point.x, point.y), taken=now_local(), orientation=6))
        paths.append(str(path))
    return paths


def app_page(browser, live_server, accuracy):
    point = point_in(0.5, 0.5)
    context = browser.new_context(geolocation={"longitude": point.x, "latitude": point.y, "accuracy": accuracy},
                                  permissions=["geolocation"], locale="zh-CN", viewport={"width": 360, "height": 740},
                                  service_workers="allow")
    page = context.new_page()
    log_in_app(page, live_server, "inspector", "patrol-2026")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    page.wait_for_selector("#tab-new")
    return context, page


def fill_report(page, photo, description):
    page.click("#tab-new")
    page.set_input_files("#photo-input", photo)
    page.fill("#category-search", "暴露垃圾")
    page.click('[data-code="E0102"]')
    page.fill("#description", description)
    page.wait_for_selector("#submit-report:not([disabled])", timeout=10000)
    page.click("#submit-report")




def test_three_reports_made_offline_arrive_once_each(browser, live_server, inspector, photo_files):
    context, page = app_page(browser, live_server, accuracy=8)
    context.set_offline(True)
    for i, photo in enumerate(photo_files):
        fill_report(page, photo, f"离线上报 {i}")
    assert wait_for(lambda: page.evaluate("window.collector.queueSize()") == 3)
    assert Case.objects.count() == 0

    page.reload()  # offline: the app shell comes from the service worker, the queue from IndexedDB
    page.wait_for_selector("#tab-new")
    assert page.evaluate("window.collector.queueSize()") == 3

    context.set_offline(False)
    page.evaluate("window.collector.flush()")
    assert wait_for(lambda: page.evaluate("window.collector.queueSize()") == 0, 60)
    page.evaluate("window.collector.flush()")  # a second flush sends nothing more
    assert Case.objects.count() == 3
    assert sorted(Case.objects.values_list("description", flat=True)) == [f"离线上报 {i}" for i in range(3)]
    assert CaseMedia.objects.count() == 3

    media = CaseMedia.objects.first()
    with default_storage.open(media.display.name) as f:
        display = Image.open(io.BytesIO(f.read()))
    assert not display.getexif() and display.size[1] > display.size[0]  # upright, EXIF gone
    assert media.metadata["exif"]["gps"]  # while the original's EXIF was read and kept
    context.close()


def test_a_poor_fix_is_refused_until_the_point_is_placed_by_hand(browser, live_server, inspector, photo_files):
    context, page = app_page(browser, live_server, accuracy=250)
    page.click("#tab-new")
    page.set_input_files("#photo-input", photo_files[0])
    page.fill("#category-search", "乱停车")  # a citizen's word finds its category through the keywords
    page.wait_for_selector('[data-code="E0505"]')
    page.fill("#category-search", "暴露垃圾")
    page.click('[data-code="E0102"]')
    assert wait_for(lambda: "手动" in page.inner_text("#accuracy-message"))
    assert page.is_disabled("#submit-report")
    page.wait_for_selector("#place-map .leaflet-interactive, #place-map .leaflet-pane", timeout=10000)
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#submit-report:not([disabled])", timeout=10000)
    page.click("#submit-report")
    assert wait_for(lambda: Case.objects.count() == 1, 30, page=page)
    assert Case.objects.get().events.get().payload["placed_by_hand"] is True
    context.close()
