"""The analyst's review à la Frigate: one item per object and visit (however many candidates its
zones raised), alerts apart from detections, filters by camera, rule, state and day, and
several items rejected at once, each checked and answered on its own."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.vision.conftest import jpeg
from tests.vision.test_channel import candidate, post
from urbanmgmt.cases.models import Case
from vision.models import Camera, CandidateEvent, Zone

pytestmark = pytest.mark.django_db

SQUARE = [[100, 200], [300, 200], [300, 330], [100, 330]]
BULK = "/api/v1/vision/candidates/reject/"


@pytest.fixture
def analyst_client(client, people):
    client.force_login(people.analyst)
    return client


def api_as(user, language="zh-hans"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def at(seconds_ago: float) -> str:
    return (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat()


def raise_(worker_key, zone, **changes) -> CandidateEvent:
    answer = post(worker_key, candidate(zone, **changes))
    assert answer.status_code == 201, answer.content
    return CandidateEvent.objects.get(pk=answer.json()["id"])


def item_ids(page) -> list[int]:
    return [item["c"].pk for item in page.context["items"]]


def test_a_parked_car_raised_again_is_one_review_item_confirmed_into_one_case(analyst_client, zone, worker_key):
    first = raise_(worker_key, zone, track_id=7, key="a", started_at=at(700), last_seen_at=at(640))
    # the worker lost it, found it under the same place id and raised it again after its cooldown
    again = raise_(worker_key, zone, track_id=7, key="b", started_at=at(100), last_seen_at=at(5), box=[403, 182, 562, 291])
    other = raise_(worker_key, zone, track_id=8, key="c", box=[300, 200, 420, 295])
    assert (again.visit_id, first.visit_id, other.visit_id) == (first.pk, None, None)

    page = analyst_client.get("/vision/")
    assert item_ids(page) == [other.pk, first.pk]  # newest visit first, one item per object
    assert "该目标本次停留共 2 条候选" in page.content.decode()
    answer = analyst_client.post(f"/vision/candidates/{first.pk}/review/", {"action": "confirm", "category": "E0505"})
    assert answer.status_code == 302
    first.refresh_from_db(), again.refresh_from_db()
    assert first.status == again.status == "confirmed" and first.case_id == again.case_id
    assert Case.objects.count() == 1 and Case.objects.get().external_ref == f"candidate:{first.pk}"
    assert item_ids(analyst_client.get("/vision/")) == [other.pk]


def test_the_api_confirms_and_rejects_a_whole_visit_too(zone, worker_key, people):
    """Through the API as on the page: a repeat confirmed makes no second case of its object,
    and a visit rejected by its repeat leaves nothing of it pending."""
    first = raise_(worker_key, zone, track_id=7, key="a", started_at=at(700), last_seen_at=at(640))
    again = raise_(worker_key, zone, track_id=7, key="b", started_at=at(100), last_seen_at=at(5), box=[403, 182, 562, 291])
    analyst = api_as(people.analyst)
    assert analyst.post(f"/api/v1/vision/candidates/{again.pk}/confirm/", {"category": "E0505"},
                        format="json").status_code == 201
    first.refresh_from_db(), again.refresh_from_db()
    assert first.status == again.status == "confirmed" and first.case_id == again.case_id
    assert Case.objects.count() == 1
    third = raise_(worker_key, zone, track_id=9, key="c", started_at=at(700), last_seen_at=at(640), box=[100, 200, 220, 295])
    repeat = raise_(worker_key, zone, track_id=9, key="d", started_at=at(100), last_seen_at=at(5), box=[100, 200, 220, 295])
    assert repeat.visit_id == third.pk
    answer = analyst.post(f"/api/v1/vision/candidates/{repeat.pk}/reject/", {"reason": "false_detection"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    assert set(CandidateEvent.objects.filter(pk__in=[third.pk, repeat.pk]).values_list("status", flat=True)) == {"rejected"}


def test_another_car_at_another_place_or_later_than_the_cooldown_is_its_own_visit(zone, worker_key):
    first = raise_(worker_key, zone, track_id=7, key="a", started_at=at(2000), last_seen_at=at(1900))
    later = raise_(worker_key, zone, track_id=7, key="b", started_at=at(100), last_seen_at=at(5))  # 1,800 s after
    elsewhere = raise_(worker_key, zone, track_id=7, key="c", started_at=at(1950), last_seen_at=at(1890),
                       box=[100, 200, 220, 300])  # a restarted worker's track 7 is another car
    assert later.visit_id is None and elsewhere.visit_id is None and first.visit_id is None


def test_alerts_are_kept_apart_from_detections(analyst_client, camera, zone, worker_key):
    present = Zone.objects.create(camera=camera, name="堆物区", rule="present", classes=["car"], polygon=SQUARE)
    alert = raise_(worker_key, zone, track_id=1, key="a")
    seen = raise_(worker_key, present, track_id=2, key="b", rule="present", box=[120, 220, 200, 300])
    far = Camera.objects.create(code="CAM-T2", name="未标定", stream_url="")
    far_zone = Zone.objects.create(camera=far, name="禁停区", rule="illegal_parking", polygon=SQUARE)
    outside = raise_(worker_key, far_zone, track_id=3, key="c", camera="CAM-T2")
    assert (alert.is_alert, seen.is_alert, outside.is_alert) == (True, False, False)

    page = analyst_client.get("/vision/")
    assert item_ids(page) == [alert.pk]
    assert [(t["kind"], t["count"]) for t in page.context["tabs"]] == [("alerts", 1), ("detections", 2)]
    assert set(item_ids(analyst_client.get("/vision/?kind=detections"))) == {seen.pk, outside.pk}
    rows = analyst_client.get("/api/v1/vision/candidates/?kind=detections").json()["results"]
    assert {r["id"] for r in rows} == {seen.pk, outside.pk} and {r["kind"] for r in rows} == {"detections"}


def test_the_review_is_filtered_by_camera_rule_state_and_day(analyst_client, camera, zone, worker_key, people):
    vending = Zone.objects.create(camera=camera, name="占道经营", rule="vending", polygon=SQUARE)
    other_cam = Camera.objects.create(code="CAM-T3", name="另一路口", stream_url="", homography=camera.homography)
    other_zone = Zone.objects.create(camera=other_cam, name="禁停", rule="illegal_parking", polygon=SQUARE)
    parking = raise_(worker_key, zone, track_id=1, key="a")
    stall = raise_(worker_key, vending, track_id=2, key="b", rule="vending", **{"class": "umbrella"},
                   box=[120, 220, 200, 300])
    there = raise_(worker_key, other_zone, track_id=3, key="c", camera="CAM-T3")
    yesterday = raise_(worker_key, zone, track_id=4, key="d", box=[300, 200, 420, 295],
                       started_at=at(86400 + 60), last_seen_at=at(86400))
    api_as(people.analyst).post(BULK, {"ids": [there.pk], "reason": "duplicate"}, format="json")

    def shown(query):
        return set(item_ids(analyst_client.get("/vision/" + query)))

    assert shown("") == {parking.pk, stall.pk, yesterday.pk}
    assert shown("?camera=CAM-T1&rule=vending") == {stall.pk}
    assert shown("?state=rejected") == {there.pk} and shown("?state=all&camera=CAM-T3") == {there.pk}
    today = timezone.localdate()
    assert shown(f"?day={today - dt.timedelta(days=1)}") == {yesterday.pk}
    assert shown(f"?day={today}&rule=illegal_parking") == {parking.pk}
    assert shown("?state=nonsense&rule=nonsense&day=nonsense") == {parking.pk, stall.pk, yesterday.pk}


def test_several_items_are_rejected_at_once_each_with_its_own_outcome(zone, worker_key, people):
    a = raise_(worker_key, zone, track_id=1, key="a", started_at=at(700), last_seen_at=at(640))
    a_again = raise_(worker_key, zone, track_id=1, key="a2", started_at=at(100), last_seen_at=at(5))
    b = raise_(worker_key, zone, track_id=2, key="b", box=[300, 200, 420, 295])
    done = raise_(worker_key, zone, track_id=3, key="c", box=[100, 200, 220, 300])
    api_as(people.analyst).post(f"/api/v1/vision/candidates/{done.pk}/reject/", {"reason": "duplicate"}, format="json")

    answer = api_as(people.analyst).post(BULK, {"ids": [a.pk, b.pk, done.pk, 99999], "reason": "false_detection",
                                                "note": "树影"}, format="json")
    assert answer.status_code == 200, answer.content
    outcomes = {o["id"]: o for o in answer.json()["results"]}
    assert answer.json()["rejected"] == 2
    assert outcomes[a.pk]["ok"] and sorted(outcomes[a.pk]["rejected"]) == [a.pk, a_again.pk]
    assert outcomes[b.pk]["ok"]
    assert not outcomes[done.pk]["ok"] and "已审核" in outcomes[done.pk]["error"]
    assert not outcomes[99999]["ok"] and "99999" in outcomes[99999]["error"]
    for c in (a, a_again, b):
        c.refresh_from_db()
        assert (c.status, c.reject_reason, c.review_note, c.reviewed_by) == ("rejected", "false_detection", "树影",
                                                                             people.analyst)
    done.refresh_from_db()
    assert done.reject_reason == "duplicate"  # its first review stands


@pytest.mark.parametrize("body, message", [
    ({"ids": [], "reason": "duplicate"}, "请选择要驳回的候选"),
    ({"ids": ["x"], "reason": "duplicate"}, "请用编号指定候选"),
    ({"ids": [1], "reason": "maybe"}, "驳回原因"),
    ({"ids": [1], "reason": "other"}, "驳回"),
])
def test_a_bulk_reject_that_cannot_be_done_is_refused_in_chinese_writing_nothing(zone, worker_key, people, body,
                                                                                  message):
    c = raise_(worker_key, zone)
    body = {**body, "ids": [c.pk if v == 1 else v for v in body["ids"]]}
    answer = api_as(people.analyst).post(BULK, body, format="json")
    assert answer.status_code == 400 and message in answer.content.decode(), answer.content.decode()
    assert CandidateEvent.objects.get().status == "pending"


def test_only_video_analysts_reject_several_at_once(zone, worker_key, people):
    c = raise_(worker_key, zone)
    for user in (people.dispatcher, people.handler, people.inspector):
        assert api_as(user).post(BULK, {"ids": [c.pk], "reason": "duplicate"}, format="json").status_code == 403
    assert CandidateEvent.objects.get().status == "pending"


def test_the_clip_is_served_from_the_media_store_with_its_frame_shape(analyst_client, zone, worker_key):
    answer = post(worker_key, candidate(zone), strip=jpeg(1280, 180))
    c = CandidateEvent.objects.get(pk=answer.json()["id"])
    page = analyst_client.get("/vision/")
    item = page.context["items"][0]
    assert item["aspect"] == "640x360" and item["strip"]
    assert f'data-strip="{item["strip"]}"' in page.content.decode().replace("&amp;", "&")
    served = analyst_client.get(item["strip"])
    assert served.status_code == 200 and b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    assert c.strip in item["strip"]


def test_the_review_speaks_english_to_an_english_analyst(analyst_client, zone, worker_key):
    raise_(worker_key, zone, **{"class": "bus"})
    analyst_client.cookies["django_language"] = "en"
    page = analyst_client.get("/vision/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alerts" in page and "Keyboard shortcuts" in page and "Illegal parking · bus" in page
    assert "告警" not in page and "公交车" not in page
