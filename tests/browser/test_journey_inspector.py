"""The inspector's day in 城管通 on a phone (issue #15), in Chinese and in English.

Take and pick photos (a file that is no photo is refused when picked), find a category by
searching, learn that the problem is already reported (已有人上报？) and add the photos to
that case, report a new problem offline and see it sent once online, receive a check task
(the badge), open it with the report's and the department's photos, confirm the check, and
open my report. The service worker's own words follow the phone's language too. On every
screen: no `[object`, no English left in the Chinese UI and no UI Chinese in the English one,
every error inside the viewport. Screenshots under var/screenshots/inspector/ (a phone on UTC:
every time shown must be the city's)."""

import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.conftest import log_in_app, wait_for
from tests.builders import point_in, report_case
from tests.photos import jpeg, now_local
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.org.models import Department, Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "inspector"
CITY = zoneinfo.ZoneInfo("Asia/Shanghai")
HAN = re.compile(r"[\u4e00-\u9fff]")
# Words that are the same in a Chinese UI: formats, units, the platform's codes.
LATIN_OK = {"GPS", "JPEG", "PNG", "WebP", "MB", "km"}
BUS = Path(settings.BASE_DIR) / ".venv/lib/python3.11/site-packages/ultralytics/assets/bus.jpg"
WORDS = {
    "zh-CN": {"search": "垃圾", "refused": "不是照片",
              "tabs": ["上报", "待发送", "我的上报", "任务"], "history": "历史"},
    "en-US": {"search": "exposed", "refused": "is not a photo",
              "tabs": ["Report", "Outbox", "My reports", "Tasks"], "history": "History"},
}


def evidence(kind, data):
    return [services.Evidence(photo=read_photo(data, "p.jpg"), kind=kind)]


@pytest.fixture
def day(empty_history_after, city, people, category, settings, tmp_path):
    """An inspector with a password, and an open 12345 case 10 m from where they stand."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    people.inspector.set_password("patrol-2026")
    people.inspector.save()
    Profile.objects.filter(user=people.inspector).update(display_name="张巡查")
    Profile.objects.filter(user=people.dispatcher).update(display_name="李派遣")
    earlier = report_case(people.dispatcher, category, 0.6, 0.5, channel="hotline", description="市民来电：路边垃圾堆放",
                          evidence=evidence("before", jpeg(1200, 900)))
    return people, earlier


def sent_for_check(people, category):
    """The inspector's report 200 m away, handled by the sanitation office (已清运, with a photo)
    and sent back to the inspector to check on site."""
    checked = report_case(people.inspector, category, 2.5, 0.5, evidence=evidence("before", jpeg(1000, 750)))
    checked = services.file(people.dispatcher, checked, version=checked.version)
    checked = services.dispatch(people.dispatcher, checked, version=checked.version,
                                department=Department.objects.get(code="HZ-HWC"))
    checked = services.handle(people.handler, checked, version=checked.version, reply="已清运",
                              evidence=evidence("after", jpeg(900, 700)))
    return services.send_for_check(people.dispatcher, checked, version=checked.version, checker=people.inspector)


def phone(browser, live_server, locale):
    point = point_in(0.5, 0.5)
    context = browser.new_context(
        locale=locale, timezone_id="UTC", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2, geolocation={"longitude": point.x, "latitude": point.y, "accuracy": 8},
        permissions=["geolocation"], service_workers="allow")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    log_in_app(page, live_server, "inspector", "patrol-2026")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("#tab-new")
    return context, page


def look(page, name, locale, data=()):
    """The screen as a person sees it: saved, and checked for leftovers of either language."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{locale}.png"))
    text = page.evaluate("document.body.innerText")
    assert "[object" not in text and "undefined" not in text and "null" not in text.split(), name
    for item in data:  # what people wrote, and the places' names, are not the UI's words
        text = text.replace(item, " ")
    text = re.sub(r"\b[A-Z]\d{4}\b|\b\d{4}-\d{6}\b|\b\d{9,}\b|[\w-]+\.(jpg|png|txt)", " ", text)
    if locale == "zh-CN":
        english = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in LATIN_OK]
        assert english == [], (name, english)
    else:
        assert HAN.findall(text) == [], (name, HAN.findall(text))
    for message in page.locator(".message.error:visible, .toast.error:visible").all():
        box = message.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 844, (name, message.inner_text())


def loaded(page, selector) -> bool:
    return page.evaluate(f"""[...document.querySelectorAll({selector!r})].length > 0
        && [...document.querySelectorAll({selector!r})].every((img) => img.complete && img.naturalWidth > 0)""")


def choose(page, search, code):
    page.fill("#category-search", search)
    page.click(f'#category-list [data-code="{code}"]')


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_inspectors_day(browser, live_server, day, category, tmp_path, locale):
    people, earlier = day
    words = WORDS[locale]
    data = ["张巡查", "李派遣", "市民来电：路边垃圾堆放", "新海001社区", "新海街道", "路边又堆了", "东侧绿化带垃圾",
            category.name_zh, earlier.code]
    note = tmp_path / "notes.txt"
    note.write_text("not a photo at all", encoding="utf-8")
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(jpeg(4000, 3000, gps=(point_in(0.5, 0.5).x, point_in(0.5, 0.5).y), taken=now_local()))
    context, page = phone(browser, live_server, locale)
    assert all(w in page.inner_text(".tabbar") for w in words["tabs"])

    # A file that is no photo is refused at once, in the phone's language, where it is seen.
    page.set_input_files("#photo-gallery", str(note))
    page.wait_for_selector("#photo-message:visible")
    assert words["refused"] in page.inner_text("#photo-message")
    assert page.locator("#photo-thumbs .thumb").count() == 0
    look(page, "01-file-refused", locale, data)

    # The camera's photo and one from the gallery; a category found by searching.
    page.set_input_files("#photo-input", str(camera))
    page.set_input_files("#photo-gallery", str(BUS))
    assert wait_for(lambda: page.evaluate("document.querySelectorAll('#photo-thumbs .thumb').length === 2"), page=page)
    assert page.is_hidden("#photo-message")
    page.fill("#category-search", words["search"])
    codes = page.eval_on_selector_all("#category-list [data-code]", "nodes => nodes.map((n) => n.dataset.code)")
    assert codes[0] == "E0102" if locale == "en-US" else codes.index("E0102") < codes.index("C0304")
    look(page, "02-category-search", locale, data)
    page.click('#category-list [data-code="E0102"]')
    page.fill("#description", "路边又堆了")
    page.wait_for_selector("#submit-report:not([disabled])")

    # 已有人上报？ The open case 10 m away, with its photo: the photos go to it instead.
    page.click("#submit-report")
    page.wait_for_selector(f'#dup-list [data-case-id="{earlier.pk}"]')
    assert wait_for(lambda: loaded(page, "#dup-list img"), 10, page=page)
    look(page, "03-already-reported", locale, data)
    page.click(f'#dup-list [data-case-id="{earlier.pk}"] [data-action="add-to-case"]')
    assert wait_for(lambda: CaseEvent.objects.filter(case=earlier, action="corroborate").exists(), 30, page=page)
    assert Case.objects.count() == 1 and CaseMedia.objects.filter(case=earlier).count() == 3
    assert CaseEvent.objects.get(case=earlier, action="corroborate").reason == "路边又堆了"

    # A new problem, offline: kept on the phone, sent once online, once.
    context.set_offline(True)
    page.set_input_files("#photo-input", str(camera))
    page.wait_for_selector("#photo-thumbs .thumb")
    choose(page, words["search"], "E0102")
    page.fill("#description", "东侧绿化带垃圾")
    page.wait_for_selector("#submit-report:not([disabled])")
    page.click("#submit-report")
    assert wait_for(lambda: page.evaluate("window.collector.queueSize()") == 1, page=page)
    page.click("#tab-queue")
    look(page, "04-outbox-offline", locale, data)
    # The service worker's own answer, offline with nothing cached, is in the phone's language too.
    detail = page.evaluate("fetch('/api/v1/categories/?nothing=cached').then((r) => r.json()).then((d) => d.detail)")
    assert ("离线" in detail) if locale == "zh-CN" else (detail.startswith("Offline") and not HAN.search(detail))
    context.set_offline(False)
    page.evaluate("window.collector.flush()")
    assert wait_for(lambda: Case.objects.count() == 2, 30, page=page)
    new = Case.objects.exclude(pk=earlier.pk).get()
    assert new.description == "东侧绿化带垃圾" and new.media.count() == 1

    # A check task arrives: the badge counts it when the app next asks.
    checked = sent_for_check(people, category)
    page.evaluate("window.collector.refreshCounts()")
    assert wait_for(lambda: page.evaluate("document.querySelector('#tasks-count').textContent === '1'"), page=page)
    assert page.locator("#tasks-count").is_visible()
    look(page, "05-task-badge", locale, data + [checked.code])

    # The check sheet shows what was reported and what the department sent; a result asks to confirm.
    page.click("#tab-tasks")
    page.click('#task-list [data-task-id]')
    page.wait_for_selector('#task-case [data-kind="after"] img')
    assert wait_for(lambda: loaded(page, '#task-case [data-kind="before"] img')
                    and loaded(page, '#task-case [data-kind="after"] img'), 10, page=page)
    look(page, "06-check-sheet", locale, data + [checked.code, "已清运"])
    page.set_input_files("#task-photo", str(camera))
    page.click('#task-results [data-result="fixed"]')
    page.wait_for_selector("#task-confirm:visible")
    assert Case.objects.get(pk=checked.pk).state == "checking"  # nothing sent before the confirmation
    look(page, "07-confirm", locale, data + [checked.code, "已清运"])
    page.click("#task-confirm-yes")
    assert wait_for(lambda: Case.objects.get(pk=checked.pk).state == "checked", 30, page=page)
    assert wait_for(lambda: page.evaluate("document.querySelector('#tasks-count').classList.contains('is-zero')"), page=page)

    # My report opens: its state, photo and history on the city's clock.
    page.click("#tab-mine")
    page.click(f'#my-reports [data-id="{new.pk}"]')
    page.wait_for_selector('[data-testid="report-history"] li')
    assert wait_for(lambda: loaded(page, "#report-detail img"), 10, page=page)
    # The report's own time (the phone's, in its header); its history has the server's moments,
    # which may fall in the next minute.
    shown = new.reported_at.astimezone(CITY).strftime("%m-%d %H:%M")
    assert shown in page.inner_text("#report-detail")
    assert words["history"] in page.inner_text("#report-detail")
    look(page, "08-my-report", locale, data + [checked.code, new.code])

    # The report the inspector checked: how it ended, the department's reply and photo and the check's.
    page.click("#report-close")
    page.click(f'#my-reports [data-id="{checked.pk}"]')
    page.wait_for_selector('#report-detail [data-kind="check"] img')
    assert wait_for(lambda: loaded(page, '#report-detail [data-kind="after"] img')
                    and loaded(page, '#report-detail [data-kind="check"] img'), 10, page=page)
    assert "已清运" in page.inner_text("#report-detail [data-field=reply]")
    look(page, "09-my-checked-report", locale, data + [checked.code, "已清运", people.handler.username])
    assert page.errors == [] and CaseEvent.objects.filter(action="report").count() == 3
    context.close()
