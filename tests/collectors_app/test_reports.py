"""城管通 API: reports with photos, idempotent by the client's UUID, bad input refused whole."""

import datetime as dt
import io
import threading
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from tests.builders import client_for as _client
from tests.builders import point_in
from tests.photos import jpeg, now_local
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia

pytestmark = pytest.mark.django_db
URL = "/api/v1/collect/reports/"


def client_for(user):
    return _client(user, "en")


def form(photos=None, **overrides):
    point = point_in(0.5, 0.5)
    data = {"client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 8,
            "category": "E0102", "description": "路边垃圾堆放", "captured_at": now_local().isoformat()}
    data.update(overrides)
    if photos is None:
        photos = [jpeg(gps=(point.x, point.y), taken=now_local())]
    data["photos"] = [SimpleUploadedFile(f"p{i}.jpg", p, "image/jpeg") for i, p in enumerate(photos)]
    return {k: v for k, v in data.items() if v is not None}


def post(client, data):
    return client.post(URL, data, format="multipart")


def test_a_report_with_a_photo_becomes_a_case(people):
    response = post(client_for(people.inspector), form(description="井边垃圾"))
    assert response.status_code == 201, response.data
    case = Case.objects.get(pk=response.data["id"])
    assert (case.channel, case.state, case.reporter, case.description) == ("inspector", "reported", people.inspector,
                                                                          "井边垃圾")
    assert response.data["grid"] == "32070600600101" and response.data["flags"] == []
    media = case.media.get()
    assert media.kind == "before" and len(media.sha256) == 64
    assert media.metadata["exif"]["make"] == "Huawei" and media.metadata["exif"]["gps"]
    event = case.events.get()
    assert event.payload["accuracy_m"] == 8 and event.payload["photos"] == [media.sha256]


def test_the_display_copy_is_upright_and_has_no_exif(people):
    photo = jpeg(800, 600, gps=(119.16, 34.58), taken=now_local(), orientation=6)
    response = post(client_for(people.inspector), form([photo]))
    media = CaseMedia.objects.get(case_id=response.data["id"])
    with default_storage.open(media.display.name) as f:
        display = Image.open(io.BytesIO(f.read()))
    assert display.size == (600, 800) and not display.getexif()
    with default_storage.open(media.file.name) as f:
        assert f.read() == photo  # the original is kept byte for byte
    with default_storage.open(media.thumbnail.name) as f:
        assert max(Image.open(f).size) <= 320


def test_a_hundred_resends_make_one_case(people):
    client = client_for(people.inspector)
    data = form()
    answers = set()
    for _ in range(100):
        again = {k: v for k, v in data.items() if k != "photos"}
        again["photos"] = [SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")]
        response = post(client, again)
        assert response.status_code in (200, 201)
        answers.add(response.data["id"])
    assert len(answers) == 1 and Case.objects.count() == 1 and CaseMedia.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_resends_make_one_case(empty_history_after, city, people):
    from rest_framework.authtoken.models import Token

    data = form()
    photo = jpeg()
    token = Token.objects.create(user=people.inspector).key
    barrier, answers = threading.Barrier(4), []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = {k: v for k, v in data.items() if k != "photos"}
        body["photos"] = [SimpleUploadedFile("p.jpg", photo, "image/jpeg")]
        barrier.wait()
        try:
            response = client.post(URL, body, format="multipart")
            answers.append((response.status_code, response.data.get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 4 and len({a[1] for a in answers}) == 1, answers
    assert sorted(a[0] for a in answers).count(201) == 1
    assert Case.objects.count() == 1 and CaseMedia.objects.count() == 1


def test_the_same_photo_in_another_report_is_flagged(people):
    photo = jpeg(gps=(point_in(0.5, 0.5).x, point_in(0.5, 0.5).y), taken=now_local())
    client = client_for(people.inspector)
    first = post(client, form([photo])).data
    assert first["flags"] == []
    second = post(client, form([photo])).data
    assert second["flags"] == ["photo_used_before"]
    # The command centre reads which case already holds it; an inspector of other grids does not.
    media = client_for(people.dispatcher).get(f"/api/v1/cases/{second['id']}/").json()["properties"]["media"]
    assert media[0]["same_photo_in"] == [{"id": first["id"], "code": Case.objects.get(pk=first["id"]).code}]
    earlier = client_for(people.dispatcher).get(f"/api/v1/cases/{first['id']}/").json()["properties"]["media"]
    assert earlier[0]["same_photo_in"] == []  # the first of them raised no doubt


def test_exif_far_from_the_point_or_hours_off_is_flagged(people):
    far = jpeg(gps=(119.30, 34.70), taken=now_local() - dt.timedelta(hours=5))
    flags = post(client_for(people.inspector), form([far])).data["flags"]
    assert flags == ["exif_gps_far", "exif_time_off"]


def _refused(people, data, words, status=400):
    response = post(client_for(people.inspector), data)
    assert response.status_code == status, response.data
    assert words in str(response.data), response.data
    assert not Case.objects.exists() and not CaseEvent.objects.exists() and not CaseMedia.objects.exists()


def test_a_point_outside_the_service_area_is_refused(people):
    _refused(people, form(lon=121.47, lat=31.23), "outside the service area")


def test_an_unknown_category_is_refused(people):
    _refused(people, form(category="E9999"), "E9999")


@pytest.mark.parametrize("accuracy,words", [(None, "accuracy is missing"), (-3, "positive"),
                                            (250, "place the point on the map by hand")])
def test_a_missing_negative_or_poor_accuracy_is_refused(people, accuracy, words):
    data = form()
    data.pop("accuracy_m")
    if accuracy is not None:
        data["accuracy_m"] = accuracy
    _refused(people, data, words)


def test_a_poor_fix_placed_by_hand_is_accepted(people):
    response = post(client_for(people.inspector), form(accuracy_m=250, placed_by_hand="true"))
    assert response.status_code == 201
    assert Case.objects.get().events.get().payload["placed_by_hand"] is True


@pytest.mark.parametrize("lon,lat", [("nan", 34.58), (119.16, "inf"), ("abc", 34.58)])
def test_impossible_coordinates_are_refused(people, lon, lat):
    _refused(people, form(lon=lon, lat=lat), "")


def test_a_capture_time_in_the_future_is_refused(people):
    _refused(people, form(captured_at=(now_local() + dt.timedelta(hours=2)).isoformat()), "future")


def test_too_many_photos_are_refused(people):
    _refused(people, form([jpeg()] * 7), "At most 6 photos")


def test_no_photo_is_refused(people):
    _refused(people, form([]), "at least one photo")


def test_a_photo_too_large_is_refused(people, settings):
    settings.PHOTO_MAX_BYTES = 20_000
    _refused(people, form([jpeg(1200, 900, noise=True)]), "larger than")


def test_a_text_file_disguised_as_a_photo_is_refused(people):
    _refused(people, form([b"MZ\x90\x00 definitely not a jpeg" * 50]), "not a photo")


def test_a_truncated_photo_is_refused(people):
    _refused(people, form([jpeg(800, 600, noise=True)[:20_000]]), "damaged or incomplete")


def test_a_decompression_bomb_is_refused(people):
    bomb = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(bomb, "PNG")
    _refused(people, form([bomb.getvalue()]), "")


def test_a_gif_is_refused_with_the_formats_we_take(people):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    _refused(people, form([gif.getvalue()]), "JPEG, PNG or WebP")


def test_only_inspectors_report_here(people):
    assert post(client_for(people.dispatcher), form()).status_code == 403
    assert APIClient().post(URL, form(), format="multipart").status_code in (401, 403)


def test_my_reports_show_states_and_the_rejection_reason(people):
    from urbanmgmt.cases import services

    client = client_for(people.inspector)
    case = Case.objects.get(pk=post(client, form()).data["id"])
    services.reject(people.dispatcher, case, version=1, reason_code="duplicate", reason="与上一件重复")
    mine = client.get(URL).data["results"]
    assert mine[0]["state"] == "rejected" and mine[0]["reject_note"] == "与上一件重复"
    assert mine[0]["reject_reason_display"] and mine[0]["thumbnail"].startswith("/media/evidence/thumb/")
    assert APIClient().get(mine[0]["thumbnail"]).status_code == 200  # a signed link works without a session
    assert APIClient().get(mine[0]["thumbnail"].split("?")[0]).status_code == 302  # without, it does not


def test_me_tells_the_app_its_limits(people):
    data = client_for(people.inspector).get("/api/v1/collect/me/").data
    assert data["accuracy_max_m"] == 100 and data["max_photos"] == 6 and data["grids"] == 12


def test_originals_are_for_staff_and_display_copies_for_the_reporter_too(people):
    from django.test import Client

    response = post(client_for(people.inspector), form())
    media = CaseMedia.objects.get(case_id=response.data["id"])
    inspector, dispatcher = Client(), Client()
    inspector.force_login(people.inspector)
    dispatcher.force_login(people.dispatcher)
    assert inspector.get(f"/media/{media.display.name}").status_code == 200
    assert inspector.get(f"/media/{media.file.name}").status_code == 404
    assert dispatcher.get(f"/media/{media.file.name}").status_code == 200


def test_a_new_report_looks_its_client_uuid_up_once(people):
    from django.test.utils import CaptureQueriesContext

    data = form()
    with CaptureQueriesContext(connection) as queries:
        assert post(client_for(people.inspector), data).status_code == 201
    lookups = [q["sql"] for q in queries.captured_queries
               if q["sql"].lstrip().upper().startswith("SELECT") and data["client_uuid"] in q["sql"]]
    assert len(lookups) == 1, lookups
