"""The orphan sweep: files no row names go after the grace period, on disk and in a bucket;
files a case or a candidate names stay."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from tests.access.world import build_world
from tests.photos import jpeg
from tests.storage.conftest import use_bucket
from urbanmgmt.cases import services
from urbanmgmt.cases.models import CaseMedia
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.errors import StaleVersion
from urbanmgmt.storage import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["disk", pytest.param("s3", marks=pytest.mark.slow)])
def stored_names(request, city, settings, tmp_path):
    """Where the files go, and a function listing what is stored there."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if request.param == "disk":
        root = tmp_path / "media"
        return lambda: {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    bucket = use_bucket(settings, request.getfixturevalue("s3_server"))
    return bucket.keys


def test_a_refused_replys_photo_is_swept_after_the_grace_period_and_named_files_stay(stored_names):
    world = build_world()
    side = world.sides["own"]
    named = stored_names()
    late = read_photo(jpeg(width=320, height=240, make="Late"), "late.jpg")
    case = side.video_case
    case = services.sign(world.people["handler"], case, version=case.version)
    with pytest.raises(StaleVersion):  # its photo was stored before the version was found stale
        services.handle(world.people["handler"], case, version=case.version - 1, reply="已处理",
                        evidence=[services.Evidence(photo=late, kind=CaseMedia.Kind.AFTER)])
    orphaned = set(late.paths().values())
    assert orphaned <= stored_names() and not CaseMedia.objects.filter(sha256=late.sha256).exists()

    assert sweep.sweep(dt.timedelta(hours=1)) == []  # too young: perhaps about to be named
    out = io.StringIO()
    call_command("sweep_media", "--older-than-hours", "0", stdout=out)
    assert out.getvalue().endswith(f"deleted {len(orphaned)} orphan file(s)\n")
    assert stored_names() == named  # every case's and candidate's files, and nothing else
