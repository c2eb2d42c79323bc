"""The dispatcher's day on /map/ as a person clicks it (#15), in Chinese and in English: find
a reported case by its number, see its linked 12345 tickets and link one more by its number,
立案 with the category picker, dispatch, lose a race to a colleague and read why where the
form is, approve a department's extension. On every screen: no `[object`, no untranslated
English in the Chinese UI and no Chinese of the UI's own in the English one, every offered
step succeeds, every error is in the viewport. Screenshots: var/screenshots/dispatcher/."""

import re

import pytest
from django.utils import timezone

from tests.browser.conftest import shot, signed_in_page
from tests.builders import point_in, report_case
from tests.cases.test_step_contract import long_dispatched
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, State
from urbanmgmt.hotline import services as hotline
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.org.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u4e00-\u9fff]")
# What the Chinese UI may write in Latin letters: the product's and the map library's names,
# file formats, units, a setting's name, EXIF, the language switch, and codes (HZ-HWC, GD-…).
LATIN_ALLOWED = re.compile(r"urbanmgmt|Leaflet|GeoPackage|Shapefile|GeoJSON|CSV|EXIF|MAP_TILE_URL|English|\bkm\b|"
                           r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b|\b[A-Z]\d{4}\b")
# The UI's own words: headings, labels, buttons, tags, messages (not the cases' data).
CHROME = ("h1, h2, h3, h4, dt, th, legend, button, label > span, .tag, .notice, .form-status, [role=alert], "
          ".leaflet-control-layers label, .map-legend li, .muted")
# The steps' labels carry their Chinese term on purpose ("Sign (签收)", urbanmgmt/cases/steps.py).
TERM = re.compile(r"\s*[(（][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]")


def check_screen(page, language: str, data: tuple[str, ...] = ()) -> None:
    """What a person sees is whole and in their language. `data`: texts of the cases
    themselves (names, addresses, descriptions) that stay as they were written."""
    body = page.inner_text("body")
    assert "[object" not in body and "undefined" not in body and "NaN" not in body, body
    chrome = page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter((node) => node.offsetParent !== null).map((node) => node.innerText.trim()).filter(Boolean)""", CHROME)
    for item in data:
        chrome = [text.replace(item, "") for text in chrome]
    if language == "en":
        leftover = [t for t in chrome if HAN.search(TERM.sub("", t))]
        assert leftover == [], leftover
    else:
        leftover = [t for t in chrome if re.search(r"[A-Za-z]{3,}", LATIN_ALLOWED.sub("", t))]
        assert leftover == [], leftover
    errors_in_view(page)


def errors_in_view(page) -> None:
    """Every error shown (role=alert) lies within the window, and within its scrolled panel."""
    outside = page.evaluate("""() => [...document.querySelectorAll('[role=alert]')]
        .filter((node) => node.offsetParent !== null && node.innerText.trim())
        .filter((node) => {
            const box = node.getBoundingClientRect();
            const panel = node.closest('.case-panel');
            const frame = panel ? panel.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
            return box.top < Math.max(0, frame.top) - 1 || box.bottom > Math.min(window.innerHeight, frame.bottom) + 1;
        }).map((node) => node.innerText)""")
    assert outside == [], outside


def offered(page) -> list[str]:
    return page.locator("#case-panel .actions button[data-action]").evaluate_all("(bs) => bs.map((b) => b.dataset.action)")


def take(page, action: str, fill=None) -> None:
    """Click an offered step, fill its form, send it, and see it saved."""
    assert action in offered(page), (action, offered(page))
    page.click(f'#case-panel .actions button[data-action="{action}"]')
    form = page.locator(f'#case-panel form.step[data-action="{action}"]')
    form.wait_for()
    if fill:
        fill(form)
    page.evaluate("document.querySelector('#case-panel .panel-body').dataset.before = '1'")
    form.locator("button[type=submit]").click()
    # Saved: the panel is drawn anew from the server's answer, with a notice.
    page.locator("#case-panel .panel-body:not([data-before]) .notice[role=status]").wait_for()


def open_as(browser, live_server, username: str, language: str, path: str, **options):
    page = signed_in_page(browser, live_server, username, language, path, **options)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    return page


@pytest.fixture
def named(empty_history_after, city, people, settings, tmp_path):
    """The personas with the names the history should show."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for user, name in ((people.inspector, "张巡查"), (people.dispatcher, "李派遣"), (people.handler, "王处置")):
        Profile.objects.filter(user=user).update(display_name=name)
    return people


def ticket(number: str, title: str) -> HotlineTicket:
    return HotlineTicket.objects.create(source="12345", external_id=number, received_at=timezone.now(),
                                        request_type="complaint", title=title, text=title, point=point_in(0.5, 0.5),
                                        link_reason={})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dispatchers_day(browser, live_server, named, category, language):
    people = named
    case = report_case(people.inspector, category, 0.5, 0.5, description="垃圾桶满溢，周边散落垃圾",
                       address="朝阳东路 18 号东侧人行道")
    hotline.link(people.dispatcher, ticket("GD-2026-0101", "路边垃圾没人收"), case, version=case.version)
    ticket("GD-2026-0102", "垃圾桶满了")
    other = report_case(people.inspector, category, 2.5, 1.5, description="垃圾堆放")
    asked = long_dispatched(people, category)
    asked = services.request_extension(people.handler, asked, version=asked.version, days=1, reason="需采购配件")
    data = ("垃圾桶满溢，周边散落垃圾", "朝阳东路 18 号东侧人行道", "路边垃圾没人收", "垃圾桶满了", "垃圾堆放",
            "需采购配件", "李派遣", "张巡查", "王处置")

    page = open_as(browser, live_server, "dispatcher", language, "/map/")
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "01-map")

    # Find the reported case by its number; the map comes to it.
    page.fill("#find-number", case.code)
    page.press("#find-number", "Enter")
    page.wait_for_function("(code) => document.querySelector('#panel-title')?.innerText === code", arg=case.code)
    tickets = page.locator("#case-panel .tickets")
    tickets.locator(".ticket-list").wait_for()
    assert "GD-2026-0101" in tickets.inner_text()
    page.wait_for_function("""([lat, lon]) => { const m = window.UM_LAYERS.map;
        return m.getZoom() >= 17 && m.getBounds().contains([lat, lon]); }""", arg=[case.point.y, case.point.x])
    assert offered(page) == ["file", "reject", "request_verification"]
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "02-found-by-number")

    # Link the citizen's second call by its ticket number.
    tickets.locator("input[name=ticket]").fill("GD-2026-0102")
    tickets.locator("form button[type=submit]").click()
    page.wait_for_function("() => document.querySelectorAll('#case-panel .ticket-list li').length === 2")
    assert HotlineTicket.objects.get(external_id="GD-2026-0102").case_id == case.pk
    assert page.locator('#case-panel dd[data-field="tickets"]').inner_text() == "2"

    # The reject form names its two fields apart.
    page.click('#case-panel .actions button[data-action="reject"]')
    labels = page.locator('#case-panel form.step[data-action="reject"] label > span').all_inner_texts()
    assert len(labels) == 2 and labels[0] != labels[1], labels
    page.click('#case-panel form.step[data-action="reject"] button[type=button]')  # cancel

    # 立案: the category picked by typing its code, from a list grouped by major class.
    def pick_category(form):
        assert form.locator("select[name=category] optgroup").count() > 5
        form.locator("input[name=category_search]").fill("垃圾" if language == "zh-hans" else "refuse")
        assert 1 < form.locator("select[name=category] option[value]:not([value=''])").count() < 20
        form.scroll_into_view_if_needed()
        shot(page, "dispatcher", language, "03-category-picker")
        form.locator("input[name=category_search]").fill("E0102")
        assert form.locator("select[name=category] option[value]:not([value=''])").count() == 1
    take(page, "file", pick_category)
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "04-filed")
    assert Case.objects.get(pk=case.pk).state == State.FILED and "dispatch" in offered(page)

    # Dispatch to the department the register suggests (already chosen).
    def suggested(form):
        assert form.locator("select[name=department]").input_value() == "HZ-HWC"
    take(page, "dispatch", suggested)
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED
    assert "dispatch" not in offered(page)
    # The catalogue's and the register's names in the page's language.
    department = page.locator('#case-panel dd[data-field="department"]').inner_text()
    assert department == ("Haizhou Sanitation Office" if language == "en" else "海州区环境卫生管理处")
    assert page.locator("#case-panel .suggested").inner_text() == ""  # no second opinion once dispatched
    chinese = bool(HAN.search(page.locator('#case-panel dd[data-field="category"]').inner_text()))
    assert chinese == (language != "en")
    history = page.locator("#case-panel .timeline").inner_text()
    assert "李派遣" in history and "张巡查" in history
    assert not re.search(r"\b(dispatcher|inspector|file|dispatch|report)\b", history), history
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "05-dispatched")

    # A colleague files the other case while this dispatcher writes a rejection: a conflict,
    # said next to the form, in view.
    page.fill("#find-number", other.code)
    page.press("#find-number", "Enter")
    page.wait_for_function("(code) => document.querySelector('#panel-title')?.innerText === code", arg=other.code)
    page.click('#case-panel .actions button[data-action="reject"]')
    form = page.locator('#case-panel form.step[data-action="reject"]')
    form.locator("select[name=reason_code]").select_option(index=1)
    form.locator("textarea[name=reason]").fill("重复上报" if language == "zh-hans" else "Reported twice")
    services.file(people.dispatcher, other, version=other.version)
    form.locator("button[type=submit]").click()
    alert = page.locator("#case-panel .conflict[role=alert]")
    alert.wait_for()
    page.wait_for_timeout(300)
    errors_in_view(page)
    assert alert.is_visible() and alert.inner_text().strip()
    check_screen(page, language, data + ("Reported twice", "重复上报"))
    shot(page, "dispatcher", language, "06-conflict")
    alert.locator("button").click()  # load the latest version: now filed, so 立案 is no longer offered
    page.locator('#case-panel .actions button[data-action="dispatch"]').wait_for()
    assert "file" not in offered(page) and "dispatch" in offered(page)

    # The department asked for more time: approve it; the deadline moves, the request is gone.
    page.goto(f"{live_server.url}/map/?case={asked.code}")
    page.wait_for_function("(code) => document.querySelector('#panel-title')?.innerText === code", arg=asked.code)
    assert page.locator('#case-panel dd[data-field="extension"]').inner_text().strip()
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "07-extension-asked")
    take(page, "approve_extension")
    fresh = Case.objects.get(pk=asked.pk)
    assert fresh.due_at == asked.extension_requested_until and fresh.extension_requested_until is None
    assert not {"approve_extension", "deny_extension"} & set(offered(page))
    assert page.locator('#case-panel dd[data-field="original-deadline"]').count() == 1
    check_screen(page, language, data)
    shot(page, "dispatcher", language, "08-extension-approved")
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()
