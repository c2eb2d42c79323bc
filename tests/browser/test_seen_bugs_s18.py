"""What a walk through the product in Chromium found (session 18), at a phone's and a
desktop's size, in Chinese and in English: the managers' dashboard of a city with no quota and
no evaluation scheme yet asked for them anyway and filled the console with failed requests;
the analyst's review actions answered 405 to an address opened by hand; the supervision
list's raise form stayed folded when the page came back to it with #raise; on a 390 px phone
the 12345 review and placing queues and the daily report's channels ran off the right edge,
城管通's top bar cut the inspector's grid count ("My grids: 3…" for 382), and an empty list
on a phone said so from behind an empty heading's 7rem; the home page wrote 4587 grids where
every other page writes 4,587; a review item's address landed with the item's top under the
queue's sticky bulk bar.
Screenshots: var/screenshots/seen_bugs_s18/."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_collector_app import inspector  # noqa: F401 - a fixture
from tests.browser.test_hotline_intake import intake  # noqa: F401 - a fixture
from tests.browser.test_journey_inspector import phone
from tests.browser.test_seen_bugs_s16 import supervised_case
from tests.hotline.helpers import row
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.hotline.bureaus import load_bureaus
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket
from urbanmgmt.org.models import Profile
from urbanmgmt.supervision.models import Notice
from vision.models import CandidateEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s18"
PHONE = {"width": 390, "height": 844}


def listened(page) -> list:
    """What goes wrong from now on: console errors and answers of 400 or more."""
    failures = []
    page.on("console", lambda message: failures.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("response", lambda answer: failures.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    return failures


def ready(page) -> None:
    page.wait_for_selector('#kpi-dashboard[data-ready="1"]', timeout=20000)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboard_of_a_city_with_no_quota_or_scheme_says_so_and_asks_nothing_that_fails(
        browser, live_server, empty_history_after, people, language):
    texts = {"zh-hans": ("尚未设置", "年度采集指标", "该时段尚无生效的评价方案", "由管理员"),
             "en": ("No annual collection quota is set for", "yet", "No evaluation scheme is in force", "An administrator")}
    quota_text, quota_more, scheme_text, who = texts[language]
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        page = signed_in_page(browser, live_server, "manager", language, "/kpi/", viewport=viewport)
        ready(page)
        failures = listened(page)
        page.reload()
        ready(page)
        page.click('#evaluation-card [data-who="department"]')
        page.select_option("#period", "year")
        ready(page)
        shot(page, JOURNEY, language, f"01-dashboard-nothing-set-{size}")
        assert failures == [] and page.errors == [] and page.foreign_requests == []
        quota, evaluation = page.inner_text("#quota-card [data-body]"), page.inner_text("#evaluation-card [data-body]")
        assert quota_text in quota and quota_more in quota and who in quota, quota
        assert scheme_text in evaluation and who in evaluation, evaluation
        assert page.locator("#quota-card [data-body] a, #evaluation-card [data-body] a").count() == 0  # may not set
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.context.close()

    # Whoever may set them is shown where.
    people.admin.is_staff = True
    people.admin.save()
    people.admin.user_permissions.add(*Permission.objects.filter(codename__in=["add_annualquota",
                                                                               "add_evaluationscheme"]))
    page = signed_in_page(browser, live_server, "root", language, "/kpi/")
    ready(page)
    year = page.get_attribute("#kpi-dashboard", "data-year")
    assert page.get_attribute("#quota-card [data-body] a", "href") == f"/admin/kpi/annualquota/add/?year={year}"
    assert page.get_attribute("#evaluation-card [data-body] a", "href") == "/admin/kpi/evaluationscheme/add/"
    shot(page, JOURNEY, language, "02-dashboard-nothing-set-admin", full_page=False)
    page.click("#quota-card [data-body] a")
    page.wait_for_selector("input[name=collection_total]")
    assert page.input_value("input[name=year]") == year
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_review_items_address_opened_by_hand_lands_on_the_review_page(
        browser, live_server, zone, worker_key, people, empty_history_after, language):  # noqa: F811
    assert post(worker_key, candidate(zone, track_id=7, key="k7")).status_code == 201
    lead = CandidateEvent.objects.get()
    # Signed out, the address asks to sign in first, then is opened again: with GET.
    page = signed_in_page(browser, live_server, "analyst", language, f"/vision/candidates/{lead.pk}/review/",
                          viewport=PHONE)
    page.wait_for_selector("main h1")
    assert page.url == f"{live_server.url}/vision/#candidate-{lead.pk}", page.url
    heading = page.inner_text("main h1")
    shot(page, JOURNEY, language, "03-review-item-typed-phone", full_page=False)
    assert page.locator(f"#candidate-{lead.pk} form.reject").is_visible()
    answer = page.goto(f"{live_server.url}/vision/candidates/{lead.pk}/review/")  # reloaded, bookmarked
    page_heading = page.inner_text("main h1")
    assert answer.status == 200 and page_heading == heading == {"zh-hans": "视频审核队列", "en": "Video review queue"}[language]
    lead.refresh_from_db()
    assert lead.status == CandidateEvent.Status.PENDING  # a GET changes nothing
    # The logout button's address, opened by hand, lands on the home page, still signed in.
    answer = page.goto(f"{live_server.url}/accounts/logout/")
    assert answer.status == 200 and page.url == f"{live_server.url}/", page.url
    assert "analyst" in page.inner_text("header")
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_raise_form_is_shown_open_when_the_address_names_it_or_it_has_errors(
        browser, live_server, empty_history_after, people, category, language):
    supervised_case(people, category)
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        page = signed_in_page(browser, live_server, "dispatcher", language, "/supervision/raise/", viewport=viewport)
        page.wait_for_selector("#raise")
        page.wait_for_load_state("load")  # the deferred base.js has run (the element is there before it)
        assert page.url == f"{live_server.url}/supervision/#raise"
        shot(page, JOURNEY, language, f"04-raise-named-{size}", full_page=False)
        assert page.evaluate("document.getElementById('raise').open")
        assert page.locator("#raise-button").is_visible() and page.locator("#raise textarea").is_visible()
        # Refused (no department): the page comes back with the error and the form open, as typed.
        page.select_option("#raise select[name=subject]", "department")
        page.fill("#raise textarea[name=request]", "请今日答复")
        page.click("#raise-button")
        page.wait_for_selector("#form-error")
        shot(page, JOURNEY, language, f"05-raise-refused-{size}", full_page=False)
        assert page.evaluate("document.getElementById('raise').open")
        assert page.input_value("#raise textarea[name=request]") == "请今日答复"
        assert page.locator("#form-error").is_visible()
        # The list, its address naming the form again (a link, the back button): open again.
        page.goto(f"{live_server.url}/supervision/")
        assert not page.evaluate("document.getElementById('raise').open")  # folded until asked for
        page.goto(f"{live_server.url}/supervision/#raise")
        assert page.evaluate("document.getElementById('raise').open")
        assert page.errors == [] and page.foreign_requests == []
        page.context.close()
    assert Notice.objects.count() == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_queues_and_the_daily_report_fit_a_phone(browser, live_server, intake, category,  # noqa: F811
                                                            language):
    load_bureaus()  # "Housing and Urban-Rural Development Bureau (property management, housing)"
    import_rows([row("R1", text="门口这块有问题，影响大家生活。", col=1.5, cell=1.5),
                 row("U1", text="菜市场旁边盲道上停车", address="墟沟街道海棠新村")], source="s", actor=intake.dispatcher)
    assert HotlineTicket.objects.filter(needs_review=True).exists()
    assert HotlineTicket.objects.filter(external_id="U1", state="unplaced").exists()
    today = timezone.localdate()
    too_wide = []
    for path, user, what in (("/hotline/review/", "dispatcher", "tr.review-row input.category-search"),
                             ("/hotline/unplaced/", "dispatcher", "#forward-form select"),
                             (f"/kpi/report/daily/?date={today:%Y-%m-%d}", "manager", "article.report table")):
        page = signed_in_page(browser, live_server, user, language, path, viewport=PHONE)
        page.wait_for_selector(what)
        page.locator(what).first.scroll_into_view_if_needed()
        name = path.strip("/").split("?")[0].replace("/", "-")
        shot(page, JOURNEY, language, f"06-{name}-phone", full_page=False)
        width = page.evaluate("document.documentElement.scrollWidth")
        right = max(page.evaluate(f"[...document.querySelectorAll('{what}')].map((e) => e.getBoundingClientRect().right)"))
        if width > PHONE["width"] or right > PHONE["width"]:
            too_wide.append((path, width, right))
        assert page.errors == [] and page.foreign_requests == []
        page.context.close()
    assert too_wide == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_apps_top_bar_shows_the_inspectors_grid_count_whole(browser, live_server, inspector,  # noqa: F811
                                                                  people, language):
    first = UnitGrid.objects.order_by("code").first()  # a district's inspector has hundreds (the demo's: 382)
    UnitGrid.objects.bulk_create([UnitGrid(code=f"T{n:05d}", geom=first.geom, community_id=first.community_id,
                                           street_id=first.street_id, district_id=first.district_id)
                                  for n in range(300)])
    Profile.objects.get(user=people.inspector).grids.set(UnitGrid.objects.all())
    count = UnitGrid.objects.count()
    context, page = phone(browser, live_server, {"zh-hans": "zh-CN", "en": "en-US"}[language])
    page.wait_for_selector("#patrol-toggle:visible")
    page.wait_for_function("document.querySelector('#me-grids').textContent !== ''")
    shot(page, JOURNEY, language, "07-app-top-bar-grids", full_page=False)
    grids = page.evaluate("(() => { const e = document.querySelector('#me-grids'); "
                          "return {text: e.textContent, cut: e.scrollWidth > e.clientWidth}; })()")
    assert str(count) in grids["text"] and not grids["cut"], grids  # "My grids: 2…" read as 2
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_empty_list_on_a_phone_says_so_from_its_left_edge(browser, live_server, intake, language):  # noqa: F811
    for path, cell in (("/supervision/", "#notices td[colspan]"), ("/hotline/review/", "#review-empty"),
                       ("/hotline/unplaced/", "#place-empty")):
        page = signed_in_page(browser, live_server, "dispatcher", language, path, viewport=PHONE)
        page.wait_for_selector(cell)
        name = path.strip("/").replace("/", "-")
        shot(page, JOURNEY, language, f"08-{name}-empty-phone", full_page=False)
        indent = page.evaluate("""(selector) => { const cell = document.querySelector(selector);
            const words = document.createRange(); words.selectNodeContents(cell);
            return words.getClientRects()[0].left - cell.getBoundingClientRect().left; }""", cell)
        assert indent < 16, (path, indent)  # not behind a heading's empty 7rem
        assert page.errors == [] and page.foreign_requests == []
        page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_home_page_groups_its_counts_by_thousands(browser, live_server, empty_history_after, people, language):
    first = UnitGrid.objects.order_by("code").first()  # the demo city has 4,587
    UnitGrid.objects.bulk_create([UnitGrid(code=f"T{n:05d}", geom=first.geom, community_id=first.community_id,
                                           street_id=first.street_id, district_id=first.district_id)
                                  for n in range(1200)])
    count = UnitGrid.objects.count()
    page = signed_in_page(browser, live_server, "dispatcher", language, "/", viewport=PHONE)
    page.wait_for_selector("main h1")
    shot(page, JOURNEY, language, "09-home-phone", full_page=False)
    text = page.inner_text("main")
    assert f"{count:,}" in text and str(count) not in text, text  # 1,224 as the reports and the dashboard write it
    assert page.errors == [] and page.foreign_requests == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_review_item_landed_on_shows_its_top_below_the_bulk_bar(
        browser, live_server, zone, worker_key, people, empty_history_after, language):  # noqa: F811
    for n in (7, 8, 9):
        assert post(worker_key, candidate(zone, track_id=n, key=f"k{n}")).status_code == 201
    landed = CandidateEvent.objects.order_by("pk")[1]
    page = signed_in_page(browser, live_server, "analyst", language, f"/vision/candidates/{landed.pk}/review/",
                          viewport=PHONE)
    page.wait_for_selector(f"#candidate-{landed.pk}")
    page.wait_for_load_state("load")
    page.wait_for_function(f"(document.querySelector('article.cand.current') || {{}}).id === 'candidate-{landed.pk}'")
    page.wait_for_timeout(500)  # the bar's height measured, the page scrolled
    shot(page, JOURNEY, language, "10-review-item-landed-phone", full_page=False)
    bar = page.locator("#bulk").bounding_box()
    item = page.locator(f"#candidate-{landed.pk}").bounding_box()
    assert bar["y"] + bar["height"] <= item["y"] < PHONE["height"] / 2, (bar, item)  # whole, near the top
    assert page.get_attribute("article.cand.current", "id") == f"candidate-{landed.pk}"  # j, k, c… act on it
    # Moving through the queue by keyboard keeps the current item out from under the bar too.
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.wait_for_timeout(300)
    current = page.locator("article.cand.current").bounding_box()
    assert current["y"] >= bar["y"] + bar["height"] - 1, (bar, current)
    assert page.errors == [] and page.foreign_requests == []
