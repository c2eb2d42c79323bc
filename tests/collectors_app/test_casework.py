"""The app's views of cases (issue #15, Inspector): a task's photos, the badge's count, one
of my reports opened, and 已有人上报？ (open cases nearby, adding my photos to one)."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.builders import client_for, make_person, point_in, report_case
from tests.photos import jpeg
from urbanmgmt.cases import services
from urbanmgmt.cases.models import Case, CaseEvent, CaseMedia, InspectionTask
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.catalog.models import Category
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def evidence(kind="before", width=800):
    return [services.Evidence(photo=read_photo(jpeg(width, 600), "p.jpg"), kind=kind)]


def with_photo(actor, category, col=0.5, row=0.5, **kwargs):
    return report_case(actor, category, col, row, evidence=evidence(), **kwargs)


def checking(people, category, checker):
    case = with_photo(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version,
                             department=Department.objects.get(code="HZ-HWC"))
    case = services.handle(people.handler, case, version=case.version, reply="已清运",
                           evidence=evidence("after", 900))
    return services.send_for_check(people.dispatcher, case, version=case.version, checker=checker)


def loads(url: str) -> bool:
    """The signed link opens the image with no session (as the app's <img> does)."""
    response = Client().get(url)
    return response.status_code == 200 and response["Content-Type"].startswith("image/")


def test_a_check_task_shows_the_report_photo_and_the_departments_after_photo_to_its_inspector(people, category):
    checker = make_person("far_checker", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    checking(people, category, checker)
    [task] = client_for(checker, "zh-hans").get("/api/v1/collect/tasks/").data["results"]
    photos = task["case"]["photos"]
    assert [p["kind"] for p in photos] == ["before", "after"]
    assert all(loads(p["display"]) and loads(p["thumbnail"]) for p in photos)
    assert task["case"]["reply"] == "已清运"


def test_the_named_checker_outside_the_grids_sees_the_case_and_its_photos_with_a_session(people, category):
    checker = make_person("far_checker", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    case = checking(people, category, checker)
    assert Case.objects.visible_to(checker).filter(pk=case.pk).exists()
    browser = Client()
    browser.force_login(checker)
    for media in CaseMedia.objects.filter(case=case):
        assert browser.get(media.display.url).status_code == 200


def test_the_tasks_badge_counts_my_open_tasks(people, category):
    api = client_for(people.inspector)
    assert api.get("/api/v1/collect/counts/").data == {"tasks": 0, "notifications": 0}
    checking(people, category, None)
    assert api.get("/api/v1/collect/counts/").data == {"tasks": 1, "notifications": 0}
    assert client_for(people.dispatcher).get("/api/v1/collect/counts/").status_code == 403


def test_my_report_opens_with_its_state_photos_and_history(people, category):
    case = with_photo(people.inspector, category)
    services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="重复上报")
    answer = client_for(people.inspector, "zh-hans").get(f"/api/v1/collect/reports/{case.pk}/").data
    assert answer["code"] == case.code and answer["state_display"] == "不予立案"
    assert len(answer["photos"]) == 1 and loads(answer["photos"][0]["display"])
    assert [(e["action_display"], e["reason"]) for e in answer["history"]] == [("上报", ""), ("不予立案", "重复上报")]
    assert answer["history"][1]["by"] == "dispatcher"
    english = client_for(people.inspector, "en").get(f"/api/v1/collect/reports/{case.pk}/").data
    assert english["category_name"] == "Exposed refuse" and english["history"][0]["action_display"] == "Reported"
    other = make_person("other_inspector", "inspector")
    assert client_for(other).get(f"/api/v1/collect/reports/{case.pk}/").status_code == 404


def nearby(user, point, code="E0102"):
    return client_for(user).get("/api/v1/collect/nearby/", {"lon": point.x, "lat": point.y, "category": code})


def test_open_cases_of_the_category_within_the_radius_are_offered_nearest_first(people, category):
    near = with_photo(people.dispatcher, category, 0.8, 0.5, channel="hotline")  # 30 m
    nearer = with_photo(people.inspector, category, 0.6, 0.5)  # 10 m
    with_photo(people.inspector, category, 1.5, 0.5)  # 100 m: too far
    with_photo(people.inspector, Category.objects.get(service_code="E0505"), 0.5, 0.5)  # another category
    closed = with_photo(people.inspector, category, 0.5, 0.5)
    services.reject(people.dispatcher, closed, version=closed.version, reason_code="duplicate", reason="重复")
    answer = nearby(people.inspector, point_in(0.5, 0.5)).data
    assert answer["radius_m"] == 50
    assert [r["id"] for r in answer["results"]] == [nearer.pk, near.pk]
    assert [r["distance_m"] for r in answer["results"]] == [10, 30]
    assert loads(answer["results"][0]["photos"][0]["thumbnail"])
    far = make_person("far", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    assert nearby(far, point_in(0.5, 0.5)).data["results"] == []  # not their grids: not theirs to see


def add(user, case, client_uuid, photos=1, note="又看到了"):
    data = {"client_uuid": client_uuid, "note": note, "photo_count": str(photos),
            "photos": [SimpleUploadedFile(f"e{i}.jpg", jpeg(700 + i, 500), "image/jpeg") for i in range(photos)]}
    return client_for(user, "zh-hans").post(f"/api/v1/collect/cases/{case.pk}/evidence/", data, format="multipart")


def test_adding_my_photos_to_an_existing_case_instead_of_a_duplicate_is_idempotent(people, category):
    case = with_photo(people.dispatcher, category, channel="hotline")
    client_uuid = str(uuid.uuid4())
    first = add(people.inspector, case, client_uuid, photos=2)
    assert first.status_code == 201, first.data
    again = add(people.inspector, case, client_uuid, photos=2)
    assert again.status_code == 200 and again.data["code"] == case.code
    assert Case.objects.count() == 1 and CaseMedia.objects.filter(case=case).count() == 3
    event = CaseEvent.objects.get(case=case, action="corroborate")
    assert event.reason == "又看到了" and event.actor == people.inspector and len(event.payload["photos"]) == 2
    assert event.payload["client_uuid"] == client_uuid
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_adding_to_a_case_no_longer_open_is_refused_in_the_users_language(people, category):
    case = with_photo(people.inspector, category)
    services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="重复")
    refused = add(people.inspector, case, str(uuid.uuid4()))
    assert refused.status_code == 403 and "新案件" in str(refused.data)
    assert CaseMedia.objects.filter(case=case).count() == 1


def test_a_check_task_given_to_me_lists_no_other_task(people, category):
    checking(people, category, people.inspector)
    assert InspectionTask.objects.count() == 1
    assert len(client_for(people.inspector).get("/api/v1/collect/tasks/").data["results"]) == 1
