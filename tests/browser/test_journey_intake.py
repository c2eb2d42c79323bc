"""The 12345 intake clerk's day in Debian's Chromium (#15), in Chinese and in English: upload
the morning's file and read its summary; place a ticket on the map, skip one, forward one
that is not city management, set one aside that cannot be placed; confirm a category with
one click in the review queue; find a consultation by its number, answer the citizen and
record the callback. Every step offered succeeds, every error shows where the user looks,
in the user's language; no `[object`, no English left in the Chinese pages and no Chinese
of the pages' own in the English ones. Screenshots: var/screenshots/intake/."""

import re

import pytest
from django.conf import settings

from tests.browser.conftest import log_in, wait_for, watched_page
from tests.browser.test_hotline_intake import intake, task_worker  # noqa: F401 (fixtures)
from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import Area
from urbanmgmt.hotline.bureaus import load_bureaus
from urbanmgmt.hotline.models import Bureau, HotlineTicket, TicketEvent, TicketState
from urbanmgmt.hotline.suggest import invalidate_suggester
from urbanmgmt.org.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "intake"
HAN = re.compile(r"[\u4e00-\u9fff]")
# The Chinese term beside its English name is the house's convention ("Forward (转办)").
GLOSS = re.compile(r"[（(][\u4e00-\u9fff/、]+[)）]")
# Words that are no one's language: file formats, the product, the map library's credit.
NEUTRAL = {"urbanmgmt", "CSV", "XLSX", "JSON", "YAML", "UTF", "GBK", "Leaflet", "WGS84", "English"}
VAGUE = "市民说在他家楼下那条路"


def day_file() -> bytes:
    return csv_bytes([
        row("J1", text="小区门口暴露垃圾没人清理，味道很大", col=1.5, cell=1.5),
        row("J2", address=f"{VAGUE}一号", at="2026-03-02 08:10:00"),
        row("J3", address=f"{VAGUE}二号", at="2026-03-02 08:20:00"),
        row("J4", address=f"{VAGUE}三号", at="2026-03-02 08:30:00"),
        row("J5", kind="咨询", text="请问大件垃圾怎么预约上门清运？"),
        row("J6", text="门口这块有问题，影响大家生活。", col=2.5, cell=1.5),
    ], "gb18030")


def data_strings() -> list[str]:
    """What the citizens, the catalogue and the people wrote: Chinese in either language."""
    words = set()
    for t in HotlineTicket.objects.all():
        words |= {t.title, t.text, t.address, t.place_match, t.forward_reason or "", t.answer, t.contact_name}
        words |= {s.get("name", "") for s in t.suggestions or []} | {w for s in t.suggestions or [] for w in s["words"]}
    words |= set(Category.objects.values_list("name_zh", flat=True))  # bureaus have their English names
    words |= set(Area.objects.values_list("name", flat=True)) | set(Profile.objects.values_list("display_name", flat=True))
    words |= set(TicketEvent.objects.values_list("note", flat=True)) | {"morning.csv", "hz12345"}
    # Numbers and codes: ticket numbers, case codes, category and bureau codes.
    words |= set(HotlineTicket.objects.values_list("external_id", flat=True))
    words |= {t.case.code for t in HotlineTicket.objects.exclude(case=None).select_related("case")}
    words |= set(Category.objects.values_list("service_code", flat=True))
    return sorted((w for w in words if w), key=len, reverse=True)


def check(page, language: str, name: str) -> None:
    """The page's own words are in `language`; then a screenshot."""
    text = page.inner_text("main")
    assert "[object" not in text and "undefined" not in text, (name, text)
    own = text
    for word in data_strings():
        own = own.replace(word, " ")
    if language == "en":
        leftover = HAN.findall(GLOSS.sub(" ", own))
        assert leftover == [], (name, leftover, own)
    else:
        english = [w for w in re.findall(r"[A-Za-z]{3,}", own) if w not in NEUTRAL]
        assert english == [], (name, english, own)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)


def in_view(page, selector: str) -> bool:
    """The (first visible) element is wholly inside the viewport, once any scrolling ended."""
    def inside() -> bool:
        box = page.locator(selector).bounding_box()
        size = page.viewport_size
        # (Scrolled to the bottom edge, a box can end a fraction of a pixel past it.)
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1 and box["height"] > 0
    return wait_for(inside, seconds=2, page=page)


def ticket(number: str) -> HotlineTicket:
    return HotlineTicket.objects.get(source="hz12345", external_id=number)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_clerks_day(browser, live_server, intake, task_worker, language):  # noqa: F811
    load_bureaus()
    invalidate_suggester()
    Profile.objects.filter(user=intake.dispatcher).update(display_name="赵受理")
    english = language == "en"
    page = watched_page(browser, live_server, viewport={"width": 1280, "height": 800})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, "dispatcher", "pw-dispatcher", "/hotline/import/")

    # The morning's file and its summary: a case only reported is not called filed.
    page.set_input_files("input[name=file]", files=[{"name": "morning.csv", "mimeType": "text/csv",
                                                     "buffer": day_file()}])
    page.fill("input[name=source]", "hz12345")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-summary:not([hidden])", timeout=60000)
    summary = page.inner_text("#import-summary")
    assert ("Cases reported (to be filed)" if english else "新上报案件（待立案）") in summary
    assert "新立案件" not in summary and page.text_content("#import-summary [data-key=rejected]") == "0"
    assert ticket("J5").state == TicketState.TO_ANSWER  # a question with no place is not placed
    check(page, language, "01-summary")

    # The placement queue, oldest first: skip J2, place J3, forward J4, set J2 aside.
    page.goto(f"{live_server.url}/hotline/unplaced/?order=oldest")
    page.wait_for_selector("#place-map[data-grids]")
    assert page.locator("#unplaced-list tr.queue-row").count() == 3
    assert "J2" in page.inner_text("#place-ticket")
    check(page, language, "02-unplaced")
    page.click("#place-skip")
    page.wait_for_selector("#place-map[data-grids]")
    assert "J3" in page.inner_text("#place-ticket") and ticket("J2").state == TicketState.UNPLACED
    page.locator("#place-map").scroll_into_view_if_needed()
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.click("#place-confirm")
    assert wait_for(lambda: ticket("J3").state == TicketState.OPEN, page=page)
    page.locator("#place-ticket", has_text="J4").wait_for()
    bureau = Bureau.objects.filter(active=True).order_by("code").first()
    page.select_option("#forward-form select[name=bureau]", bureau.code)
    page.fill("#forward-form input[name=reason]", "邻里噪音，归派出所")
    check(page, language, "03-not-ours")
    page.click("#forward-form button[type=submit]")
    assert wait_for(lambda: ticket("J4").state == TicketState.FORWARDED, page=page)
    page.locator("#place-ticket", has_text="J2").wait_for()
    # A reason of blanks passes the browser's check; the server's refusal shows by the buttons.
    page.fill("#set-aside-form input[name=reason]", "   ")
    page.click("#set-aside-form button[type=submit]")
    page.wait_for_selector("#place-error:not([hidden])")
    refusal = page.inner_text("#place-error")
    assert in_view(page, "#place-error") and (bool(HAN.search(refusal)) is not english), refusal
    check(page, language, "04-set-aside-refused")
    page.fill("#set-aside-form input[name=reason]", "来电人说不清位置，回拨无人接听")
    page.click("#set-aside-form button[type=submit]")
    page.wait_for_selector("#place-empty")
    assert ticket("J2").state == TicketState.SET_ASIDE
    assert ticket("J4").forward_reason == "邻里噪音，归派出所" and ticket("J4").bureau == bureau

    # The review queue: the first suggestion, one click.
    page.goto(f"{live_server.url}/hotline/review/")
    line = page.locator(f"tr.review-row[data-ticket='{ticket('J6').pk}']")
    choice = line.locator("button.choice").first
    code = choice.get_attribute("data-code")
    check(page, language, "05-review")
    choice.click()
    page.wait_for_selector(f"tr.review-row[data-ticket='{ticket('J6').pk}'][data-done='1']")
    assert not ticket("J6").needs_review and code in (ticket("J6").category.service_code, ticket("J6").bureau_id and
                                                       ticket("J6").bureau.code)

    # Find the consultation by its number; answer it and record the callback.
    page.fill("#find-number", "J5")
    page.press("#find-number", "Enter")
    page.wait_for_selector("#answer-form")
    assert page.url.endswith(f"/hotline/tickets/{ticket('J5').pk}/")
    page.click("#answer-form button[type=submit]")  # nothing written: refused, in view
    page.wait_for_selector("#answer-form .error:not([hidden])")
    assert in_view(page, "#answer-form .error")
    assert bool(HAN.search(page.inner_text("#answer-form .error"))) is not english
    page.fill("#answer-form textarea[name=answer]", "请拨打 12319 预约，次日上门清运。")
    page.click("#answer-form button[type=submit]")
    assert wait_for(lambda: ticket("J5").state == TicketState.ANSWERED, page=page)
    page.locator("#ticket-history", has_text="请拨打 12319").wait_for()  # the page came back
    page.click("#callback-form button[type=submit]")  # no result chosen: said where the user looks
    page.wait_for_selector("#callback-form .error:not([hidden])")
    assert in_view(page, "#callback-form .error")
    page.check("#callback-form input[value=basic]")
    page.select_option("#callback-form select[name=resolved]", "true")
    page.fill("#callback-form input[name=note]", "希望能更快上门")
    page.click("#callback-form button[type=submit]")
    assert wait_for(lambda: ticket("J5").satisfaction == "basic", page=page)
    page.locator("#ticket-history", has_text="希望能更快上门").wait_for()
    history = page.inner_text("#ticket-history")
    assert "请拨打 12319" in history and ("Basically satisfied" if english else "基本满意") in history
    check(page, language, "06-answer-callback")

    # The set-aside ticket is in its list and its history says why; a case code finds its ticket.
    page.goto(f"{live_server.url}/hotline/tickets/?state=set_aside")
    assert "J2" in page.inner_text("#ticket-list")
    page.click("#ticket-list a")
    assert "来电人说不清位置" in page.inner_text("#ticket-history")
    check(page, language, "07-set-aside-history")
    page.fill("#find-number", ticket("J1").case.code)
    page.press("#find-number", "Enter")
    page.wait_for_selector("#ticket-history")
    assert page.url.endswith(f"/hotline/tickets/{ticket('J1').pk}/")
    assert errors == [] and page.foreign_requests == []
    page.context.close()
