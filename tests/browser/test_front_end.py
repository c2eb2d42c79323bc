"""The pages' shared front end in Debian's Chromium (#15): times on the city's clocks on a
phone set to UTC, the workspace readable on a phone, its address column, history with
people's names and labels, linked tickets in the case panel, an error the user can see,
and English in every page, 城管通 included. Screenshots go to var/screenshots/."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from tests.browser.conftest import log_in, log_in_app, wait_for, watched_page
from tests.builders import point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.hotline import services as hotline
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.org.models import Department, Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
CITY = zoneinfo.ZoneInfo("Asia/Shanghai")
# Han characters, CJK punctuation and full-width forms.
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PHONE = {"width": 390, "height": 844}
ADDRESS = "海州区新海街道朝阳东路 18 号东侧人行道（近公交站台）"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def city_time(moment) -> str:
    return moment.astimezone(CITY).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def named(empty_history_after, city, people, settings, tmp_path):
    """The personas with the full names the history should show."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for user, name in ((people.inspector, "张巡查"), (people.dispatcher, "李派遣"), (people.handler, "王处置")):
        Profile.objects.filter(user=user).update(display_name=name)
    return people


@pytest.fixture
def dispatched(named, category):
    case = report_case(named.inspector, category, 0.5, 0.5, description="垃圾桶满溢，周边散落垃圾", address=ADDRESS)
    case = services.file(named.dispatcher, case, version=case.version)
    return services.dispatch(named.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))


def open_page(browser, live_server, username, path, **options):
    page = watched_page(browser, live_server, **options)
    log_in(page, live_server, username, f"pw-{username}", path)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    return page


def test_the_workspace_on_a_phone_set_to_utc_shows_the_citys_times(browser, live_server, dispatched):
    page = open_page(browser, live_server, "handler", "/workspace/", timezone_id="UTC", viewport=PHONE,
                     is_mobile=True, has_touch=True)
    row = page.locator(f'#queue-sections tr[data-id="{dispatched.pk}"]')
    # The deadline to sign as the command centre's clocks show it, not 8 hours off.
    assert city_time(dispatched.sign_due_at) in row.inner_text()
    assert city_time(dispatched.sign_due_at) != dispatched.sign_due_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    # The address column holds the address; the description has its own.
    assert row.locator("td.address").inner_text().strip() == ADDRESS
    assert "垃圾桶满溢" in row.locator("td.description").inner_text()
    # Readable on a phone: no cell is squeezed into a column of single characters.
    lines = page.evaluate("""() => [...document.querySelectorAll('#queue-sections td')].map((td) => {
        const style = getComputedStyle(td);
        const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
        const inner = td.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        return [td.innerText.trim(), Math.round(inner / line)];
    })""")
    assert lines and all(n <= 3 for _text, n in lines), lines
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "workspace-phone-utc-zh")

    # The panel's history: people by name and role, steps by their label; times the city's.
    row.click()
    history = page.locator("#case-panel .timeline")
    history.wait_for()
    text = history.inner_text()
    assert "李派遣" in text and "张巡查" in text
    assert not re.search(r"\b(dispatcher|inspector|handler|file|dispatch|report)\b", text), text
    assert city_time(dispatched.reported_at) in text
    shot(page, "workspace-phone-panel-zh")
    assert page.foreign_requests == []
    page.context.close()


def test_the_case_panel_lists_linked_tickets_and_shows_a_conflict_where_the_user_looks(
        browser, live_server, named, category):
    case = report_case(named.inspector, category, 0.5, 0.5, description="路灯不亮")
    ticket = HotlineTicket.objects.create(
        source="12345", external_id="GD-2026-0001", received_at=timezone.now(), request_type="complaint",
        title="路灯坏了", text="路灯不亮", point=point_in(0.5, 0.5), link_reason={})
    hotline.link(named.dispatcher, ticket, case, version=case.version)
    case.refresh_from_db()

    page = open_page(browser, live_server, "dispatcher", f"/map/?case={case.pk}",
                     viewport={"width": 1280, "height": 560})
    tickets = page.locator("#case-panel .tickets")
    tickets.locator(".ticket-list").wait_for()
    assert "GD-2026-0001" in tickets.inner_text() and tickets.locator("form input[name=ticket]").count() == 1
    assert "[object" not in page.locator("#case-panel").inner_text()

    # Someone else files the case while this dispatcher fills in the reject form, far down.
    page.click('#case-panel button[data-action="reject"]')
    form = page.locator('#case-panel form.step[data-action="reject"]')
    form.locator("select[name=reason_code]").select_option(index=1)
    form.locator("textarea[name=reason]").fill("重复上报")
    form.locator("button[type=submit]").scroll_into_view_if_needed()
    services.file(named.dispatcher, case, version=case.version)
    form.locator("button[type=submit]").click()
    alert = page.locator("#case-panel .conflict")
    alert.wait_for()
    page.wait_for_timeout(400)  # a smooth scroll, if any, has ended
    seen = page.evaluate("""() => {
        const box = document.querySelector('#case-panel .conflict').getBoundingClientRect();
        const panel = document.getElementById('case-panel').getBoundingClientRect();
        // (a pixel of rounding at the edge)
        return box.top >= Math.max(0, panel.top) - 1 && box.bottom <= Math.min(window.innerHeight, panel.bottom) + 1;
    }""")
    assert seen, page.evaluate("""() => [document.querySelector('#case-panel .conflict').getBoundingClientRect().top,
        document.getElementById('case-panel').scrollTop, document.querySelector('#case-panel .conflict').innerText,
        document.querySelector('#case-panel .conflict').parentNode.className]""")
    assert alert.get_attribute("role") == "alert" and alert.inner_text().strip()
    shot(page, "dispatch-panel-conflict-zh")
    assert page.foreign_requests == []
    page.context.close()


def test_english_reaches_the_scripts_of_every_page(browser, live_server, dispatched):
    page = open_page(browser, live_server, "handler", "/workspace/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # the language switch in the header
    page.wait_for_selector("body[data-ready='1']")
    queue = page.locator("#queue-sections")
    assert "To sign (within 2 working hours)" in queue.inner_text()
    headings = page.locator("#queue-sections th").all_inner_texts()
    assert headings[:5] == ["Case", "Category", "State", "To sign by", "Address"]
    page.locator(f'#queue-sections tr[data-id="{dispatched.pk}"]').click()
    page.locator("#case-panel .timeline").wait_for()
    # (The steps' own labels, "Sign (签收)", carry the Chinese term on purpose: cases/states.py.)
    labels = page.locator("#case-panel dt, #case-panel h3, #case-panel .timeline .tag").all_inner_texts()
    assert labels and [w for w in labels if CHINESE.search(w)] == [], labels
    shot(page, "workspace-panel-en")
    page.context.close()


@pytest.mark.parametrize(("locale", "tabs"), [("en-US", ["Report", "Outbox", "My reports", "Tasks"]),
                                              ("zh-CN", ["上报", "待发送", "我的上报", "任务"])])
def test_chengguantong_speaks_the_phones_language(browser, live_server, named, locale, tabs):
    named.inspector.set_password("patrol-2026")
    named.inspector.save()
    point = point_in(0.5, 0.5)
    context = browser.new_context(locale=locale, timezone_id="UTC", viewport={"width": 360, "height": 740},
                                  geolocation={"longitude": point.x, "latitude": point.y, "accuracy": 8},
                                  permissions=["geolocation"], service_workers="allow")
    page = context.new_page()
    page.goto(f"{live_server.url}/m/")
    page.wait_for_selector("#login-button")
    english = locale == "en-US"
    assert (page.inner_text("#login-button") == "Sign in") is english
    log_in_app(page, live_server, "inspector", "patrol-2026")
    assert all(w in page.inner_text(".tabbar") for w in tabs)
    assert wait_for(lambda: "8" in page.inner_text("#accuracy"), page=page)
    chrome = " ".join(page.locator(".tabbar, .topbar button, #report-form legend, #report-form > button, "
                                   "#toggle-map, #accuracy").all_inner_texts())
    # The tab icons (＋ ⇅) are symbols, not words: only Han characters count.
    assert (re.findall(r"[\u4e00-\u9fff]", chrome) == []) is english, chrome
    shot(page, f"chengguantong-{locale}")
    if english:
        # Offline, the service worker's copy of the shell brings its catalogue too.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_selector("#tab-new")
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#tab-new")
        assert page.inner_text("#tab-queue").split()[1] == "Outbox"
        assert wait_for(lambda: "Longitude" in page.inner_text("#accuracy"), page=page)
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_runs_its_script_in_both_languages(browser, live_server, dispatched, language):
    page = watched_page(browser, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, "root", "pw-root")
    for path, ready in (("/map/", "body[data-ready='1']"), ("/kpi/", "#valid-rate-card[aria-busy='false']"),
                        ("/hotline/review/", "table.review"), ("/workspace/", "body[data-ready='1']")):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready, timeout=20000)
        text = page.inner_text("main")
        assert "[object" not in text and "undefined" not in text, path
        if language == "en":
            assert not re.search(r"[\u4e00-\u9fff]", page.inner_text("h1")), path
        shot(page, f"page{path.rstrip('/').replace('/', '-')}-{language}")
    assert errors == [] and page.foreign_requests == []
    page.context.close()
