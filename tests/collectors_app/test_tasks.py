"""Inspection tasks: verify (核实) and check (核查) from the app, driving the case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.builders import client_for as _client
from tests.builders import make_person, report_case
from tests.photos import jpeg
from urbanmgmt.cases import services, worktime
from urbanmgmt.cases.models import Case, InspectionTask
from urbanmgmt.grids.models import UnitGrid
from urbanmgmt.org.models import Department

pytestmark = pytest.mark.django_db


def client_for(user):
    return _client(user, "en")


def complete(user, task_id, result, note="", photos=1):
    data = {"result": result, "note": note,
            "photos": [SimpleUploadedFile(f"t{i}.jpg", jpeg(), "image/jpeg") for i in range(photos)]}
    return client_for(user).post(f"/api/v1/collect/tasks/{task_id}/complete/", data, format="multipart")


def checking_case(people, category, checker=None):
    case = report_case(people.inspector, category)
    case = services.file(people.dispatcher, case, version=case.version)
    case = services.dispatch(people.dispatcher, case, version=case.version, department=Department.objects.get(code="HZ-HWC"))
    case = services.handle(people.handler, case, version=case.version, reply="已清运")
    return services.send_for_check(people.dispatcher, case, version=case.version, checker=checker)


def test_sending_for_check_gives_the_grids_inspectors_a_task_with_a_working_time_deadline(people, category):
    case = checking_case(people, category)
    task = InspectionTask.objects.get(case=case)
    assert task.kind == "check" and task.inspector is None
    assert worktime.working_minutes_between(task.created_at, task.due_at) == pytest.approx(120)
    listed = client_for(people.inspector).get("/api/v1/collect/tasks/").data["results"]
    assert [t["id"] for t in listed] == [task.pk] and listed[0]["case"]["code"] == case.code
    stranger = make_person("far", "inspector", grids=UnitGrid.objects.filter(street__code="320706010"))
    assert client_for(stranger).get("/api/v1/collect/tasks/").data["results"] == []


def test_fixed_passes_the_check(people, category):
    case = checking_case(people, category)
    task = InspectionTask.objects.get(case=case)
    response = complete(people.inspector, task.pk, "fixed")
    assert response.status_code == 200, response.data
    case.refresh_from_db()
    assert case.state == "checked" and case.media.filter(kind="check").count() == 1
    task.refresh_from_db()
    assert task.done_by == people.inspector and task.result == "fixed"
    assert client_for(people.inspector).get("/api/v1/collect/tasks/").data["results"] == []


def test_not_fixed_sends_it_back_for_rework_and_needs_a_note(people, category):
    case = checking_case(people, category)
    task = InspectionTask.objects.get(case=case)
    assert complete(people.inspector, task.pk, "not_fixed").status_code == 400
    assert Case.objects.get(pk=case.pk).state == "checking"
    assert complete(people.inspector, task.pk, "not_fixed", note="垃圾仍未清运").status_code == 200
    case.refresh_from_db()
    assert case.state == "dispatched" and case.rework_count == 1
    rework = case.events.get(action="check_fail")
    assert rework.reason == "垃圾仍未清运" and rework.payload["task"] == task.pk and len(rework.payload["photos"]) == 1


def test_a_task_needs_a_photo_and_a_result_of_its_kind(people, category):
    task = InspectionTask.objects.get(case=checking_case(people, category))
    assert complete(people.inspector, task.pk, "fixed", photos=0).status_code == 400
    assert complete(people.inspector, task.pk, "confirmed").status_code == 400
    assert Case.objects.get(pk=task.case_id).state == "checking"


def test_a_task_named_for_another_inspector_is_not_mine(people, category):
    other = make_person("other", "inspector")
    task = InspectionTask.objects.get(case=checking_case(people, category, checker=other))
    assert complete(people.inspector, task.pk, "fixed").status_code == 404
    assert complete(other, task.pk, "fixed").status_code == 200


def test_verification_of_a_citizen_report_records_the_result_for_the_dispatcher(people, category):
    case = report_case(people.dispatcher, category, channel="hotline", request_type="complaint")
    case = services.request_verification(people.dispatcher, case, version=case.version)
    task = InspectionTask.objects.get(case=case, kind="verify")
    assert complete(people.inspector, task.pk, "confirmed", note="现场属实").status_code == 200
    case.refresh_from_db()
    assert case.state == "reported"
    event = case.events.get(action="verify")
    assert event.payload["result"] == "confirmed" and event.reason == "现场属实"
    assert complete(people.inspector, task.pk, "confirmed").status_code == 404  # done: no longer listed


def test_a_task_whose_case_moved_on_is_gone(people, category):
    case = report_case(people.dispatcher, category, channel="hotline", request_type="complaint")
    case = services.request_verification(people.dispatcher, case, version=case.version)
    services.reject(people.dispatcher, case, version=case.version, reason_code="duplicate", reason="重复")
    assert client_for(people.inspector).get("/api/v1/collect/tasks/").data["results"] == []
