"""What a walk in Chromium found (session 24), in Chinese and in English: the knowledge base's
admin list gave each question two characters a line and pushed its last columns off a 1280 px
screen. Screenshots: var/screenshots/seen_bugs_s24/."""

import pytest
from django.utils import timezone

from tests.browser.conftest import shot, signed_in_page
from tests.hotline.knowledge_entries import make_entries
from urbanmgmt.hotline.bureaus import load_bureaus

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "seen_bugs_s24"

COLUMNS = """table => {
    const cells = [...table.querySelectorAll('thead th')].map(th => th.getBoundingClientRect());
    const question = table.querySelector('tbody td.field-question');
    const lines = Math.round(question.getBoundingClientRect().height / parseFloat(getComputedStyle(question).lineHeight));
    const shown = table.closest('.results').getBoundingClientRect();
    return {right: Math.max(...cells.map(c => c.right)), shown: shown.right,
            question: question.getBoundingClientRect().width, lines};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_knowledge_bases_list_reads_at_1280(browser, live_server, people, language):
    from django.contrib.auth.models import User

    load_bureaus()
    make_entries(reviewed_at=timezone.localdate())
    User.objects.create_superuser("kb_keeper", "kb_keeper@example.org", "pw-kb_keeper")
    page = signed_in_page(browser, live_server, "kb_keeper", language, "/admin/hotline/knowledgeentry/",
                          viewport={"width": 1280, "height": 900})
    page.wait_for_selector("#result_list")
    found = page.locator("#result_list").evaluate(COLUMNS)
    assert found["right"] <= found["shown"] + 0.5, found  # every column in view, beside the filters
    assert found["question"] >= 150 and found["lines"] <= 4, found
    shot(page, JOURNEY, language, "01-knowledge-base-list", full_page=False)
    assert page.errors == []
    page.context.close()

