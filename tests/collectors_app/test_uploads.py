"""Uploads keep every byte or say why not: real HTTP multipart bodies (requests) against the
live server, phone-size photos, bodies at and over the limit, bodies cut on the way."""

import hashlib
import json
import socket
import urllib.parse
import uuid

import pytest
import requests
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token

from tests.builders import point_in, report_case
from tests.photos import jpeg, now_local
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseMedia

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MB = 2**20


def phone_photo(n: int, megabytes: float) -> bytes:
    """A noisy JPEG of about `megabytes` (noise compresses like a detailed photo); `n` makes
    its bytes, and so its hash, its own."""
    side = int((megabytes / 7.56) ** 0.5 * 3000)
    return jpeg(side, side * 3 // 4, noise=True, quality=95, make=f"Phone {n}", taken=now_local())


class Api:
    def __init__(self, live_server, user, language="en"):
        self.base = live_server.url + "/api/v1"
        self.headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
        if language:
            self.headers["Accept-Language"] = language

    def post(self, path, fields, photos=(), **extra):
        files = [("photos", (f"IMG_{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
        return requests.post(self.base + path, data=fields, files=files or None, headers=self.headers, timeout=120,
                             **extra)

    def cut(self, path, fields, photos, keep: int, declared: int | None = None) -> tuple[int, dict]:
        """The request as requests would send it, but only its first `keep` bytes of body,
        with Content-Length `declared` (the whole body's unless given); the connection's
        sending side is then closed, as a dropped link or a truncating proxy leaves it."""
        files = [("photos", (f"IMG_{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
        prepared = requests.Request("POST", self.base + path, data=fields, files=files, headers=self.headers).prepare()
        body = prepared.body
        url = urllib.parse.urlsplit(prepared.url)
        head = [f"POST {url.path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close",
                f"Content-Length: {len(body) if declared is None else declared}"]
        head += [f"{k}: {v}" for k, v in prepared.headers.items() if k.lower() != "content-length"]
        with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[:keep])
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        return status, json.loads(answer.split(b"\r\n\r\n", 1)[1] or b"{}")


def report_fields(**overrides) -> dict:
    point = point_in(0.5, 0.5)
    fields = {"client_uuid": str(uuid.uuid4()), "lon": point.x, "lat": point.y, "accuracy_m": 8,
              "category": "E0102", "description": "路边垃圾堆放", "captured_at": now_local().isoformat()}
    return {**fields, **overrides}


def stored(media: CaseMedia) -> str:
    with default_storage.open(media.file.name) as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def live(empty_history_after, people, live_server):
    return live_server


@pytest.fixture
def signed_case(people, category):
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version,
                             department=people.handler.profile.department)
    return services.sign(people.handler, case, version=case.version)


def test_a_report_with_four_phone_photos_keeps_all_four(live, people):
    photos = [phone_photo(i, size) for i, size in enumerate((6.2, 7, 8, 9))]
    assert all(6 * MB <= len(p) <= 9.5 * MB for p in photos) and sum(map(len, photos)) > 28 * MB
    response = Api(live, people.inspector).post("/collect/reports/", report_fields(), photos)
    assert response.status_code == 201, response.text
    media = CaseMedia.objects.filter(case_id=response.json()["id"])
    assert sorted(stored(m) for m in media) == sorted(hashlib.sha256(p).hexdigest() for p in photos)


def test_a_reply_with_three_phone_photos_keeps_all_three(live, people, signed_case):
    photos = [phone_photo(i, size) for i, size in enumerate((6.5, 8, 9))]
    response = Api(live, people.handler).post(f"/cases/{signed_case.pk}/handle/",
                                              {"version": signed_case.version, "reply": "已清运"}, photos)
    assert response.status_code == 200, response.text
    after = CaseMedia.objects.filter(case=signed_case, kind="after")
    assert sorted(stored(m) for m in after) == sorted(hashlib.sha256(p).hexdigest() for p in photos)


def test_a_body_at_the_limit_is_kept_and_one_byte_more_is_refused_naming_the_limit(live, people, settings):
    settings.REPORT_MAX_BYTES, settings.PHOTO_MAX_BYTES = 3 * MB, 2 * MB
    settings.UPLOAD_MAX_BYTES = 3 * MB + 4096
    photos = [phone_photo(1, 1.4), phone_photo(2, 1.4)]
    api = Api(live, people.inspector, language=None)  # the default language

    def body_of(pad: int) -> tuple[dict, int]:
        fields = {**report_fields(client_uuid="6a0e2a3c-0000-4000-8000-000000000001"), "pad": "x" * pad}
        files = [("photos", (f"IMG_{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)]
        return fields, len(requests.Request("POST", api.base, data=fields, files=files).prepare().body)

    base = body_of(0)[1]
    (at, at_size), (over, over_size) = body_of(settings.UPLOAD_MAX_BYTES - base), body_of(
        settings.UPLOAD_MAX_BYTES + 1 - base)
    assert (at_size, over_size) == (settings.UPLOAD_MAX_BYTES, settings.UPLOAD_MAX_BYTES + 1)
    refused = api.post("/collect/reports/", over, photos)
    assert refused.status_code == 413 and refused.json()["code"] == "too_large", refused.text
    assert "3.0 MB" in refused.json()["detail"] and "照片" in refused.json()["detail"]  # the limit, in Chinese
    assert not Case.objects.exists()
    response = api.post("/collect/reports/", at, photos)
    assert response.status_code == 201, response.text
    assert CaseMedia.objects.filter(case_id=response.json()["id"]).count() == 2


def test_a_reply_over_the_limit_is_refused_and_the_case_is_unchanged(live, people, signed_case):
    photos = [phone_photo(i, 8.5) for i in range(5)]
    assert sum(map(len, photos)) > 41 * MB
    response = Api(live, people.handler, language="zh-hans").post(
        f"/cases/{signed_case.pk}/handle/", {"version": signed_case.version, "reply": "已清运"}, photos)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert "40 MB" in response.json()["detail"]
    signed_case.refresh_from_db()
    assert signed_case.state == "dispatched" and signed_case.signed_at and not signed_case.media.exists()


@pytest.mark.parametrize("where", ["a photo cut short", "the closing boundary missing"])
def test_a_report_whose_body_was_cut_is_refused_whole(live, people, where):
    photos = [jpeg(800, 600, noise=True, make="A"), jpeg(800, 600, noise=True, make="B")]
    api = Api(live, people.inspector)
    full = len(requests.Request("POST", api.base, data=report_fields(), files=[
        ("photos", (f"IMG_{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)]).prepare().body)
    if where == "a photo cut short":  # the link dropped in the second photo
        status, body = api.cut("/collect/reports/", report_fields(), photos, keep=full - len(photos[1]) // 2)
    else:  # Content-Length says less than was meant: the parts all there, the end not
        keep = full - 40
        status, body = api.cut("/collect/reports/", report_fields(), photos, keep=keep, declared=keep)
    assert (status, body.get("code")) == (400, "upload_incomplete"), body
    assert "send it again" in body["detail"] and not Case.objects.exists()


def test_a_reply_cut_after_its_first_photo_is_refused_and_changes_nothing(live, people, signed_case):
    photos = [jpeg(800, 600, noise=True, make="A"), jpeg(800, 600, noise=True, make="B")]
    api = Api(live, people.handler)
    fields = {"version": signed_case.version, "reply": "已清运"}
    status, body = api.cut(f"/cases/{signed_case.pk}/handle/", fields, photos, keep=len(photos[0]) + 1500)
    assert (status, body.get("code")) == (400, "upload_incomplete"), body
    signed_case.refresh_from_db()
    assert signed_case.state == "dispatched" and signed_case.signed_at and not signed_case.media.exists()


def test_a_report_with_fewer_photos_than_it_declares_is_refused(live, people):
    response = Api(live, people.inspector).post("/collect/reports/", report_fields(photo_count=3),
                                                [jpeg(make="A"), jpeg(make="B")])
    assert response.status_code == 400 and response.json()["code"] == "upload_incomplete"
    assert "2 of the 3 photos" in response.json()["detail"] and not Case.objects.exists()


def test_a_photo_sent_without_a_file_name_is_refused_not_dropped(live, people):
    api = Api(live, people.inspector)
    photo = jpeg(make="A")
    body = requests.Request("POST", api.base, data=report_fields(), files=[
        ("photos", ("IMG_0.jpg", photo, "image/jpeg")), ("photos", ("IMG_1.jpg", jpeg(make="B"), "image/jpeg"))]
    ).prepare()
    # The second photo as a part without filename= (a text field, to Django).
    raw = body.body.replace(b'name="photos"; filename="IMG_1.jpg"', b'name="photos"')
    response = requests.post(api.base + "/collect/reports/", data=raw, timeout=60,
                             headers={**api.headers, "Content-Type": body.headers["Content-Type"]})
    assert response.status_code == 400 and response.json()["code"] == "upload_incomplete", response.text
    assert not Case.objects.exists()


def test_photos_sent_with_a_step_that_takes_none_are_refused(live, people, signed_case):
    response = Api(live, people.handler).post(f"/cases/{signed_case.pk}/return/",
                                              {"version": signed_case.version, "reason": "不归我们管"}, [jpeg()])
    assert response.status_code == 400 and "handle" in response.json()["detail"]
    signed_case.refresh_from_db()
    assert signed_case.state == "dispatched" and signed_case.signed_at


def test_a_task_result_with_two_phone_photos_keeps_both(live, people, category):
    from urbanmgmt.cases.models import InspectionTask
    from urbanmgmt.org.models import Department

    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))
    case = services.handle(people.handler, case, version=case.version, reply="已清运")
    case = services.send_for_check(people.dispatcher, case, version=case.version)
    task = InspectionTask.objects.get(case=case)
    photos = [phone_photo(i, 7) for i in range(2)]
    response = Api(live, people.inspector).post(f"/collect/tasks/{task.pk}/complete/",
                                                {"result": "fixed", "photo_count": 2}, photos)
    assert response.status_code == 200, response.text
    checks = CaseMedia.objects.filter(case=case, kind="check")
    assert sorted(stored(m) for m in checks) == sorted(hashlib.sha256(p).hexdigest() for p in photos)


@pytest.mark.parametrize("split_at", [1, 18, 35])
def test_a_closing_boundary_split_between_two_reads_is_seen(empty_history_after, people, split_at):
    """The parser reads 64 KiB at a time: a body whose closing boundary straddles two reads is whole."""
    from tests.builders import client_for

    fields = report_fields(client_uuid=str(uuid.uuid4()))
    files = [("photos", ("IMG_0.jpg", jpeg(make="A"), "image/jpeg"))]

    def body(pad: int):
        prepared = requests.Request("POST", "http://x/", data={**fields, "pad": "x" * pad}, files=files).prepare()
        return prepared.body, prepared.headers["Content-Type"]

    plain, kind = body(0)
    closing = len(plain) - len(kind.split("boundary=")[1]) - 6  # where "--boundary--\r\n" starts
    raw, kind = body(2 * 65536 - split_at - closing)
    boundary = kind.split("boundary=")[1].encode()
    assert raw.index(b"--" + boundary + b"--") == 2 * 65536 - split_at
    response = client_for(people.inspector, "en").generic("POST", "/api/v1/collect/reports/", raw, content_type=kind)
    assert response.status_code == 201, response.content
