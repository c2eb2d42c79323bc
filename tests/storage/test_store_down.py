"""The store goes down while a report comes in: the report is refused whole, in the user's
language, with nothing recorded; once the store is back the same report is taken once."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.builders import client_for, point_in
from tests.photos import jpeg, now_local
from tests.storage.conftest import S3Server, use_bucket
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia

pytestmark = [pytest.mark.slow, pytest.mark.django_db]  # against a moto server process
URL = "/api/v1/collect/reports/"


@pytest.fixture
def server():
    own = S3Server()  # its own process: stopping it leaves the other tests' server alone
    own.start()
    yield own
    own.stop()


def report_form(client_uuid: str, photos: list[bytes]) -> dict:
    point = point_in(0.5, 0.5)
    return {"client_uuid": client_uuid, "lon": point.x, "lat": point.y, "accuracy_m": 8, "category": "E0102",
            "description": "路边垃圾堆放", "captured_at": now_local().isoformat(), "photo_count": len(photos),
            "photos": [SimpleUploadedFile(f"p{i}.jpg", p, "image/jpeg") for i, p in enumerate(photos)]}


def test_a_report_while_the_store_is_down_is_refused_whole_and_taken_once_when_it_is_back(people, settings, server):
    bucket = use_bucket(settings, server)
    client, client_uuid = client_for(people.inspector, "zh-hans"), str(uuid.uuid4())
    point = point_in(0.5, 0.5)
    photos = [jpeg(gps=(point.x, point.y), taken=now_local()), jpeg(width=480, height=640, make="Xiaomi")]
    server.stop()

    refused = client.post(URL, report_form(client_uuid, photos), format="multipart")
    assert refused.status_code == 503 and refused.data["code"] == "media_unavailable"
    assert refused.data["detail"] == "照片存储暂时无法连接，本次提交未保存任何内容。请几分钟后重新发送。"
    assert not Case.objects.exists() and not CaseMedia.objects.exists() and not CaseEvent.objects.exists()

    server.start()  # a fresh, empty store on the same address
    server.client().create_bucket(Bucket=bucket.name)
    taken = client.post(URL, report_form(client_uuid, photos), format="multipart")
    assert taken.status_code == 201, taken.data
    again = client.post(URL, report_form(client_uuid, photos), format="multipart")
    assert again.status_code == 200 and again.data["id"] == taken.data["id"]
    case = Case.objects.get()
    media = list(case.media.all())
    assert len(media) == 2 and CaseEvent.objects.filter(case=case).count() == 1
    keys = bucket.keys()
    assert {name for m in media for name in (m.file.name, m.display.name, m.thumbnail.name)} <= keys


def test_a_store_that_dies_between_two_photos_leaves_no_case(people, settings, server):
    """The first photo's files are in the bucket when the store goes; the report is still
    refused whole, and no row names those files (the sweep's to delete)."""
    from urbanmgmt.cases import services
    from urbanmgmt.cases.photos import read_photo
    from urbanmgmt.storage import MediaUnavailable

    bucket = use_bucket(settings, server)
    first, second = read_photo(jpeg(), "a.jpg"), read_photo(jpeg(make="Oppo"), "b.jpg")
    store, stored = first.store, []

    def store_then_die():
        paths = store()
        stored.extend(bucket.keys())
        server.stop()
        return paths

    first.store = store_then_die
    with pytest.raises(MediaUnavailable):
        services.report(people.inspector, channel="inspector", point=point_in(0.5, 0.5), description="两张照片",
                        evidence=[services.Evidence(photo=first), services.Evidence(photo=second)])
    assert set(first.paths().values()) == set(stored)
    assert not Case.objects.exists() and not CaseMedia.objects.exists() and not CaseEvent.objects.exists()
