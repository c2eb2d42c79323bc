"""The video analyst's day in Debian's Chromium, in Chinese and in English: open the review
queue, confirm a candidate into a case, reject another choosing the reason, open the camera,
draw a zone of 2 corners (refused, in view, the name kept), finish it, rename it, redraw it,
delete it. Every screen: no "[object", one language, every offered step succeeds, every error
in view. Screenshots in var/screenshots/analyst/."""

import pytest
from django.conf import settings

from demo import synth
from tests.browser.conftest import log_in, watched_page
from tests.languages import data_names, strays, visible_text
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.cases.models import Case
from vision.models import CandidateEvent, Zone
from vision.worker.output import encode, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "analyst"
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
WORDS = {  # what the analyst reads, per language
    "zh-hans": {"bus": "公交车", "too_few": "至少需要 3 个角点", "saved": "已保存", "deleted": "已删除",
                "confirmed": "已确认", "rejected": "已驳回"},
    "en": {"bus": "bus", "too_few": "at least 3 corners", "saved": "saved", "deleted": "deleted",
           "confirmed": "confirmed", "rejected": "rejected"},
}


class Day:
    """The analyst's browser, with the checks every screen gets."""

    def __init__(self, page, language):
        self.page, self.language, self.n = page, language, 0
        self.names: set[str] = set()  # every name seen today: a message may name a zone since deleted

    def look(self, name: str) -> str:
        """Check the screen as it is now and keep a picture of it."""
        page = self.page
        text = page.locator("main").inner_text()
        assert "[object" not in text
        assert strays(visible_text(text, self.seen()), self.language) == [], name
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.language}-{self.n:02d}-{name}.png"), full_page=True)
        return text

    def seen(self) -> list[str]:
        self.names.update(data_names())
        return sorted(self.names, key=len, reverse=True)

    def in_view(self, selector: str) -> str:
        """The message at `selector` is shown where the user is looking; its text."""
        node = self.page.locator(selector).first
        node.wait_for(state="visible")
        box = node.bounding_box()
        height = self.page.evaluate("window.innerHeight")
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= height, (selector, box, height)
        return node.inner_text()

    def submit(self, selector: str):
        """Click a link or a button that sends its form, and wait for the next page (the page before
        may still show the last step's message)."""
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def click_corners(self, corners, size=(640, 360)):
        canvas = self.page.locator("#zone-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        for x, y in corners:
            canvas.click(position={"x": x * box["width"] / size[0], "y": y * box["height"] / size[1]})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_analysts_day(browser, live_server, zone, worker_key, people, empty_history_after, language):  # noqa: F811
    cam = zone.camera
    cam.frame_width, cam.frame_height = 640, 360
    cam.save()
    clean = synth.background()
    bus = candidate(zone, track_id=7, key="a", **{"class": "bus"})
    car = candidate(zone, track_id=8, key="b", box=[300, 200, 420, 295])
    for data in (bus, car):
        picture = snapshot(clean, data["box"], synth.NO_PARKING, f"{data['class']} #{data['track_id']}")
        assert post(worker_key, data, snapshot=picture, frame=encode(clean)).status_code == 201
    confirm_me, reject_me = CandidateEvent.objects.get(track_id=7), CandidateEvent.objects.get(track_id=8)
    words = WORDS[language]

    page = watched_page(browser, live_server, locale=LOCALES[language])
    page.on("dialog", lambda dialog: dialog.accept())
    day = Day(page, language)
    log_in(page, live_server, "analyst", "pw-analyst", "/vision/")
    page.wait_for_selector(f"#candidate-{confirm_me.pk}")
    queue = day.look("queue")
    assert words["bus"] in queue

    card = page.locator(f"#candidate-{confirm_me.pk}")
    card.locator("input[name=description]").fill("公交车停在禁停区")
    day.submit(f"#candidate-{confirm_me.pk} button[name=confirm]")
    assert words["confirmed"] in day.in_view(".messages li.success").lower()
    confirm_me.refresh_from_db()
    assert confirm_me.case_id and Case.objects.get(pk=confirm_me.case_id).channel == "video"
    day.look("confirmed")

    card = page.locator(f"#candidate-{reject_me.pk}")
    assert card.locator("select[name=reason]").input_value() == ""  # nothing chosen for the analyst
    card.locator("button[name=reject]").click()  # the browser asks for the reason first
    assert page.evaluate(f"!document.querySelector('#candidate-{reject_me.pk} select[name=reason]').validity.valid")
    reject_me.refresh_from_db()
    assert reject_me.status == "pending"
    card.locator("select[name=reason]").select_option("not_violation")
    day.submit(f"#candidate-{reject_me.pk} button[name=reject]")
    assert words["rejected"] in day.in_view(".messages li.success").lower()
    reject_me.refresh_from_db()
    assert (reject_me.status, reject_me.reject_reason) == ("rejected", "not_violation")
    day.look("rejected")

    day.submit(f"a[href='/vision/cameras/{cam.pk}/']")
    page.wait_for_selector("#zone-canvas")
    assert page.locator("#zone-canvas").get_attribute("data-still")  # the clean frame, to draw on
    day.look("camera")

    page.fill("#zone-form input[name=name]", "人行道禁停")
    page.select_option("#zone-form select[name=rule]", "bicycles")
    day.click_corners([(40, 140), (260, 140)])
    page.click("#zone-save")
    assert words["too_few"] in day.in_view("#zone-error")
    assert page.input_value("#zone-form input[name=name]") == "人行道禁停"
    day.look("two-corners-refused")
    assert cam.zones.count() == 1

    day.click_corners([(260, 170), (40, 170)])
    day.submit("#zone-save")
    assert words["saved"] in day.in_view(".messages li.success").lower()
    drawn = cam.zones.get(name="人行道禁停")
    assert drawn.rule == "bicycles" and len(drawn.polygon) == 4
    assert page.locator("#zone-list li[data-zone]").count() == 2
    day.look("zone-saved")

    page.click(f".zone-edit[data-zone='{drawn.pk}']")
    page.fill("#zone-form input[name=name]", "公交站台")
    day.look("editing")
    day.submit("#zone-save")
    day.in_view(".messages li.success")
    drawn.refresh_from_db()
    assert drawn.name == "公交站台" and len(drawn.polygon) == 4

    page.click(f".zone-edit[data-zone='{drawn.pk}']")
    page.click("#zone-clear")
    day.click_corners([(20, 130), (200, 130), (120, 175)])
    day.submit("#zone-save")
    day.in_view(".messages li.success")
    drawn.refresh_from_db()
    assert len(drawn.polygon) == 3 and drawn.name == "公交站台"
    assert Zone.objects.filter(camera=cam).count() == 2
    day.look("zone-redrawn")

    day.submit(f"#zone-list li[data-zone='{drawn.pk}'] form.zone-delete button")
    assert words["deleted"] in day.in_view(".messages li.success").lower()
    assert not Zone.objects.filter(pk=drawn.pk).exists()
    day.look("zone-deleted")
    assert page.foreign_requests == []
    page.context.close()
