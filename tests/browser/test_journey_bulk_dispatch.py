"""Bulk dispatch on the map (#18.5) as a dispatcher clicks it, in Chinese and in English:
select the filed cases of a unit grid, add those a lasso encloses, take one off the list,
dispatch the rest to the department the register suggests in one step while a colleague
changes one of them: that one shows as a conflict, in view, and can be reloaded; the others
are dispatched and the map refreshes. Screenshots: var/screenshots/bulk_dispatch/."""

import pytest

from tests.browser.conftest import map_view, shot
from tests.browser.test_journey_dispatcher import check_screen, errors_in_view, named, open_as  # noqa: F401
from tests.builders import make_person, point_in, report_case
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent, State
from urbanmgmt.org.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = "bulk_dispatch"


def filed(people, category, col, row, address):
    case = report_case(people.inspector, category, col, row, address=address, description="垃圾堆放")
    return services.file(people.dispatcher, case, version=case.version)


def pixel(page, col, row) -> tuple[float, float]:
    """Where lattice point (col, row) of the test city lies on the screen."""
    p = point_in(col, row)
    return tuple(page.evaluate("""([lat, lon]) => { const m = window.UrbanMap.map;
        const at = m.latLngToContainerPoint([lat, lon]); const box = m.getContainer().getBoundingClientRect();
        return [box.left + at.x, box.top + at.y]; }""", [p.y, p.x]))


def listed(page) -> list[str]:
    return page.locator("#bulk-list li strong").all_inner_texts()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_dispatcher_dispatches_a_grid_and_a_lasso_at_once(browser, live_server, named, category, language):  # noqa: F811
    people = named
    colleague = make_person("dispatcher2", "dispatcher")
    in_grid = [filed(people, category, 0.2 + 0.3 * i, 0.25, f"朝阳东路 {i + 1} 号") for i in range(3)]
    not_yet = report_case(people.inspector, category, 0.5, 0.6, address="朝阳东路 9 号")  # reported, not filed
    in_lasso = [filed(people, category, 2.3 + 0.4 * i, 2.5, f"海连中路 {i + 1} 号") for i in range(2)]
    data = ("朝阳东路", "海连中路", "垃圾堆放", "李派遣", "张巡查", "新海街道", "新海001社区")  # place names are data

    page = open_as(browser, live_server, "dispatcher", language, "/map/")
    page.wait_for_selector("body[data-bulk-ready='1']")
    centre = point_in(3, 2)
    map_view(page, centre, 17)
    check_screen(page, language, data)
    shot(page, JOURNEY, language, "01-map")

    # A grid: its filed cases are offered; the reported one is listed apart, with why.
    page.click("#bulk-tools button[data-mode=grid]")
    page.mouse.click(*pixel(page, 0.85, 0.85))
    page.wait_for_function("() => document.querySelectorAll('#bulk-list li').length === 3")
    assert sorted(listed(page)) == sorted(c.code for c in in_grid)
    apart = page.locator("#bulk-unselectable")
    apart.locator("summary").click()  # opened to read why
    assert not_yet.code in apart.locator("ul").inner_text()
    assert ("已上报" if language == "zh-hans" else "Reported") in apart.locator("ul").inner_text()
    check_screen(page, language, data)
    shot(page, JOURNEY, language, "02-grid")

    # A lasso drawn by hand around two cases of another street.
    page.click("#bulk-tools button[data-mode=lasso]")
    ring = [(2.0, 2.1), (3.2, 2.0), (3.4, 2.5), (3.2, 2.9), (2.4, 3.0), (2.0, 2.7)]
    page.mouse.move(*pixel(page, *ring[0]))
    page.mouse.down()
    for corner in ring[1:] + ring[:1]:
        page.mouse.move(*pixel(page, *corner), steps=4)
    page.mouse.up()
    page.wait_for_function("() => document.querySelectorAll('#bulk-list li').length === 5")
    assert set(listed(page)) == {c.code for c in in_grid + in_lasso}
    # One taken off again.
    removed = in_grid[2]
    page.click(f"#bulk-list li[data-id='{removed.pk}'] button.remove")
    page.wait_for_function("() => document.querySelectorAll('#bulk-list li').length === 4")
    assert page.locator("#bulk-panel select[name=department]").input_value() == "HZ-HWC"  # the register's suggestion
    assert page.locator("#bulk-suggestion").inner_text().strip()
    check_screen(page, language, data)
    shot(page, JOURNEY, language, "03-lasso")

    # Meanwhile a colleague dispatches one of them elsewhere: a conflict; the rest go.
    changed = in_lasso[1]
    services.dispatch(colleague, changed, version=changed.version, department=Department.objects.get(code="HZ-CGJ"))
    page.fill("#bulk-panel textarea[name=reason]", "集中整治" if language == "zh-hans" else "Clean-up week")
    with page.expect_response(lambda r: "/api/v1/map/cases/" in r.url):  # the map refreshes
        page.click("#bulk-send")
        alert = page.locator("#bulk-result .conflict[role=alert]")
        alert.wait_for()
    outcomes = dict(page.locator("#bulk-result li").evaluate_all(
        "(items) => items.map((li) => [Number(li.dataset.id), li.dataset.outcome])"))
    assert outcomes == {in_grid[0].pk: "dispatched", in_grid[1].pk: "dispatched", in_lasso[0].pk: "dispatched",
                        changed.pk: "conflict"}
    page.wait_for_timeout(300)
    errors_in_view(page)
    assert alert.is_visible()
    check_screen(page, language, data + ("集中整治", "Clean-up week"))
    shot(page, JOURNEY, language, "04-result")
    for case in (in_grid[0], in_grid[1], in_lasso[0]):
        fresh = Case.objects.get(pk=case.pk)
        assert (fresh.state, fresh.department.code) == (State.DISPATCHED, "HZ-HWC")
        assert CaseEvent.objects.filter(case=case, action="dispatch", actor=people.dispatcher).count() == 1
    assert Case.objects.get(pk=changed.pk).department.code == "HZ-CGJ"
    assert Case.objects.get(pk=removed.pk).state == State.FILED

    # The changed case reloaded: now dispatched, so listed apart with why, not offered again.
    alert.locator("button").click()
    page.wait_for_function("(code) => document.querySelector('#bulk-unselectable ul').innerText.includes(code)",
                           arg=changed.code)
    assert listed(page) == []
    check_screen(page, language, data)
    shot(page, JOURNEY, language, "05-reloaded")
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()
