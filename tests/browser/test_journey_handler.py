"""A department handler's day on /workspace/ as a person clicks it (#15), in Chinese on a phone
set to UTC and in English on a desk: the queue, a case to sign with its sign-by time on the
city's clocks and the doubts about its photo, signing (and seeing when), asking once for more
time, replying with photos after the work. The same checks as the dispatcher's journey on
every screen. Screenshots: var/screenshots/handler/."""

import zoneinfo

import pytest

from collectors_app.evidence import flag
from tests.browser import test_journey_dispatcher as journey
from tests.browser.conftest import shot
from tests.browser.test_journey_dispatcher import check_screen, offered, open_as, take
from tests.builders import point_in
from tests.cases.test_step_contract import dispatched, long_dispatched
from tests.photos import jpeg, now_local
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseMedia, State
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.org.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

named = journey.named  # the personas with their names, as in the dispatcher's journey
CITY = zoneinfo.ZoneInfo("Asia/Shanghai")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}


def city_time(moment) -> str:
    return moment.astimezone(CITY).strftime("%Y-%m-%d %H:%M")


def reported_with_a_doubtful_photo(people, category) -> Case:
    """A case whose photo's EXIF puts it about 2 km from the report (flagged by the real check)."""
    point = point_in(0.5, 0.5)
    photo = read_photo(jpeg(gps=(point.x + 0.02, point.y), taken=now_local()), "far.jpg")
    case, _ = services.report(people.inspector, channel="inspector", point=point, category=category,
                              description="垃圾桶满溢", address="朝阳东路 18 号",
                              evidence=flag([photo], point, now_local()))
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))


def open_case(page, case) -> None:
    page.locator(f'#queue-sections tr[data-id="{case.pk}"]').first.click()
    page.wait_for_function("(code) => document.querySelector('#panel-title')?.innerText === code", arg=case.code)


@pytest.mark.parametrize(("language", "device"), [("zh-hans", PHONE), ("en", DESK)], ids=["zh-hans-phone", "en-desk"])
def test_the_handlers_day(browser, live_server, named, category, language, device, tmp_path):
    people = named
    case = reported_with_a_doubtful_photo(people, category)
    assert CaseMedia.objects.get(case=case).flags == ["exif_gps_far"]
    longer = long_dispatched(people, category)
    dispatched(people, category, col=1.5)
    data = ("垃圾桶满溢", "朝阳东路 18 号", "李派遣", "张巡查", "王处置", "海州区环境卫生管理处", "需采购配件",
            "已清理完毕")

    page = open_as(browser, live_server, "handler", language, "/workspace/", timezone_id="UTC", **device)
    row = page.locator(f'#queue-sections section[data-section="to_sign"] tr[data-id="{case.pk}"]')
    assert city_time(case.sign_due_at) in row.inner_text()  # the city's clock, on a phone set to UTC
    assert "朝阳东路 18 号" in row.locator("td.address").inner_text()
    check_screen(page, language, data)
    shot(page, "handler", language, "01-queue")

    # The case to sign: by when, and what is doubtful about its photo.
    open_case(page, case)
    assert city_time(case.sign_due_at) in page.locator('#case-panel dd[data-field="signed"]').inner_text()
    assert page.locator("#case-panel .doubts li").count() == 1
    assert offered(page) == ["sign", "return", "handle"]
    check_screen(page, language, data)
    shot(page, "handler", language, "02-to-sign")

    take(page, "sign")
    signed = Case.objects.get(pk=case.pk)
    assert signed.signed_at is not None
    assert city_time(signed.signed_at) in page.locator('#case-panel dd[data-field="signed"]').inner_text()
    assert "sign" not in offered(page)
    check_screen(page, language, data)
    shot(page, "handler", language, "03-signed")

    # More time for the case that needs parts: asked once, then no longer offered.
    open_case(page, longer)
    take(page, "request_extension", lambda form: (form.locator("input[name=days]").fill("1"),
                                                  form.locator("textarea[name=reason]").fill("需采购配件")))
    asked = Case.objects.get(pk=longer.pk)
    assert asked.extension_requested_until is not None
    assert city_time(asked.extension_requested_until) in page.locator('#case-panel dd[data-field="extension"]').inner_text()
    assert "request_extension" not in offered(page)
    check_screen(page, language, data)
    shot(page, "handler", language, "04-extension-asked")

    # The reply after the work, with two photos.
    open_case(page, case)
    files = []
    for n in (1, 2):
        path = tmp_path / f"after-{n}.jpg"
        path.write_bytes(jpeg(noise=n == 2))
        files.append(str(path))

    def reply(form):
        photos = form.locator("input[name=photos]")
        assert photos.get_attribute("required") is not None  # a problem's reply brings a photo after
        assert form.locator("small").inner_text() == {"en": "At least one, taken after the work.",
                                                      "zh-hans": "至少一张，处置后拍摄。"}[language]
        form.locator("textarea[name=reply]").fill("已清理完毕")
        shot(page, "handler", language, "05-reply-form")
        photos.set_input_files(files)
    take(page, "handle", reply)
    handled = Case.objects.get(pk=case.pk)
    assert handled.state == State.HANDLED
    assert CaseMedia.objects.filter(case=case, kind=CaseMedia.Kind.AFTER).count() == 2
    assert page.locator("#case-panel .photos a").count() == 3 and offered(page) == []
    assert city_time(handled.handled_at) in page.locator('#case-panel dd[data-field="handled"]').inner_text()
    check_screen(page, language, data)
    shot(page, "handler", language, "05-handled")

    # The queue: the reply is among the recent ones, the case waits on the command centre.
    waiting = f'#queue-sections section[data-section="waiting"] tr[data-id="{case.pk}"]'
    page.locator(waiting).wait_for(timeout=40000)
    assert page.errors == [] and page.foreign_requests == []
    page.context.close()
