"""The analyst's pages through Django's client: a camera's zones (refused in the user's
language keeping what was typed, changed, removed, drawn on a clean still) and the review
queue (no reason chosen in advance, the detector's classes in the user's language)."""

import json

import pytest

from demo import synth
from tests.vision.conftest import jpeg
from tests.vision.test_channel import candidate, post
from vision import models
from vision.models import Camera, CandidateEvent, Zone
from vision.worker.output import encode, snapshot

pytestmark = pytest.mark.django_db

SQUARE = [[100, 200], [300, 200], [300, 330], [100, 330]]


@pytest.fixture
def analyst_client(client, people):
    client.force_login(people.analyst)
    return client


def test_a_two_corner_zone_is_refused_in_chinese_keeping_the_typed_name_and_corners(analyst_client, camera):
    answer = analyst_client.post(f"/vision/cameras/{camera.pk}/", {
        "action": "save", "name": "人行道禁停", "rule": "bicycles", "polygon": json.dumps(SQUARE[:2]), "dwell_s": "90"})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "至少需要 3 个角点" in page and "polygon needs" not in page
    assert 'value="人行道禁停"' in page and 'value="90"' in page
    assert json.loads(answer.context["typed"]["polygon"]) == SQUARE[:2]
    assert camera.zones.count() == 1


def test_the_refusal_is_in_english_for_an_english_user(analyst_client, camera):
    analyst_client.cookies["django_language"] = "en"
    answer = analyst_client.post(f"/vision/cameras/{camera.pk}/", {
        "action": "save", "name": "Pavement", "rule": "bicycles", "polygon": "[]"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "A zone needs at least 3 corners; 0 drawn." in answer.content.decode()


def test_a_zone_is_changed_in_place_corners_and_name(analyst_client, camera, zone):
    answer = analyst_client.post(f"/vision/cameras/{camera.pk}/", {
        "action": "save", "zone": zone.pk, "name": "公交站台", "rule": "illegal_parking",
        "polygon": json.dumps(SQUARE), "dwell_s": "30"})
    assert answer.status_code == 302
    zone.refresh_from_db()
    assert (zone.name, zone.polygon, zone.dwell_s) == ("公交站台", SQUARE, 30)
    assert Zone.objects.filter(camera=camera).count() == 1


def test_a_zone_without_candidates_is_deleted_and_one_with_candidates_retired(analyst_client, camera, zone,
                                                                               worker_key):
    spare = Zone.objects.create(camera=camera, name="空区", rule="vending", polygon=SQUARE)
    assert analyst_client.post(f"/vision/cameras/{camera.pk}/", {"action": "delete", "zone": spare.pk}).status_code == 302
    assert not Zone.objects.filter(pk=spare.pk).exists()
    assert post(worker_key, candidate(zone)).status_code == 201
    analyst_client.post(f"/vision/cameras/{camera.pk}/", {"action": "delete", "zone": zone.pk})
    zone.refresh_from_db()
    assert not zone.active
    page = analyst_client.get(f"/vision/cameras/{camera.pk}/")
    assert page.context["zones"] == []


def test_zones_are_listed_with_their_names_for_the_drawing(analyst_client, camera, zone):
    Zone.objects.create(camera=camera, name="人行道", rule="bicycles", polygon=SQUARE)
    page = analyst_client.get(f"/vision/cameras/{camera.pk}/")
    drawn = json.loads(page.content.decode().split('id="zones-data" type="application/json">')[1].split("</script>")[0])
    assert [z["name"] for z in drawn] == ["禁停区", "人行道"] and all(z["id"] for z in drawn)


def test_the_drawing_background_is_a_clean_frame_not_a_snapshot_with_a_box(analyst_client, camera, zone, worker_key):
    clean = synth.background()
    boxed = snapshot(clean, [400, 180, 560, 290], synth.NO_PARKING, "car #7 0.87")
    assert post(worker_key, candidate(zone), snapshot=boxed, frame=encode(clean)).status_code == 201
    camera.refresh_from_db()
    assert camera.snapshot.name.startswith("vision/cameras/")
    still = analyst_client.get(analyst_client.get(f"/vision/cameras/{camera.pk}/").context["still"])
    assert b"".join(still.streaming_content) == camera.snapshot.read()
    assert CandidateEvent.objects.get().snapshot not in camera.snapshot.name
    # a later frame does not replace the still
    assert post(worker_key, candidate(zone, track_id=9), frame=jpeg()).status_code == 201
    assert Camera.objects.get(pk=camera.pk).snapshot.name == camera.snapshot.name


def test_without_a_clean_frame_no_candidate_snapshot_is_drawn_on(analyst_client, camera, zone, worker_key):
    assert post(worker_key, candidate(zone)).status_code == 201
    assert analyst_client.get(f"/vision/cameras/{camera.pk}/").context["still"] == ""


def test_the_reject_reason_must_be_chosen_and_classes_are_in_chinese(analyst_client, zone, worker_key):
    assert post(worker_key, candidate(zone, **{"class": "bus"})).status_code == 201
    page = analyst_client.get("/vision/").content.decode()
    reasons = page.split('name="reason"')[1].split("</select>")[0]
    assert "required" in reasons.split(">")[0]
    assert '<option value="" selected>' in reasons and "selected" not in reasons.split('<option value="" selected>')[1]
    assert "公交车" in page and "· bus" not in page
    assert models.object_class_label("car") == "小汽车" and models.object_class_label("dining table") == "桌子"


def test_an_unchosen_reason_is_refused(analyst_client, zone, worker_key):
    assert post(worker_key, candidate(zone)).status_code == 201
    pk = CandidateEvent.objects.get().pk
    answer = analyst_client.post(f"/vision/candidates/{pk}/review/", {"action": "reject", "reason": ""}, follow=True)
    assert "请选择" in answer.content.decode() or "选择" in answer.content.decode()
    assert CandidateEvent.objects.get().status == "pending"


def test_the_api_gives_the_class_in_the_users_language(analyst_client, zone, worker_key):
    assert post(worker_key, candidate(zone, **{"class": "truck"})).status_code == 201
    row = analyst_client.get("/api/v1/vision/candidates/").json()["results"][0]
    assert (row["class"], row["class_display"]) == ("truck", "货车")


@pytest.mark.parametrize(("language", "nothing_yet"), [("zh-hans", ["尚无候选。", "尚无审核记录。"]),
                                                       ("en", ["No candidate yet.", "No candidate reviewed yet."])])
def test_an_empty_queue_says_so_under_each_heading(analyst_client, language, nothing_yet):
    analyst_client.cookies["django_language"] = language
    page = analyst_client.get("/vision/").content.decode()
    assert all(words in page for words in nothing_yet), nothing_yet


def test_the_camera_page_tells_its_health(analyst_client, camera, zone, worker_key):
    """A walk found nothing on a camera's page about whether it is working: its open alerts
    (covered, moved, out of focus), when a worker reading it last called in, its latest
    candidate are there now, in the page's language."""
    import datetime as dt

    from django.utils import timezone

    page = analyst_client.get(f"/vision/cameras/{camera.pk}/").content.decode()
    assert "无告警：未被遮挡、未移位、未失焦。" in page and "尚无读取此摄像头的视频分析程序联系过。" in page
    post(worker_key, candidate(zone))  # the worker calls in with a candidate
    since = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    models.CameraAlert.objects.create(camera=camera, state="covered", since=since, raised_at=since)
    page = analyst_client.get(f"/vision/cameras/{camera.pk}/").content.decode()
    assert f'<li class="flag">摄像头被遮挡 · 自 {since:%Y-%m-%d %H:%M} 起</li>' in page, page[page.find("camera-health"):][:900]
    assert "读取此摄像头的视频分析程序最近一次联系：" in page and "最近一次候选事件：" in page
    analyst_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Camera covered · since" in analyst_client.get(f"/vision/cameras/{camera.pk}/").content.decode()
