"""The analyst's review à la Frigate in Debian's Chromium, in Chinese and in English, by keyboard:
"?" shows the shortcuts; a clip plays, steps and pauses; keys typed in a field stay in the
field; j/k move, c confirms into a case, r + a reason + Enter rejects, x selects; several
items are rejected at once with one reason, one of them already rejected meanwhile by a
colleague, and each says its own outcome in view. Screenshots in var/screenshots/analyst_review/."""

import datetime as dt

import cv2
import pytest
from django.conf import settings
from django.utils import timezone

from demo import synth
from tests.browser.conftest import log_in, watched_page
from tests.languages import data_names, strays, visible_text
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.cases.models import Case
from vision import review
from vision.models import CandidateEvent
from vision.worker.output import snapshot, strip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots" / "analyst_review"
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
WORDS = {
    "zh-hans": {"alerts": "告警", "help": "键盘快捷键", "frame2": "第 2 / 4 帧", "confirmed": "已确认",
                "rejected": "已驳回", "bulk": "3 条中已驳回 2 条", "bus": "公交车"},
    "en": {"alerts": "Alerts", "help": "Keyboard shortcuts", "frame2": "frame 2 of 4", "confirmed": "confirmed",
           "rejected": "rejected", "bulk": "2 of 3 rejected", "bus": "bus"},
}
BOXES = [[400, 180, 560, 290], [300, 200, 420, 295], [100, 200, 220, 300], [200, 180, 300, 260], [480, 200, 600, 300]]


def clip(box) -> bytes:
    """Four frames of the street, the car drawn a little further in each (so frames differ)."""
    frames = []
    for i in range(4):
        image = synth.background().copy()
        x1, y1, x2, y2 = box
        cv2.rectangle(image, (x1 + 12 * i, y1), (x2 + 12 * i, y2), (30, 30, 200), -1)
        frames.append((timezone.now().timestamp() - 40 + 10 * i, image))
    return strip(frames)


class Review:
    def __init__(self, page, language):
        self.page, self.language, self.n = page, language, 0

    def look(self, name: str) -> str:
        text = self.page.locator("main").inner_text()
        assert "[object" not in text
        assert strays(visible_text(text, data_names()), self.language) == [], name
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.language}-{self.n:02d}-{name}.png"), full_page=False)
        return text

    def in_view(self, selector: str) -> str:
        node = self.page.locator(selector).first
        node.wait_for(state="visible")
        box = node.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= self.page.evaluate("window.innerHeight")
        return node.inner_text()

    def current(self) -> int:
        return int(self.page.get_attribute("article.cand.current", "data-id"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_analyst_reviews_by_keyboard_and_rejects_several_at_once(browser, live_server, zone, worker_key,  # noqa: F811
                                                                     people, empty_history_after, language):
    cam = zone.camera
    cam.frame_width, cam.frame_height = 640, 360
    cam.save()
    now = timezone.now()
    for i, box in enumerate(BOXES):  # the first is the newest
        data = candidate(zone, track_id=10 + i, key=str(i), box=box, **{"class": "bus" if i == 0 else "car"},
                         last_seen_at=(now - dt.timedelta(seconds=i)).isoformat())
        picture = snapshot(synth.background(), box, synth.NO_PARKING, f"#{10 + i}")
        assert post(worker_key, data, snapshot=picture, strip=clip(box)).status_code == 201
    ids = [CandidateEvent.objects.get(track_id=10 + i).pk for i in range(len(BOXES))]
    words = WORDS[language]

    page = watched_page(browser, live_server, locale=LOCALES[language])
    view = Review(page, language)
    log_in(page, live_server, "analyst", "pw-analyst", "/vision/")
    page.wait_for_selector(f"#candidate-{ids[0]}.current")
    page.wait_for_selector(f"#candidate-{ids[0]} .player[data-frames='4']")
    assert words["alerts"] in page.inner_text("#tab-alerts") and words["bus"] in page.inner_text(f"#candidate-{ids[0]} h2")
    view.look("review")

    page.keyboard.press("?")
    assert words["help"] in view.in_view("#help")
    view.look("shortcuts")
    page.keyboard.press("Escape")
    assert page.is_hidden("#help")

    first = f"#candidate-{ids[0]}"
    page.keyboard.press("ArrowRight")
    assert page.inner_text(f"{first} .frame-no") == words["frame2"]
    page.keyboard.press("p")
    for _ in range(30):  # it plays: the frame moves on (no eval under the page's CSP)
        if page.input_value(f"{first} .scrub") != "1":
            break
        page.wait_for_timeout(200)
    assert page.input_value(f"{first} .scrub") != "1"
    page.keyboard.press("p")
    paused = page.input_value(f"{first} .scrub")
    page.wait_for_timeout(900)
    assert page.input_value(f"{first} .scrub") == paused
    view.look("clip-played")

    page.click(f"{first} input[name=description]")
    page.keyboard.type("jc")  # typed into the field: no move, no confirm
    assert page.input_value(f"{first} input[name=description]") == "jc" and view.current() == ids[0]
    assert CandidateEvent.objects.get(pk=ids[0]).status == "pending"
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert view.current() == ids[1]
    page.keyboard.press("k")
    assert view.current() == ids[0]

    with page.expect_navigation():
        page.keyboard.press("c")
    assert words["confirmed"] in view.in_view(".messages li.success").lower()
    confirmed = CandidateEvent.objects.get(pk=ids[0])
    assert confirmed.status == "confirmed" and Case.objects.get(pk=confirmed.case_id).description.startswith("jc")

    page.wait_for_selector(f"#candidate-{ids[1]}.current")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.select_option(f"#candidate-{ids[1]} form.reject select[name=reason]", "not_violation")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert words["rejected"] in view.in_view(".messages li.success").lower()
    assert CandidateEvent.objects.get(pk=ids[1]).reject_reason == "not_violation"

    page.wait_for_selector(f"#candidate-{ids[2]}.current")
    for _ in range(3):
        page.keyboard.press("x")
        page.keyboard.press("j")
    # a colleague rejects one of the selected meanwhile
    review.reject_visit(people.admin, CandidateEvent.objects.get(pk=ids[3]), reason="duplicate")
    page.select_option("#bulk-reason", "false_detection")
    page.click("#bulk-reject")
    assert words["bulk"] in view.in_view("#bulk-result")
    for pk in (ids[2], ids[4]):
        assert CandidateEvent.objects.get(pk=pk).reject_reason == "false_detection"
        assert page.is_visible(f"#candidate-{pk}.done .outcome.success")
    assert CandidateEvent.objects.get(pk=ids[3]).reject_reason == "duplicate"
    assert page.locator(f"#candidate-{ids[3]} .outcome.error").inner_text()
    assert page.is_checked(f"#candidate-{ids[3]} input.pick")
    view.look("bulk-rejected")
    assert page.foreign_requests == []
    page.context.close()
