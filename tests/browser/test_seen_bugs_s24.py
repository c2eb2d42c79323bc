"""What a walk in Chromium found (session 24), in Chinese and in English: the knowledge base's
admin list gave each question two characters a line and pushed its last columns off a 1280 px
screen; the English history named its steps by their buttons' commands ("File", "Dispatch");
a case the department replied to before its deadline was marked overdue once the
deadline passed, with ASCII brackets on Chinese pages; a clerk's own answer was lost for good
when an entry's answer was put in the form and the entry then dropped.
Screenshots: var/screenshots/seen_bugs_s24/."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import shot, signed_in_page
from tests.browser.test_hotline_intake import intake  # noqa: F401 - a fixture
from tests.builders import report_case
from tests.cases.test_services import dispatched
from tests.hotline.helpers import row
from tests.hotline.knowledge_entries import make_entries
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case
from urbanmgmt.hotline.bureaus import load_bureaus
from urbanmgmt.hotline.importer import import_rows
from urbanmgmt.hotline.models import HotlineTicket

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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_answer_typed_comes_back_when_the_entry_is_dropped(browser, live_server, intake, language):  # noqa: F811
    load_bureaus()
    make_entries(reviewed_at=timezone.localdate())
    import_rows([row("Q1", kind="咨询", text="请问家里的旧沙发怎么预约上门清运？")], source="hz12345",
                actor=intake.dispatcher)
    ticket = HotlineTicket.objects.get(external_id="Q1")
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/hotline/tickets/{ticket.pk}/")
    best = page.locator("#kb-matches li.kb-match").first
    best.wait_for()
    form = page.locator("#answer-form textarea[name=answer]")
    typed = "您好，旧沙发可以预约上门清运，"
    form.fill(typed)
    best.locator("button.kb-use").click()
    assert form.input_value() != typed and page.is_visible("#answer-entry")
    page.click("#answer-entry .kb-drop")
    assert form.input_value() == typed and page.is_hidden("#answer-entry")
    # An entry's answer edited, then the entry dropped: the edits stay (they are the clerk's now).
    best.locator("button.kb-use").click()
    form.fill(form.input_value() + "谢谢。")
    page.click("#answer-entry .kb-drop")
    assert form.input_value().endswith("谢谢。") and page.input_value("#answer-form input[name=entry]") == ""
    shot(page, JOURNEY, language, "02-answer-kept", full_page=False)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_case_replied_to_in_time_is_not_overdue_while_it_waits_for_its_check(browser, live_server, empty_history_after, people,
                                                                              category, language):
    from tests.browser.test_front_end import city_time

    late, replied = (dispatched(people, category, col=col) for col in (0.5, 1.5))
    replied = services.sign(people.handler, replied, version=replied.version)
    replied = services.handle(people.handler, replied, version=replied.version, reply="已清理完毕")
    Case.objects.filter(pk__in=[late.pk, replied.pk]).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    marks = {"zh-hans": "（已超期）", "en": " (overdue)"}[language]
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={late.pk}")
    deadline = page.locator("#case-panel dd[data-field=deadline]")
    deadline.wait_for()
    assert deadline.inner_text().endswith(marks), deadline.inner_text()
    shot(page, JOURNEY, language, "03-overdue-deadline", full_page=False)
    page.goto(f"{live_server.url}/map/?case={replied.pk}")
    page.locator("#case-panel dd[data-field=handled]").wait_for()
    assert "已超期" not in deadline.inner_text() and "overdue" not in deadline.inner_text()
    assert page.errors == []
    page.context.close()

    workspace = signed_in_page(browser, live_server, "handler", language, "/workspace/")
    classes = "rows => rows.map(row => row.className)"
    workspace.locator(f"tr[data-id='{replied.pk}']").first.wait_for()
    assert "late" not in workspace.locator(f"tr[data-id='{replied.pk}']").evaluate_all(classes)
    assert "late" in workspace.locator(f"tr[data-id='{late.pk}']").evaluate_all(classes)
    recent = workspace.locator("section[data-section=recent]")  # when the reply went, not the deadline
    assert recent.locator("th").nth(3).inner_text() == {"zh-hans": "反馈时间", "en": "Replied at"}[language]
    assert recent.locator(f"tr[data-id='{replied.pk}'] td.when").inner_text() == city_time(replied.handled_at)
    shot(workspace, JOURNEY, language, "04-workspace", full_page=False)
    assert workspace.errors == []
    workspace.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_history_names_the_category_a_case_was_filed_under(browser, live_server, empty_history_after, people,
                                                               category, language):
    from urbanmgmt.catalog.models import Category

    lamp = Category.objects.get(service_code="C0118")
    case = report_case(people.inspector, category, 0.5, 0.5)
    case = services.file(people.dispatcher, case, version=case.version, category=lamp)
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={case.pk}")
    change = page.locator("#case-panel .timeline [data-field=category-change]")
    change.wait_for()
    names = {"zh-hans": (category.name_zh, lamp.name_zh), "en": (category.name_en, lamp.name_en)}[language]
    assert change.inner_text() == {"zh-hans": "类别：%s → %s", "en": "Category: %s → %s"}[language] % names
    assert change.count() == 1  # the report itself changed nothing
    steps = page.locator("#case-panel .timeline strong").all_inner_texts()  # what was done, not the buttons' commands
    assert steps == {"zh-hans": ["上报", "立案"], "en": ["Reported", "Filed"]}[language]
    change.scroll_into_view_if_needed()
    shot(page, JOURNEY, language, "05-category-change", full_page=False)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_department_that_sent_the_case_back_is_not_chosen_for_it_again(browser, live_server, empty_history_after,
                                                                         people, category, language):
    from urbanmgmt.org.services import suggest_department

    case = report_case(people.inspector, category, 0.5, 0.5)
    case = services.file(people.dispatcher, case, version=case.version)
    owner = suggest_department(case)
    assert owner == people.handler.profile.department  # the register's choice, the handler's department
    case = services.dispatch(people.dispatcher, case, version=case.version, department=owner)
    case = services.return_case(people.handler, case, version=case.version, reason="非本单位职责")
    case = services.approve_return(people.dispatcher, case, version=case.version)
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={case.pk}")
    said = page.locator("#case-panel [data-field=suggested]")
    said.wait_for()
    assert {"zh-hans": "已以非本单位职责退回", "en": "sent this case back as not its own"}[language] in said.inner_text()
    assert page.locator("#case-panel dd[data-field=signed]").count() == 0  # no "sign by —" for no department
    page.click('#case-panel button[data-action="dispatch"]')
    select = page.locator('#case-panel form.step[data-action="dispatch"] select[name=department]')
    select.wait_for()
    assert select.input_value() == ""  # one click on submit would have sent it back to them
    shot(page, JOURNEY, language, "06-returned-department", full_page=False)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_closed_cases_panel_says_when_it_was_closed(browser, live_server, empty_history_after, people, category,
                                                      language):
    from tests.browser.test_front_end import city_time

    case = report_case(people.inspector, category, 0.5, 0.5)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.close(people.dispatcher, case, version=case.version, reason="当场解决")
    rejected = report_case(people.inspector, category, 1.5, 0.5)
    rejected = services.reject(people.dispatcher, rejected, version=rejected.version, reason_code="duplicate",
                               reason="重复上报")
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={case.pk}")
    closed = page.locator("#case-panel dd[data-field=closed]")
    closed.wait_for()
    assert closed.inner_text() == city_time(case.closed_at)
    label = closed.locator("xpath=preceding-sibling::dt[1]").inner_text()
    assert label == {"zh-hans": "结案时间", "en": "Closed at"}[language]
    shot(page, JOURNEY, language, "07-closed-case", full_page=False)
    page.goto(f"{live_server.url}/map/?case={rejected.pk}")
    page.locator("#case-panel dd[data-field=rejected]").wait_for()
    assert page.inner_text("#case-panel dd[data-field=rejected]") == city_time(rejected.rejected_at)
    assert page.errors == []
    page.context.close()


QUEUE_CELLS = """() => [...document.querySelectorAll('.queue tbody tr')].map(row => {
    const lines = node => { const r = document.createRange(); r.selectNodeContents(node); return r.getClientRects().length; };
    return {state: lines(row.querySelector('td.state').firstChild), category: lines(row.querySelector('td.category')),
            places: [...row.querySelectorAll('td.address .whole')].map(lines)};
})"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_workspace_keeps_its_words_beside_an_open_case(browser, live_server, empty_history_after, people,
                                                           category, language):
    told = "占用堵塞消防通道：市民反映此处堵塞消防通道，希望尽快处理，已经好几天了，晚上车辆停满整条通道"
    for col in (0.5, 1.5, 2.5):
        dispatched(people, category, col=col, description=told)
    page = signed_in_page(browser, live_server, "handler", language, "/workspace/",
                          viewport={"width": 1280, "height": 800})
    page.locator(".queue tbody tr").first.click()
    page.locator("#case-panel .facts").wait_for()
    found = page.evaluate(QUEUE_CELLS)
    assert found and all(r["state"] == 1 and r["category"] <= 2 for r in found), found
    assert all(n == 1 for r in found for n in r["places"]) and any(r["places"] for r in found), found
    queue = page.locator(".queue").evaluate("q => [q.scrollWidth, q.clientWidth]")
    assert queue[0] <= queue[1] + 1, queue  # nothing cut at the panel's edge
    shot(page, JOURNEY, language, "08-workspace-with-panel", full_page=False)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_photo_used_before_names_the_case_that_has_it(browser, live_server, empty_history_after, people, settings,
                                                        tmp_path, language):
    from tests.builders import client_for, point_in
    from tests.collectors_app.test_reports import form, post
    from tests.photos import jpeg, now_local

    settings.MEDIA_ROOT = str(tmp_path / "media")
    photo = jpeg(gps=(point_in(0.5, 0.5).x, point_in(0.5, 0.5).y), taken=now_local())
    first = post(client_for(people.inspector), form([photo])).data
    second = post(client_for(people.inspector), form([photo])).data
    assert second["flags"] == ["photo_used_before"]
    page = signed_in_page(browser, live_server, "dispatcher", language, f"/map/?case={second['id']}")
    named = page.locator("#case-panel .doubts [data-field=same-photo] a")
    named.wait_for()
    code = Case.objects.get(pk=first["id"]).code
    assert named.inner_text() == code
    said = page.inner_text("#case-panel .doubts li")
    assert said.startswith({"zh-hans": "照片 1（处置前照片）：", "en": "Photo 1, Evidence (before): "}[language]), said
    shot(page, JOURNEY, language, "09-photo-used-before", full_page=False)
    named.click()  # opens that case in the panel: its photo raised no doubt
    named.wait_for(state="detached")
    page.locator("#case-panel .facts").wait_for()
    assert page.inner_text("#case-panel").startswith(code)
    assert page.errors == []
    page.context.close()


REFUSED = ("文件缺少受理时间 (received_at)列：请在映射中指定该列（“columns”），或为每行给出同一值（“constants”）。"
           "查找过的列名：受理时间 / 来电时间 / 登记时间 / 创建时间 / received_at / time。")
LINES = """nodes => nodes.map(node => { const r = document.createRange(); r.selectNodeContents(node);
    return [node.innerText, r.getClientRects().length]; })"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_intake_lists_keep_their_words_whole(browser, live_server, intake, language):  # noqa: F811
    from urbanmgmt.hotline.models import ImportRun

    told = ("请问家里有一张旧沙发和两个床垫，大件垃圾怎么预约上门清运？"
            "小区物业说要自己联系，电话一直打不通，麻烦告知具体流程和费用")
    import_rows([row("A1", kind="咨询", text=told, answer="拨打12319预约。"),
                 row("A2", col=1.5, cell=1.5, text="小区门口暴露垃圾没人清理，味道很大，" + told)],
                source="hz12345", actor=intake.dispatcher)
    ImportRun.objects.create(source="hz12345", filename="tickets-2026-12.csv", started_by=intake.dispatcher,
                             finished_at=timezone.now(), error=REFUSED)
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("narrow", {"width": 1024, "height": 768})):
        page = signed_in_page(browser, live_server, "dispatcher", language, "/hotline/tickets/", viewport=viewport)
        page.locator("#ticket-list tbody tr").first.wait_for()
        states = page.locator("#ticket-list tbody td:nth-child(3)").evaluate_all(LINES)
        assert len(states) == 2 and all(n == 1 for _text, n in states), states
        page.goto(f"{live_server.url}/hotline/import/")
        heads = page.locator("table th").evaluate_all(LINES)
        assert heads and all(n == 1 for _text, n in heads), heads
        shot(page, JOURNEY, language, f"10-import-list-{size}", full_page=False)
        assert page.errors == []
        page.context.close()
