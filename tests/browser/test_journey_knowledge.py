"""A consultation answered at first contact from the knowledge base (知识库), in Debian's
Chromium, in Chinese and in English: the clerk opens the ticket, sees the matching entry with
the words in common marked, puts its answer in the form, edits it and sends it; the ticket's
history names the entry, and the managers' dashboard shows the online answer rate (在线解答率)
move. Screenshots: var/screenshots/knowledge/."""

import re

import pytest
from django.conf import settings
from django.utils import timezone

from tests.browser.conftest import log_in, wait_for, watched_page
from tests.browser.test_hotline_intake import intake  # noqa: F401 (a fixture)
from tests.browser.test_journey_intake import GLOSS, HAN, NEUTRAL, data_strings
from tests.hotline.helpers import row
from tests.hotline.knowledge_entries import make_entries
from urbanmgmt.hotline.bureaus import load_bureaus
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.knowledge import matches
from urbanmgmt.hotline.models import HotlineTicket, KnowledgeEntry, TicketEvent, TicketState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "knowledge"
ASKED = "请问家里有一张旧沙发和两个床垫，大件垃圾怎么预约上门清运？"
ADDED = "已为您登记，请保持电话畅通。"


def check(page, language: str, name: str, selector: str = "main") -> None:
    """The page's own words are in `language` (the data taken out first); then a screenshot."""
    text = page.inner_text(selector)
    assert "[object" not in text and "undefined" not in text, (name, text)
    entries = {w for e in KnowledgeEntry.objects.all() for w in (e.code, e.question, e.answer, e.responsible, *e.tags)}
    entries |= {w for t in HotlineTicket.objects.all() for m in matches(t) for w in m.words}  # the words marked
    data = sorted({*data_strings(), *entries}, key=len, reverse=True)
    own = text
    for word in (w for w in data if w):
        own = own.replace(word, " ")
    if language == "en":
        assert HAN.findall(GLOSS.sub(" ", own)) == [], (name, own)
    else:
        english = [w for w in re.findall(r"[A-Za-z]{3,}", own) if w not in NEUTRAL]
        assert english == [], (name, english, own)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{language}.png"), full_page=True)


def online_answer_tile(page, english: bool) -> str:
    name = "Online answer rate" if english else "在线解答率"
    tile = page.locator("#hotline-card .kpi-tile", has=page.locator(".kpi-tile-name", has_text=name)).first
    tile.wait_for()
    return tile.inner_text()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_consultation_answered_from_the_knowledge_base(browser, live_server, intake, language):  # noqa: F811
    load_bureaus()
    make_entries(reviewed_at=timezone.localdate())
    import_rows([row("Q1", kind="咨询", text=ASKED), row("Q2", text="小区门口暴露垃圾没人清理", col=1.5, cell=1.5)],
                source="hz12345", actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="Q1")
    assert ticket.state == TicketState.TO_ANSWER
    english = language == "en"
    page = watched_page(browser, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    log_in(page, live_server, "dispatcher", "pw-dispatcher", "/kpi/")
    assert "0 / 2" in online_answer_tile(page, english)

    page.goto(f"{live_server.url}/hotline/tickets/{ticket.pk}/")
    best = page.locator("#kb-matches li.kb-match").first
    assert best.get_attribute("data-code") == "ZSK-001"
    assert "大件垃圾" in best.locator(".kb-question mark").all_inner_texts()
    check(page, language, "01-ticket-with-entries")
    best.locator("button.kb-use").click()
    form = page.locator("#answer-form textarea[name=answer]")
    assert form.input_value() == KnowledgeEntry.objects.get(code="ZSK-001").answer
    assert page.is_visible("#answer-entry") and "ZSK-001" in page.inner_text("#answer-entry")
    form.fill(form.input_value() + ADDED)  # the prefilled answer is the clerk's to edit
    check(page, language, "02-answer-prefilled")
    page.click("#answer-form button[type=submit]")
    assert wait_for(lambda: HotlineTicket.objects.get(pk=ticket.pk).state == TicketState.ANSWERED, page=page)
    page.locator("#ticket-history", has_text="ZSK-001").wait_for()
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.ANSWERED)
    assert event.entry.code == "ZSK-001" and event.note.endswith(ADDED)
    check(page, language, "03-answered")

    page.goto(f"{live_server.url}/kpi/")
    tile = online_answer_tile(page, english)
    assert "1 / 2" in tile and "50" in tile
    page.locator("#kb-facts").wait_for()
    check(page, language, "04-dashboard", "#hotline-card")
    assert errors == [] and page.foreign_requests == []
    page.context.close()
