"""The department workspace: its queue by urgency, and replying with photos after the work."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.builders import client_for, report_case
from tests.photos import jpeg
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseMedia

pytestmark = pytest.mark.django_db


def dispatched(people, category, col=0.5, row=0.5):
    case = report_case(people.inspector, category, col, row)
    case = services.file(people.dispatcher, case, version=case.version)
    return services.dispatch(people.dispatcher, case, version=case.version, department=people.handler.profile.department)


def test_the_queue_sorts_by_urgency_and_shows_only_the_department(people, category):
    to_sign = dispatched(people, category)
    signed = dispatched(people, category, 1.5)
    signed = services.sign(people.handler, signed, version=signed.version)
    late = dispatched(people, category, 2.5)
    late = services.sign(people.handler, late, version=late.version)
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    returned = dispatched(people, category, 3.5)
    services.return_case(people.handler, returned, version=returned.version, reason="不归我们管")
    data = client_for(people.handler).get("/api/v1/map/queue/").json()
    ids = {name: [row["id"] for row in rows] for name, rows in data["sections"].items()}
    assert ids["to_sign"] == [to_sign.pk] and ids["overdue"] == [late.pk] and ids["waiting"] == [returned.pk]
    assert signed.pk in ids["due_soon"] + ids["in_hand"]
    assert data["sections"]["to_sign"][0]["return_until"]
    other = client_for(people.other_handler).get("/api/v1/map/queue/").json()
    assert not any(other["sections"].values())
    assert client_for(people.dispatcher).get("/api/v1/map/queue/").status_code == 403


def test_reply_with_photos_after_the_work(people, category):
    case = dispatched(people, category)
    client = client_for(people.handler)
    photo = SimpleUploadedFile("after.jpg", jpeg(), content_type="image/jpeg")
    response = client.post(f"/api/v1/cases/{case.pk}/handle/", {"version": case.version, "reply": "已清运",
                                                                 "photos": [photo]}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()["properties"]
    assert body["state"] == "handled" and body["reply"] == "已清运"
    after = CaseMedia.objects.get(case=case, kind=CaseMedia.Kind.AFTER)
    assert after.display and after.thumbnail
    event = case.events.get(action="handle")
    assert event.payload["photos"] == [after.sha256]


def test_a_reply_that_a_problem_is_fixed_needs_a_photo_after_and_a_consultation_none(people, category, settings):
    """DOMAIN §4: dispatched → handled is a reply and a photo after the work. A reply without
    one was taken (a walk found it): it is refused, with nothing changed, unless the case is a
    12345 consultation or suggestion (answered in words) or the city turns the rule off. The
    case says so, for the panel to ask for the photo."""
    from tests.cases.test_step_contract import consultation

    case = dispatched(people, category)
    client = client_for(people.handler, language="en")
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()["properties"]
    assert detail["reply_needs_photo"] is True
    response = client.post(f"/api/v1/cases/{case.pk}/handle/", {"version": case.version, "reply": "已清运"},
                           format="json")
    assert response.status_code == 400 and "photo" in response.json()["detail"]
    case.refresh_from_db()
    assert case.state == "dispatched" and not case.events.filter(action="handle").exists()
    chinese = client_for(people.handler, language="zh-hans").post(
        f"/api/v1/cases/{case.pk}/handle/", {"version": case.version, "reply": "已清运"}, format="json")
    assert chinese.json()["detail"] == "请附上至少一张处置后拍摄的照片。"
    # Who may not reply is told that, not to bring a photo.
    refused = client_for(people.dispatcher, language="en").post(f"/api/v1/cases/{case.pk}/handle/",
                                                 {"version": case.version, "reply": "已清运"}, format="json")
    assert refused.status_code in (403, 409) and "photo" not in refused.json()["detail"]

    asked = consultation(people, category)
    assert client.get(f"/api/v1/cases/{asked.pk}/").json()["properties"]["reply_needs_photo"] is False
    response = client.post(f"/api/v1/cases/{asked.pk}/handle/", {"version": asked.version, "reply": "已电话答复"},
                           format="json")
    assert response.status_code == 200, response.content

    settings.HANDLE_NEEDS_PHOTO = False
    response = client.post(f"/api/v1/cases/{case.pk}/handle/", {"version": case.version, "reply": "已清运"},
                           format="json")
    assert response.status_code == 200, response.content


def test_a_reply_with_a_broken_photo_changes_nothing(people, category):
    case = dispatched(people, category)
    broken = SimpleUploadedFile("after.jpg", b"not a jpeg at all", content_type="image/jpeg")
    response = client_for(people.handler).post(f"/api/v1/cases/{case.pk}/handle/",
                                               {"version": case.version, "reply": "已清运", "photos": [broken]},
                                               format="multipart")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "dispatched" and not CaseMedia.objects.filter(case=case).exists()
