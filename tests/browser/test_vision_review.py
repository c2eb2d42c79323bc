"""The video analyst's pages in a real browser (Debian's Chromium): the review queue, where a
candidate posted through the real ingest API is confirmed into a case (category pre-filled,
a description added) and another is rejected with a reason; and the zone-drawing page, where
a zone is drawn by clicking its corners on the camera's picture. Nothing leaves the server."""

import pytest

from demo import synth
from tests.browser.conftest import log_in
from tests.vision.conftest import camera, media_root, worker_key, zone  # noqa: F401 - the video channel's fixtures
from tests.vision.test_channel import candidate, post
from urbanmgmt.cases.models import Case
from vision.models import CandidateEvent
from vision.worker.output import snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def street_snapshot(box) -> bytes:
    return snapshot(synth.background(), box, synth.NO_PARKING, "car #7 0.87")


def test_the_analyst_confirms_one_candidate_into_a_case_and_rejects_another(page, live_server, zone, worker_key,  # noqa: F811
                                                                             people, empty_history_after):
    first, second = candidate(zone, track_id=7, key="a"), candidate(zone, track_id=8, key="b", box=[300, 200, 420, 295])
    assert post(worker_key, first, snapshot=street_snapshot(first["box"])).status_code == 201
    assert post(worker_key, second, snapshot=street_snapshot(second["box"])).status_code == 201
    confirm_me, reject_me = CandidateEvent.objects.get(track_id=7), CandidateEvent.objects.get(track_id=8)

    log_in(page, live_server, "analyst", "pw-analyst", "/vision/")
    page.wait_for_selector(f"#candidate-{confirm_me.pk}")
    assert page.locator("article.cand").count() == 2
    # the snapshots are served (signed, protected media) and are real pictures
    # (pictures below the first load lazily: bring the card into view first)
    page.locator(f"#candidate-{confirm_me.pk} img").first.scroll_into_view_if_needed()
    page.wait_for_function("(id) => document.querySelector(`#candidate-${id} img`).complete", arg=confirm_me.pk)
    assert page.eval_on_selector(f"#candidate-{confirm_me.pk} img", "img => img.complete && img.naturalWidth") == 640

    card = page.locator(f"#candidate-{confirm_me.pk}")
    category = card.locator("select[name=category]").input_value()
    assert category == zone.default_category_code()  # pre-filled from the rule
    card.locator("input[name=description]").fill("公交车停在禁停区")
    card.locator("button[name=confirm]").click()
    page.wait_for_selector(".messages li.success")
    confirm_me.refresh_from_db()
    assert confirm_me.status == "confirmed" and confirm_me.case is not None
    case = Case.objects.get(pk=confirm_me.case_id)
    assert case.channel == "video" and case.category.service_code == category and "公交车停在禁停区" in case.description
    assert case.code in page.locator(".messages li.success").inner_text()
    assert page.locator(f"#candidate-{confirm_me.pk}").count() == 0  # gone from the queue

    card = page.locator(f"#candidate-{reject_me.pk}")
    card.locator("select[name=reason]").select_option("not_violation")
    card.locator("input[name=note]").fill("临时停靠上下客")
    card.locator("button[name=reject]").click()
    page.wait_for_selector(f"#candidate-{reject_me.pk}", state="detached")
    reject_me.refresh_from_db()
    assert (reject_me.status, reject_me.reject_reason, reject_me.case) == ("rejected", "not_violation", None)
    assert Case.objects.count() == 1
    assert page.locator("article.cand").count() == 0
    assert page.foreign_requests == []


def test_the_analyst_draws_a_zone_on_the_camera_picture(page, live_server, camera, people, empty_history_after):  # noqa: F811
    camera.frame_width, camera.frame_height = 640, 360
    camera.save()
    log_in(page, live_server, "analyst", "pw-analyst", f"/vision/cameras/{camera.pk}/")
    canvas = page.wait_for_selector("#zone-canvas")
    page.wait_for_load_state("load")  # the canvas may be parsed before camera.js listens for clicks
    box = canvas.bounding_box()
    corners = [(100, 200), (300, 200), (300, 330), (100, 330)]  # frame pixels
    for x, y in corners:
        canvas.click(position={"x": x * box["width"] / 640, "y": y * box["height"] / 360})
    page.fill("#zone-form input[name=name]", "人行道禁停")
    page.select_option("#zone-form select[name=rule]", "bicycles")
    page.fill("#zone-form input[name=dwell_s]", "120")
    page.click("#zone-form button[type=submit]")
    page.wait_for_selector(".messages li.success")
    drawn = camera.zones.get(name="人行道禁停")
    assert drawn.rule == "bicycles" and drawn.dwell_s == 120
    assert len(drawn.polygon) == 4
    for (x, y), (px, py) in zip(corners, drawn.polygon, strict=True):
        assert abs(px - x) <= 2 and abs(py - y) <= 2
    assert page.foreign_requests == []
