"""Media on object storage: every file of the channels lands in the bucket, originals stay
private, /media/ keeps its checks by case and redirects to a short-lived signed URL."""

import hashlib
import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from tests.access.world import build_world
from tests.storage.conftest import use_bucket
from urbanmgmt.cases.models import CaseMedia
from urbanmgmt.cases.photos import signed_media_url
from urbanmgmt.storage import exports

pytestmark = [pytest.mark.slow, pytest.mark.django_db]  # against a moto server process


def get(user, path: str):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(path if path.startswith("/") else f"/media/{path}")


@pytest.fixture
def world(city, bucket):
    return build_world()


def test_photos_snapshots_and_strips_land_in_the_bucket_and_nothing_on_disk(world, bucket, settings):
    keys = bucket.keys()
    media = list(CaseMedia.objects.all())
    assert {"before", "after"} <= {m.kind for m in media}  # the inspector's and the department's
    for item in media:
        for name in (item.file.name, item.display.name, item.thumbnail.name):
            assert name in keys, name
        assert hashlib.sha256(bucket.read(item.file.name)).hexdigest() == item.sha256
    for side in world.sides.values():
        candidate = side.candidate
        for name in (candidate.snapshot, candidate.snapshot_display, candidate.snapshot_thumb, candidate.strip):
            assert name in keys, name
    assert not os.path.exists(settings.MEDIA_ROOT) or not any(os.scandir(settings.MEDIA_ROOT))


def test_originals_and_copies_are_not_readable_by_anyone_on_the_network(world, bucket):
    photo, candidate = world.sides["own"].photo, world.sides["own"].candidate
    for name in (photo.file.name, photo.display.name, photo.thumbnail.name, candidate.snapshot, candidate.strip):
        assert bucket.anonymous_get(name).status_code == 403, name


def test_display_copies_are_public_read_when_the_setting_says_so_originals_never(city, settings, s3_server):
    bucket = use_bucket(settings, s3_server, public_display=True)
    world = build_world()
    photo, candidate = world.sides["own"].photo, world.sides["own"].candidate
    assert bucket.anonymous_get(photo.display.name).status_code == 200
    assert bucket.anonymous_get(candidate.snapshot_thumb).status_code == 200  # blurred
    assert bucket.anonymous_get(photo.file.name).status_code == 403  # the phone's GPS in its EXIF
    assert bucket.anonymous_get(candidate.snapshot).status_code == 403  # people not blurred
    assert bucket.anonymous_get(candidate.strip).status_code == 403
    # /media/ still checks who asks before it hands out the bucket's address.
    assert get(world.people["handler"], world.sides["other"].photo.display.name).status_code == 404
    answer = get(world.people["handler_b"], world.sides["other"].photo.display.name)
    assert answer.status_code == 302 and "X-Amz-Signature" not in answer["Location"]
    assert requests.get(answer["Location"], timeout=5).status_code == 200


def test_media_by_case_holds_and_a_user_let_through_gets_a_short_lived_signed_url(world, bucket, settings):
    own, other = world.sides["own"], world.sides["other"]
    people = world.people
    assert get(people["handler"], other.photo.display.name).status_code == 404
    assert get(people["analyst"], own.photo.file.name).status_code == 404
    assert get(people["handler"], own.candidate.snapshot).status_code == 404  # people not blurred
    assert get(people["outsider"], own.photo.thumbnail.name).status_code == 404
    assert get(None, own.photo.display.name).status_code == 302  # to the login page
    answer = get(people["dispatcher"], own.photo.file.name)
    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert f"{target.scheme}://{target.netloc}" == settings.MEDIA_S3_ENDPOINT_URL
    query = parse_qs(target.query)
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_S3_URL_MAX_AGE_S)] and query["X-Amz-Signature"]
    assert int(answer["Cache-Control"].split("max-age=")[1]) < settings.MEDIA_S3_URL_MAX_AGE_S
    fetched = requests.get(answer["Location"], timeout=5)
    assert fetched.status_code == 200 and hashlib.sha256(fetched.content).hexdigest() == own.photo.sha256


def test_the_apps_signed_links_redirect_while_fresh_and_die_when_expired(world, bucket, settings):
    name = world.sides["own"].photo.thumbnail.name
    link = signed_media_url(name)
    answer = Client().get(link)  # no session: the link is the permission
    assert answer.status_code == 302 and requests.get(answer["Location"], timeout=5).content == bucket.read(name)
    settings.MEDIA_URL_MAX_AGE_S = -1
    assert Client().get(link).status_code == 404


def test_an_export_is_kept_in_the_bucket_for_its_maker_only(city, people, bucket):
    name = exports.keep(people.manager, b"code,state\n2026000001,reported\n", "cases.csv")
    assert name in bucket.keys() and bucket.anonymous_get(name).status_code == 403
    assert get(people.analyst, name).status_code == 404
    answer = get(people.manager, name)
    assert answer.status_code == 302
    assert requests.get(answer["Location"], timeout=5).content == b"code,state\n2026000001,reported\n"
