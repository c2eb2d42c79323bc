"""Media by case, not by role: each finding of the outside tester, one test (Django's client;
the live-server matrix is test_matrix.py)."""

import pytest
from django.test import Client

from tests.access.world import build_world
from urbanmgmt.cases.photos import signed_media_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(city, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world()


def get(world, role: str, path: str):
    client = Client()
    if role != "anonymous":
        client.force_login(world.people[role])
    return client.get(path if path.startswith("/") else f"/media/{path}")


def test_a_handler_does_not_load_another_departments_display_copy_or_thumbnail(world):
    theirs = world.sides["other"].photo
    assert get(world, "handler", theirs.display.name).status_code == 404
    assert get(world, "handler", theirs.thumbnail.name).status_code == 404
    assert get(world, "handler_b", theirs.display.name).status_code == 200


def test_a_video_analyst_does_not_load_an_inspectors_original_with_its_gps(world):
    photo = world.sides["own"].photo
    assert photo.metadata["exif"]["gps"]
    assert get(world, "analyst", photo.file.name).status_code == 404
    assert get(world, "analyst", photo.display.name).status_code == 404  # not a video case either


def test_originals_are_for_the_command_centre_only(world):
    photo = world.sides["own"].photo
    for role in ("dispatcher", "manager", "admin"):
        assert get(world, role, photo.file.name).status_code == 200, role
    for role in ("inspector", "handler"):  # they see the case, and its display copy only
        assert get(world, role, photo.file.name).status_code == 404, role
        assert get(world, role, photo.display.name).status_code == 200, role


def test_an_inspector_sees_the_photos_of_its_own_cases_not_another_inspectors(world):
    mine, theirs = world.sides["own"], world.sides["other"]
    assert get(world, "inspector", mine.photo.thumbnail.name).status_code == 200
    assert get(world, "inspector", mine.after.display.name).status_code == 200  # the department's answer
    assert get(world, "inspector", theirs.photo.display.name).status_code == 404
    assert get(world, "inspector_b", mine.photo.display.name).status_code == 404


def test_a_signed_in_user_without_a_role_and_an_anonymous_one_get_nothing(world):
    photo = world.sides["own"].photo
    assert get(world, "outsider", photo.display.name).status_code == 404
    answer = get(world, "anonymous", photo.display.name)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_department_sees_the_camera_snapshot_of_its_own_case_only_and_never_the_unblurred(world):
    mine, theirs = world.sides["own"].candidate, world.sides["other"].candidate
    assert get(world, "handler", mine.snapshot_display).status_code == 200
    assert get(world, "handler", theirs.snapshot_display).status_code == 404
    assert get(world, "handler", theirs.snapshot_thumb).status_code == 404
    assert get(world, "handler", mine.snapshot).status_code == 404  # people not blurred
    assert get(world, "handler", mine.strip).status_code == 404
    assert get(world, "analyst", theirs.strip).status_code == 200


def test_a_signed_url_serves_its_holder_without_a_session_and_only_its_own_file(world, settings):
    photo = world.sides["own"].photo
    url = signed_media_url(photo.display.name)
    assert Client().get(url).status_code == 200
    other = signed_media_url(world.sides["other"].photo.display.name)
    assert Client().get(url.split("?")[0] + "?" + other.split("?")[1]).status_code == 404
    settings.MEDIA_URL_MAX_AGE_S = -1  # expired
    assert Client().get(url).status_code == 404


def test_the_candidates_api_hands_signed_urls_only_for_candidates_the_user_may_see(world):
    theirs = world.sides["other"]
    answer = get(world, "handler", f"/api/v1/vision/candidates/?case={theirs.video_case.pk}")
    assert answer.status_code == 404
    rows = get(world, "handler_b", f"/api/v1/vision/candidates/?case={theirs.video_case.pk}").json()["results"]
    assert [r["id"] for r in rows] == [theirs.candidate.pk] and rows[0]["original_url"] is None
    assert Client().get(rows[0]["snapshot_url"]).status_code == 200


def test_a_file_that_no_case_or_candidate_owns_is_served_to_nobody(world, settings):
    import os

    stray = "evidence/display/00/" + "0" * 64 + ".jpg"
    os.makedirs(os.path.join(settings.MEDIA_ROOT, "evidence/display/00"), exist_ok=True)
    with open(os.path.join(settings.MEDIA_ROOT, stray), "wb") as out:
        out.write(b"\xff\xd8\xff")
    assert get(world, "admin", stray).status_code == 404
    assert get(world, "admin", "../settings.py").status_code == 404


def test_serving_a_photo_costs_a_few_indexed_queries(world, django_assert_max_num_queries):
    photo = world.sides["own"].photo
    client = Client()
    client.force_login(world.people["handler"])
    with django_assert_max_num_queries(6):
        assert client.get(f"/media/{photo.display.name}").status_code == 200
