"""The intake pages in Debian's Chromium: upload a CSV with a bad row and watch the
progress, the summary and the refused rows; place an unplaced ticket on the map; classify
one from the review list. No request leaves the server."""

import pytest

from tests.browser.conftest import log_in, signed_in_page, wait_for, watched_page
from tests.hotline.helpers import csv_bytes, row
from urbanmgmt.hotline.classify import invalidate_classifier
from urbanmgmt.hotline.gazetteer import invalidate_gazetteer, places_from_areas
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket, TicketState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def intake(empty_history_after, people, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    invalidate_classifier()
    places_from_areas("test layer")  # the test city's gazetteer
    yield people
    invalidate_gazetteer()
    invalidate_classifier()


@pytest.fixture
def task_worker(settings, tmp_path):
    """A real task worker (`manage.py tasks_worker`) on the test database, for the import."""
    import signal

    from tests.tasks.processes import kill, start_worker

    settings.MEDIA_ROOT = str(tmp_path / "media")  # where the worker (URBANMGMT_VAR_DIR/media) reads the upload
    process = start_worker(tmp_path, tmp_path / "worker.log", REDIS_URL="")
    yield process
    kill(process, signal.SIGTERM)


def open_page(browser, live_server, path):
    page = watched_page(browser, live_server)
    log_in(page, live_server, "dispatcher", "pw-dispatcher", path)
    page.wait_for_load_state("networkidle")
    return page


def test_a_one_row_upload_is_counted_as_one_row_in_english(browser, live_server, intake, task_worker):
    page = signed_in_page(browser, live_server, "dispatcher", "en", "/hotline/import/")
    page.set_input_files("input[name=file]", files=[{"name": "one.csv", "mimeType": "text/csv",
                                                     "buffer": csv_bytes([row("S1", col=1.5, cell=1.5)])}])
    page.fill("input[name=source]", "hz12345")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-summary:not([hidden])", timeout=30000)
    assert page.text_content("#import-count") == "Finished: 1 row." and page.errors == []


def test_upload_shows_progress_summary_and_the_refused_rows(browser, live_server, intake, task_worker):
    rows = [row(f"B{i}", col=1.5 + (i % 4), cell=0.5 + (i % 3)) for i in range(30)]
    rows[6] = row("B6", col=9.5, cell=1.5, 经度="181")  # out of range: refused with its line
    page = open_page(browser, live_server, "/hotline/import/")
    page.set_input_files("input[name=file]", files=[{"name": "tickets.csv", "mimeType": "text/csv",
                                                     "buffer": csv_bytes(rows, "gb18030")}])
    page.fill("input[name=source]", "hz12345")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-summary:not([hidden])", timeout=30000)
    assert page.eval_on_selector("#import-progress", "p => p.value") == 100
    assert page.text_content("#import-summary [data-key=total]") == "30"
    assert page.text_content("#import-summary [data-key=created]") == "29"
    assert page.text_content("#import-summary [data-key=rejected]") == "1"
    shown = page.locator("#import-rejects-shown tbody tr")  # the refused row, with why, on the page itself
    assert shown.count() == 1 and shown.locator("td").nth(0).inner_text() == "8"
    assert shown.locator("td").nth(1).inner_text() == "B6" and shown.locator("td").nth(2).inner_text()
    with page.expect_download() as download:
        page.click("#import-rejects a")
    refused = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert len(refused) == 2 and refused[1].startswith("8,B6,")  # line 8: the header is line 1
    assert HotlineTicket.objects.filter(source="hz12345").count() == 29
    assert page.foreign_requests == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_file_refused_whole_says_why_and_leads_to_another(browser, live_server, intake, task_worker, language):
    page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/import/")
    page.set_input_files("input[name=file]", files=[{"name": "no-time.csv", "mimeType": "text/csv",
                                                     "buffer": "工单编号,诉求内容\nT1,路灯不亮\n".encode()}])
    page.fill("input[name=source]", "hz12345")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-error:not([hidden])", timeout=30000)
    assert "受理时间" in page.text_content("#import-error")  # the missing column, by name
    assert page.is_hidden("#import-progress") and page.is_hidden("#import-summary")  # no full bar for nothing read
    page.click("#import-again a")
    page.wait_for_selector("#import-form")
    assert not HotlineTicket.objects.exists() and page.errors == []
    page.context.close()


def test_place_an_unplaced_ticket_on_the_map(browser, live_server, intake):
    import_rows([row("P1", address="家附近的路口")], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert ticket.state == TicketState.UNPLACED
    page = open_page(browser, live_server, "/hotline/unplaced/")
    assert "家附近的路口" in page.text_content("#place-ticket")
    page.wait_for_selector("#place-map[data-grids]")
    assert int(page.get_attribute("#place-map", "data-grids")) > 0
    # The dispatch map's aggregated layer (streets, communities or, this close in a six-by-four
    # city, unit grids), which names its level; not up to 2,000 raw grid polygons.
    assert page.get_attribute("#place-map", "data-level") in ("street", "community", "grid")
    box = page.locator("#place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.click("#place-confirm")
    assert wait_for(lambda: HotlineTicket.objects.get(pk=ticket.pk).state == TicketState.OPEN, page=page)
    ticket.refresh_from_db()
    assert ticket.place_method == "hand" and ticket.case is not None and ticket.grid_id is not None
    page.wait_for_selector("#place-empty", timeout=10000)  # the next ticket: none left
    assert page.foreign_requests == []
    page.context.close()


def test_classify_a_ticket_from_the_review_list(browser, live_server, intake):
    import_rows([row("R1", text="门口这块有问题，影响大家生活。", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert ticket.needs_review
    page = open_page(browser, live_server, "/hotline/review/")
    line = page.locator(f"tr.review-row[data-ticket='{ticket.pk}']")
    line.locator("input.category-search").fill("E0102 暴露垃圾")
    line.locator("button.classify").click()
    page.wait_for_selector(f"tr.review-row[data-ticket='{ticket.pk}'][data-done='1']")
    ticket.refresh_from_db()
    assert not ticket.needs_review and ticket.category.service_code == "E0102" and ticket.category_method == "hand"
    assert ticket.case.category.service_code == "E0102"  # its own case, not yet filed, follows
    assert page.foreign_requests == []
    page.context.close()


def test_a_clerks_correction_in_the_browser_changes_the_next_suggestion(browser, live_server, intake, settings):
    """The classifier learns from the click: the next similar ticket is suggested the
    category the clerk chose (retraining after one decision here, on the task queue)."""
    from urbanmgmt.hotline.bureaus import load_bureaus

    load_bureaus()
    settings.HOTLINE_RETRAIN_AFTER = 1
    import_rows([row("D1", text="门口那条沟里全是绿藻，臭得很", col=1.5, cell=1.5)], source="s", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get()
    assert ticket.needs_review and ticket.suggestions[0]["code"] != "E0105"
    page = open_page(browser, live_server, "/hotline/review/")
    line = page.locator(f"tr.review-row[data-ticket='{ticket.pk}']")
    assert line.locator("button.choice").count() >= 1  # the suggestions, one click each
    line.locator("input.category-search").fill("E0105")
    line.locator("button.classify").click()
    page.wait_for_selector(f"tr.review-row[data-ticket='{ticket.pk}'][data-done='1']")
    from urbanmgmt.jobs.worker import drain

    assert drain() == 1  # the task worker retrains (here: the queue drained in this process)
    import_rows([row("D2", text="小区门口的沟里长满绿藻，夏天臭得很", col=2.5, cell=1.5)], source="s",
                actor=intake.dispatcher)
    similar = HotlineTicket.objects.get(external_id="D2")
    assert similar.suggestions[0]["code"] == "E0105" and similar.model_version == 1
    page.reload()
    choice = page.locator(f"tr.review-row[data-ticket='{similar.pk}'] button.choice[data-code='E0105']")
    if choice.count():  # still unsure: one click files it
        choice.click()
        page.wait_for_selector(f"tr.review-row[data-ticket='{similar.pk}'][data-done='1']")
        similar.refresh_from_db()
        assert similar.category.service_code == "E0105" and not similar.needs_review
    assert page.foreign_requests == []
    page.context.close()
