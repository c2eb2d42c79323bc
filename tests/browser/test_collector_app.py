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
    # As an inspector opens the app online once before a day out of coverage: the catalogue
    # kept on the phone (the first load's download may be cut short by the reload).
    assert wait_for(lambda: page.evaluate(STORED_CATEGORIES) > 0, 30)
    return context, page


STORED_CATEGORIES = "async () => ((await window.collector.kv.get('categories')) || []).length"


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


# --- issue #15: photos checked when picked, a refused report mended, search, the map ---------

QUEUE_BAD_ITEM = """async ([uuid, good]) => {
  const bytes = Uint8Array.from(atob(good), (c) => c.charCodeAt(0));
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('chengguantong', 1);
    r.onsuccess = () => ok(r.result);
    r.onerror = ko;
  });
  const item = { client_uuid: uuid, owner: 'inspector', lon: %s, lat: %s, accuracy_m: 8, placed_by_hand: false,
    category: 'E0102', category_name: '暴露垃圾', description: '旧版本存下的上报', captured_at: new Date().toISOString(),
    photos: [{ blob: new Blob([bytes], { type: 'image/jpeg' }), name: 'good.jpg', type: 'image/jpeg' },
             { blob: new Blob(['not a photo'], { type: 'image/jpeg' }), name: 'notes.jpg', type: 'image/jpeg' }],
    created_at: Date.now(), state: 'waiting', attempts: 0, next_try_at: 0, last_error: null };
  await new Promise((ok, ko) => {
    const tx = db.transaction('queue', 'readwrite');
    tx.objectStore('queue').put(item);
    tx.oncomplete = ok;
    tx.onerror = ko;
  });
}"""


def test_a_file_that_is_no_photo_is_refused_when_picked_and_a_refused_report_can_be_mended(
        browser, live_server, inspector, photo_files, tmp_path):
    import base64
    import uuid

    context, page = app_page(browser, live_server, accuracy=8)
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(jpeg(800, 600)[:300])  # a JPEG's first bytes, cut: no picture to show
    page.set_input_files("#photo-gallery", str(damaged))
    page.wait_for_selector("#photo-message:visible")
    assert "已损坏" in page.inner_text("#photo-message") and page.locator("#photo-thumbs .thumb").count() == 0

    # A report queued with a bad photo (by an older app) is refused by the server: mend it, not retry forever.
    point = point_in(0.5, 0.5)
    client_uuid = str(uuid.uuid4())
    good = base64.b64encode(open(photo_files[0], "rb").read()).decode()
    page.evaluate(QUEUE_BAD_ITEM % (point.x, point.y), [client_uuid, good])
    page.evaluate("window.collector.flush()")
    page.click("#tab-queue")
    item = page.locator(f'#queue-list [data-uuid="{client_uuid}"]')
    assert wait_for(lambda: item.get_attribute("data-state") == "failed", page=page)
    item.locator('[data-action="fix-photos"]').click()
    page.wait_for_selector(f'#queue-list [data-uuid="{client_uuid}"] .thumb.is-bad[data-photo="1"]')
    assert item.locator(".thumb.is-bad").count() == 1
    item.locator('.thumb[data-photo="1"] .remove').click()
    thumbs = page.locator(f'#queue-list [data-uuid="{client_uuid}"] .thumb')
    assert wait_for(lambda: thumbs.count() == 1, page=page), thumbs.count()
    page.locator(f'#queue-list [data-uuid="{client_uuid}"] .actions button').first.click()
    assert wait_for(lambda: Case.objects.filter(external_ref=client_uuid).exists(), 30, page=page)
    assert Case.objects.get(external_ref=client_uuid).media.count() == 1
    assert wait_for(lambda: page.evaluate("window.collector.queueSize()") == 0, page=page)
    context.close()


def test_category_search_ranks_names_before_words_and_codes(browser, live_server, inspector):
    context, page = app_page(browser, live_server, accuracy=8)
    page.wait_for_selector('#category-list [data-code="E0102"]')
    codes = lambda: page.eval_on_selector_all("#category-list [data-code]", "n => n.map((x) => x.dataset.code)")  # noqa: E731
    page.fill("#category-search", "垃圾")
    found = codes()
    assert found[:3] == ["E0152", "E0102", "E0103"] and found.index("E0102") < found.index("C0304"), found
    page.fill("#category-search", "暴露垃圾")
    assert codes()[0] == "E0102"
    page.fill("#category-search", "e0505")
    assert codes() == ["E0505"]
    context.close()


@pytest.mark.parametrize("tiles", ["", "/tiles/{z}/{x}/{y}.png"])
def test_the_placement_map_shows_my_grids_names_and_tiles_only_when_a_setting_names_them(
        browser, live_server, inspector, settings, tiles):
    settings.MAP_TILE_URL, settings.MAP_TILE_ATTRIBUTION = tiles, "市测绘院" if tiles else ""
    context, page = app_page(browser, live_server, accuracy=250)  # a poor fix opens the map
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.wait_for_selector("#place-map .grid-label")
    shots = settings.BASE_DIR / "var" / "screenshots" / "inspector"
    shots.mkdir(parents=True, exist_ok=True)
    page.locator("#map-wrap").screenshot(path=str(shots / f"map-{'tiles' if tiles else 'grids-only'}.png"))
    labels = page.locator("#place-map .grid-label").all_inner_texts()
    assert any("32070600600101" in label and "社区" in label for label in labels), labels
    assert page.locator("#place-map .grid-label").first.is_visible()
    if tiles:
        page.wait_for_selector("#place-map img.leaflet-tile", state="attached")
        assert page.get_attribute("#place-map img.leaflet-tile", "src").startswith("/tiles/")
        assert "市测绘院" in page.inner_text("#place-map .leaflet-control-attribution")
    else:
        assert page.locator("#place-map .leaflet-tile").count() == 0
        assert not [url for url in requested if not url.startswith(live_server.url)]
    context.close()
