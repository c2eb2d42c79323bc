"""The Django half: ingest with a worker key, the review queue, confirm into a case or reject."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.builders import client_for
from tests.vision.conftest import calibration, jpeg
from urbanmgmt.cases.models import Case, CaseMedia
from vision.models import Camera, CandidateEvent, Zone
from vision.services import calibrate

pytestmark = pytest.mark.django_db


def candidate(for_zone, **changes):
    now = timezone.now()
    data = {"camera": for_zone.camera.code, "zone": for_zone.pk, "rule": "illegal_parking", "class": "car", "track_id": 7,
            "started_at": (now - dt.timedelta(seconds=40)).isoformat(), "last_seen_at": now.isoformat(),
            "score": 0.87, "box": [400, 180, 560, 290], "frame_size": [640, 360],
            "people": [[100, 150, 140, 280]], "key": "k"}
    data.update(changes)
    return data


def post(worker_key, data, snapshot=None, strip=None, key=None, frame=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key or worker_key.plain_key}", HTTP_ACCEPT_LANGUAGE="en")
    files = {"data": json.dumps(data), "snapshot": _file(snapshot or jpeg(), "snapshot.jpg")}
    if strip is not None:
        files["strip"] = _file(strip, "strip.jpg")
    if frame is not None:
        files["frame"] = _file(frame, "frame.jpg")
    return client.post("/api/v1/vision/ingest/", files, format="multipart")


def _file(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_a_candidate_is_recorded_once_with_its_ground_point_in_the_city(zone, worker_key):
    data = candidate(zone)
    first = post(worker_key, data, strip=jpeg(720, 180))
    again = post(worker_key, data)
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json()["id"] == again.json()["id"]
    c = CandidateEvent.objects.get()
    assert c.point is not None and not c.outside_area and c.strip
    assert c.anchor == [480.0, 290.0]
    assert Camera.objects.get().frame_width == 640


@pytest.mark.parametrize("change, message", [
    ({"camera": "NOPE"}, "Unknown camera"),
    ({"zone": 999999}, "has no zone"),
    ({"box": [600, 100, 700, 200]}, "outside the 640 × 360 frame"),
    ({"box": [300, 200, 200, 100]}, "outside"),
    ({"last_seen_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()}, "future"),
    ({"started_at": "yesterday"}, "ISO 8601"),
    ({"score": 3}, "out of range"),
    ({"frame_size": [1280, 720]}, None),  # differs from the camera's recorded size (second post)
])
def test_bad_candidates_are_refused_with_a_reason_and_nothing_is_written(zone, worker_key, change, message):
    if change.get("frame_size"):
        Camera.objects.update(frame_width=640, frame_height=360)
        message = "sends 640 × 360 frames"
    answer = post(worker_key, candidate(zone, **change))
    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    assert not CandidateEvent.objects.exists()


def test_a_snapshot_that_is_not_an_image_is_refused(zone, worker_key):
    answer = post(worker_key, candidate(zone), snapshot=b"%PDF-1.4 not a picture")
    assert answer.status_code == 400 and not CandidateEvent.objects.exists()


def test_ingest_needs_a_valid_worker_key_and_people_cannot_post(zone, worker_key, people):
    assert post(worker_key, candidate(zone), key="wrong").status_code == 401
    worker_key.active = False
    worker_key.save()
    assert post(worker_key, candidate(zone)).status_code == 401
    assert client_for(people.analyst).post("/api/v1/vision/ingest/", {}).status_code == 403


def test_a_worker_key_never_starts_with_a_dash(monkeypatch):
    """It goes on a command line as `--token KEY`, where a leading "-" reads as an option
    (argparse then refuses the worker's start: seen once in 64 keys)."""
    import secrets

    from vision.models import WorkerKey

    drawn = iter(["-leading-dash-key", "plain-key"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    worker = WorkerKey(name="w")
    assert worker.new_key() == "plain-key" and worker.prefix == "plain-ke"


def test_a_worker_limited_to_some_cameras_cannot_post_for_others(zone, worker_key):
    other = Camera.objects.create(code="CAM-T2", name="other")
    worker_key.cameras.set([other])
    assert post(worker_key, candidate(zone)).status_code == 400


def test_the_worker_config_lists_cameras_zones_and_homography(zone, worker_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {worker_key.plain_key}")
    cameras = client.get("/api/v1/vision/worker/config/").json()["cameras"]
    assert cameras[0]["code"] == "CAM-T1" and len(cameras[0]["homography"]) == 3
    assert cameras[0]["zones"][0]["id"] == zone.pk and cameras[0]["zones"][0]["dwell_s"] == 15


def test_confirming_makes_a_video_case_with_the_snapshot_as_evidence(zone, worker_key, people):
    post(worker_key, candidate(zone))
    c = CandidateEvent.objects.get()
    answer = client_for(people.analyst).post(f"/api/v1/vision/candidates/{c.pk}/confirm/", {}, format="json")
    assert answer.status_code == 201, answer.content
    case = Case.objects.get(pk=answer.json()["case"])
    assert (case.channel, case.state, case.category.service_code) == ("video", "reported", "E0505")
    assert case.point.equals_exact(c.point, 1e-9) and case.external_ref == f"candidate:{c.pk}"
    media = CaseMedia.objects.get(case=case)
    assert media.kind == "snapshot" and media.sha256 == c.details["snapshot_sha256"]
    c.refresh_from_db()
    assert (c.status, c.case_id, c.reviewed_by) == ("confirmed", case.pk, people.analyst)
    assert client_for(people.analyst).post(f"/api/v1/vision/candidates/{c.pk}/confirm/").status_code == 409
    assert Case.objects.count() == 1


def test_the_published_snapshot_blurs_people_and_the_original_keeps_them(zone, worker_key):
    import io

    from django.core.files.storage import default_storage
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (640, 360), (90, 90, 90))
    ImageDraw.Draw(picture).rectangle((100, 150, 140, 280), fill=(255, 255, 255))
    ImageDraw.Draw(picture).rectangle((110, 150, 120, 280), fill=(0, 0, 0))  # sharp stripes: a "person"
    raw = io.BytesIO()
    picture.save(raw, "PNG")
    post(worker_key, candidate(zone), snapshot=raw.getvalue())
    c = CandidateEvent.objects.get()
    original = Image.open(default_storage.open(c.snapshot)).convert("L")
    shown = Image.open(default_storage.open(c.snapshot_display)).convert("L")
    assert original.getpixel((115, 200)) < 20
    assert shown.getpixel((115, 200)) > 60  # smeared by the blur
    assert abs(shown.getpixel((400, 100)) - original.getpixel((400, 100))) < 8  # the rest untouched


def test_a_candidate_outside_the_service_area_is_kept_flagged_and_cannot_be_confirmed(city, worker_key, people):
    cam = Camera.objects.create(code="CAM-FAR", name="far", calibration=calibration(
        [(20.0, 1.8), (20.8, 1.8), (20.55, 1.2), (20.25, 1.2)]))
    calibrate(cam)
    far = Zone.objects.create(camera=cam, name="z", rule="illegal_parking", polygon=[[0, 0], [640, 0], [640, 360]])
    assert post(worker_key, candidate(far)).status_code == 201
    c = CandidateEvent.objects.get()
    assert c.outside_area and c.point is not None
    answer = client_for(people.analyst).post(f"/api/v1/vision/candidates/{c.pk}/confirm/")
    assert answer.status_code == 400 and answer.json()["code"] == "outside_service_area"
    c.refresh_from_db()
    assert c.status == "pending" and not Case.objects.exists()


def test_rejecting_needs_a_reason_and_only_analysts_review(zone, worker_key, people):
    post(worker_key, candidate(zone))
    c = CandidateEvent.objects.get()
    url = f"/api/v1/vision/candidates/{c.pk}/reject/"
    assert client_for(people.dispatcher).post(url, {"reason": "duplicate"}).status_code == 403
    assert client_for(people.analyst).post(url, {"reason": "other"}).status_code == 400
    assert client_for(people.analyst).post(url, {"reason": "false_detection"}).status_code == 200
    c.refresh_from_db()
    assert (c.status, c.reject_reason) == ("rejected", "false_detection")


def test_the_map_gets_the_candidates_behind_a_case(zone, worker_key, people):
    post(worker_key, candidate(zone))
    c = CandidateEvent.objects.get()
    case_id = client_for(people.analyst).post(f"/api/v1/vision/candidates/{c.pk}/confirm/").json()["case"]
    rows = client_for(people.dispatcher).get(f"/api/v1/vision/candidates/?case={case_id}").json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["camera"], row["rule"], row["class"], row["case"]) == ("CAM-T1", "illegal_parking", "car", case_id)
    assert row["snapshot_url"].startswith("/media/evidence/display/") and "sig=" in row["snapshot_url"]
    assert row["original_url"] is None  # originals are for the analysts
    # A department sees the candidates of its own cases only (this case is not dispatched to it).
    assert client_for(people.handler).get(f"/api/v1/vision/candidates/?case={case_id}").status_code == 404
    assert client_for(people.handler).get("/api/v1/vision/candidates/").status_code == 403
    image = client_for(people.dispatcher).get(row["snapshot_url"])
    assert image.status_code == 200


def test_the_review_queue_page_confirms_and_shows_precision(zone, worker_key, people, client):
    post(worker_key, candidate(zone))
    post(worker_key, candidate(zone, track_id=8))
    client.force_login(people.analyst)
    page = client.get("/vision/")
    text = page.content.decode()
    assert page.status_code == 200 and "candidate-" in text
    first, second = CandidateEvent.objects.order_by("id")
    client.post(f"/vision/candidates/{first.pk}/review/", {"action": "confirm", "category": "E0505"})
    client.post(f"/vision/candidates/{second.pk}/review/", {"action": "reject", "reason": "not_violation"})
    table = client_for(people.manager).get("/api/v1/vision/precision/").json()["results"]
    assert table == [{"camera": "CAM-T1", "camera_name": "测试路口", "rule": "illegal_parking",
                      "rule_display": table[0]["rule_display"], "candidates": 2, "confirmed": 1, "rejected": 1,
                      "pending": 0, "precision": 0.5}]
    client.force_login(people.inspector)
    assert client.get("/vision/").status_code == 403


def test_a_zone_drawn_on_the_camera_page_is_saved(camera, people, client):
    client.force_login(people.analyst)
    assert client.get(f"/vision/cameras/{camera.pk}/").status_code == 200
    client.post(f"/vision/cameras/{camera.pk}/", {"name": "摊点区", "rule": "vending", "dwell_s": "30",
                                                  "polygon": "[[0,200],[200,200],[200,350]]"})
    assert camera.zones.filter(name="摊点区", rule="vending").exists()
    client.post(f"/vision/cameras/{camera.pk}/", {"name": "bad", "rule": "present", "polygon": "[[0,0],[1,1],[2,0]]"})
    assert not camera.zones.filter(name="bad").exists()  # "present" needs its classes


def test_the_demo_cameras_are_calibrated_over_the_city_once(city):
    from demo.cameras import load_vision_demo

    assert load_vision_demo(log=lambda *_: None, candidates=False) == 2
    assert load_vision_demo(log=lambda *_: None, candidates=False) == 2
    cam = Camera.objects.get(code="HZ-CAM-01")
    assert cam.reprojection_error_m < 0.01 and cam.zones.count() == 2


def test_the_queue_says_what_its_count_and_its_empty_list_are_about(zone, worker_key, people, client):
    """A walk read "2 个候选事件待审核" above a list filtered down to nothing, which said "没有待审核的
    候选事件" (also when it asked for confirmed ones): the count is the whole backlog, and says
    so under filters; an empty filtered list says the filters matched nothing."""
    import re

    post(worker_key, candidate(zone))
    post(worker_key, candidate(zone, track_id=8))
    client.force_login(people.analyst)

    def said(query: str) -> tuple[str, str]:
        html = client.get(f"/vision/{query}").content.decode()
        count = re.search(r'<p id="pending-count">([^<\n]+)', html).group(1).strip()
        empty = re.search(r'<p id="queue-empty">([^<]+)</p>', html)
        return count, empty.group(1) if empty else ""

    assert said("") == ("2 个候选事件待审核。", "")
    assert said("?rule=vending") == ("不论筛选条件，共有 2 个候选事件待审核。", "没有符合筛选条件的候选事件。")
    assert said("?state=confirmed") == ("不论筛选条件，共有 2 个候选事件待审核。", "没有符合筛选条件的候选事件。")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert said("?rule=vending") == ("2 candidates wait for review in all, whatever the filters.",
                                     "No candidate matches these filters.")


def test_a_reviewed_candidate_says_what_became_of_it_and_cannot_be_picked_again(zone, worker_key, people, client):
    """A walk could tick reviewed candidates for the bulk reject, which then refused them; the
    note typed with a reject was never shown again; a confirmed one named its case without its
    state (the analyst has no case page to follow)."""
    import re

    post(worker_key, candidate(zone))
    post(worker_key, candidate(zone, track_id=8))
    first, second = CandidateEvent.objects.order_by("id")
    client.force_login(people.analyst)
    client.post(f"/vision/candidates/{first.pk}/review/", {"action": "confirm", "category": "E0505"})
    client.post(f"/vision/candidates/{second.pk}/review/", {"action": "reject", "reason": "duplicate",
                                                            "note": "同一辆车，CAM-01 已报"})
    html = client.get("/vision/?state=all").content.decode()
    assert 'class="pick"' not in html and 'id="bulk"' not in html
    assert "同一辆车，CAM-01 已报" in html
    case = Case.objects.get()
    assert re.search(rf'<p class="case-line">案件 {case.code} · 已上报</p>', html)
    client.force_login(people.admin)  # an admin reviews too, and may open the case on the map
    html = client.get("/vision/?state=all").content.decode()
    assert f'<a class="case-link" href="/map/?case={case.code}">{case.code}</a>' in html


def test_the_queue_writes_its_camera_list_and_precision_as_the_rest_of_the_ui(zone, worker_key, people, client):
    """The Chinese queue wrote "摄像头:" with an ASCII colon and its precision as "100 %"."""
    post(worker_key, candidate(zone))
    first = CandidateEvent.objects.get()
    client.force_login(people.analyst)
    client.post(f"/vision/candidates/{first.pk}/review/", {"action": "confirm", "category": "E0505"})
    html = client.get("/vision/").content.decode()
    assert "摄像头：" in html and "摄像头:" not in html
    assert "<td>100.0%</td>" in html and "100 %" not in html
