"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

import faulthandler
import os
import shutil
import time
from urllib.parse import quote

import pytest
from django.conf import settings as dj_settings

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a closed network and a root user (as in CI): no sandbox, no background traffic.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; make test does it)")
    # Playwright's sync API keeps an event loop on this thread; the test's own database work
    # is synchronous and on this thread only, which Django allows with this switch.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        LAUNCHED.append(browser)
        yield browser
        LAUNCHED.clear()
        browser.close()


LAUNCHED = []  # the session's browser, once a test has asked for it


@pytest.fixture(autouse=True)
def pages_closed_after_each_test():
    """Every page a test opened is closed when it ends, passed or failed: a dispatch map left
    open keeps asking the live server for changes (refused once its user is gone) and takes
    the machine's time from the tests after it."""
    yield
    for browser in LAUNCHED:
        for context in browser.contexts:
            context.close()


def shots_dir(journey: str):
    folder = dj_settings.BASE_DIR / "var" / "screenshots" / journey
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page, journey: str, language: str, name: str, **options) -> None:
    """What the page shows, kept as var/screenshots/<journey>/<language>-<name>.png to be looked
    at: the whole page unless `full_page=False` (the screen as seen); other options are
    Playwright's."""
    options.setdefault("full_page", True)
    page.screenshot(path=str(shots_dir(journey) / f"{language}-{name}.png"), **options)


def watched_page(browser, live_server, **options):
    """A page in a new context that records (and refuses) every request leaving the live server."""
    settings = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 1280, "height": 900}}
    context = browser.new_context(**{**settings, **options})
    page = context.new_page()
    page.foreign_requests = []

    def watch(route):
        url = route.request.url
        if url.startswith(live_server.url) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            page.foreign_requests.append(url)
            route.abort()

    page.route("**/*", watch)
    return page


def log_in(page, live_server, username, password, next_path=""):
    page.goto(f"{live_server.url}/accounts/login/" + (f"?next={quote(next_path, safe='/')}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def signed_in_page(browser, live_server, username: str, language: str, path: str, **options):
    """A watched page (its script errors in `page.errors`) signed in as `username` (password
    pw-<username>) in `language`, sent on to `path`; the caller waits for what it needs."""
    page = watched_page(browser, live_server, **options)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.context.add_cookies([{"name": dj_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, username, f"pw-{username}", path)
    return page


def log_in_app(page, live_server, username, password):
    """Sign in to 城管通 (/m/) as an inspector."""
    page.goto(f"{live_server.url}/m/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_selector("#tab-new")


@pytest.fixture
def page(browser, live_server):
    """A fresh page that records every request leaving the live server."""
    page = watched_page(browser, live_server)
    yield page
    page.context.close()


def wait_for(predicate, seconds=20.0, page=None) -> bool:
    """Poll `predicate` (a database check, say) until it holds or `seconds` pass.

    Give the `page` whose request is awaited: its requests pass through `watch` (page.route),
    a handler that runs on this thread only while Playwright is given the chance, so a plain
    sleep here would hold the request back and the server would never see it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if page is not None:
            page.wait_for_timeout(200)
        else:
            time.sleep(0.2)
    # What the live server's threads were doing, for the failure report.
    faulthandler.dump_traceback(all_threads=True)
    return False


def map_view(page, point, zoom: int) -> None:
    """The dispatch map moved to `point` (WGS84) at `zoom`, its grid layer loaded there."""
    with page.expect_response(lambda r: "/api/v1/map/grids/" in r.url and f"zoom={zoom}" in r.url):
        page.evaluate("([lat, lon, zoom]) => window.UrbanMap.map.setView([lat, lon], zoom, { animate: false })",
                      [point.y, point.x, zoom])
    page.wait_for_timeout(300)
