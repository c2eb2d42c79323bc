"""Every page in Debian's Chromium under its Content-Security-Policy, as the role that uses it:
no violation (the `securitypolicyviolation` event, or Chromium's "Refused to …" console
line), no page error, nothing from outside the server."""

import json
import os

import pytest
from django.test import Client

from tests.accounts.pages import PAGES, page_objects
from tests.browser.conftest import log_in_app, watched_page
from tests.builders import report_case

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Reports each violation to the console, where the test reads it (Playwright injects this
# script itself: the page's policy does not apply to it).
# Redoc's sidebar credit always tries its logo from Redocly's CDN (it hides the <img> when that
# fails, no option turns it off): the policy blocking it is the offline rule at work.
EXPECTED = {"/api/redoc/": "https://cdn.redoc.ly/redoc/logo-mini.svg"}
SHOTS = os.environ.get("CSP_SHOTS")  # a folder: screenshots of the pages for a look
LISTEN = """document.addEventListener('securitypolicyviolation', (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
                + ` at ${e.sourceFile}:${e.lineNumber}`));"""


def signed_in_page(browser, live_server, user, problems):
    page = watched_page(browser, live_server)
    if user is not None:
        client = Client()
        client.force_login(user)
        page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                   "url": live_server.url}])
    page.add_init_script(LISTEN)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and (
        "CSP violation" in m.text or "Content Security Policy" in m.text or "Refused to" in m.text) else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page


def test_no_page_violates_its_policy(browser, live_server, empty_history_after, people, category):
    report_case(people.inspector, category, description="路边垃圾")  # a marker, a panel, a bar
    objects = page_objects(people)
    found, pages = {}, {}  # one page (and its problems) per role
    for role, path in PAGES:
        if role not in pages:
            problems = []
            pages[role] = (signed_in_page(browser, live_server, getattr(people, role) if role else None, problems),
                           problems)
        page, problems = pages[role]
        problems.clear()
        page.foreign_requests.clear()
        page.goto(live_server.url + path.format(**objects))
        page.wait_for_load_state("networkidle")
        if path == "/":  # the language switch (its handler moved out of the page): English from here on
            with page.expect_navigation():
                page.select_option("select[name=language]", "en")
            assert page.get_attribute("html", "lang") == "en"
        if path == "/map/":
            page.wait_for_selector("body[data-ready='1']", timeout=20000)
            page.locator(".case-marker").first.click()  # the case panel
            page.wait_for_selector("#case-panel .tickets form")
            assert "[object" not in page.inner_text("#case-panel")
        if path.startswith("/vision/cameras/"):  # drawing a zone (its script moved out of the page)
            for x, y in ((100, 100), (300, 120), (250, 300)):
                page.click("#zone-canvas", position={"x": x, "y": y})
            assert len(json.loads(page.input_value("#polygon"))) == 3
        if path == "/kpi/":  # the month chart and its tooltip (ECharts writes HTML into it)
            page.click('#valid-rate-card [data-by="month"]')
            page.wait_for_selector("#valid-rate-card canvas", timeout=15000)
            box = page.locator("#valid-rate-card canvas").first.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_selector(".kpi-tip-marker", timeout=5000)
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/kpi-tooltip.png")
        if path == "/api/docs/":
            page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
        if path == "/api/redoc/":
            page.wait_for_selector(".api-content", timeout=15000)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{path.strip('/').replace('/', '_').format(**objects) or 'home'}.png")
        found[path] = [p for p in problems + [f"outside request: {url}" for url in page.foreign_requests]
                       if not (path in EXPECTED and EXPECTED[path] in p)]
    for page, _problems in pages.values():
        page.context.close()
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_the_inspectors_app_works_under_its_policy(browser, live_server, empty_history_after, people):
    problems = []
    page = signed_in_page(browser, live_server, None, problems)
    log_in_app(page, live_server, "inspector", "pw-inspector")
    page.click("#tab-new")
    page.wait_for_timeout(1000)
    assert problems == [] and page.foreign_requests == []
    page.context.close()
