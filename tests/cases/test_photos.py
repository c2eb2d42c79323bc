"""Photos as evidence: large photos read in one go, files written whole under their hash."""

import os
from pathlib import Path

import pytest
from django.utils import translation

from tests.photos import jpeg
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.errors import InvalidInput


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_large_photo_cut_short_is_refused():
    # Past the decoder's 64 KiB blocks: the whole file goes to the decoder at once.
    photo = jpeg(2000, 1500, noise=True)
    assert len(photo) > 10 * 65536
    with translation.override("en"), pytest.raises(InvalidInput, match="damaged or incomplete"):
        read_photo(photo[: len(photo) * 2 // 3], "cut.jpg")
    assert read_photo(photo, "whole.jpg").width == 2000


def test_stored_files_are_the_photo_its_copies_and_nothing_else(media_root):
    photo = read_photo(jpeg(1200, 900, noise=True), "p.jpg")
    paths = photo.store()
    assert _files(media_root) == sorted(paths.values())  # no temporary file left behind
    assert (media_root / paths["file"]).read_bytes() == photo.original
    assert (media_root / paths["display"]).read_bytes() == photo.display
    assert (media_root / paths["thumbnail"]).read_bytes() == photo.thumbnail


def test_a_photo_stored_again_keeps_its_files(media_root):
    photo = read_photo(jpeg(noise=True), "p.jpg")
    paths = photo.store()
    original = media_root / paths["file"]
    os.utime(original, (1_000_000, 1_000_000))
    assert photo.store() == paths
    assert original.stat().st_mtime == 1_000_000 and _files(media_root) == sorted(paths.values())


def test_stored_files_get_the_upload_permissions(settings, media_root):
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
    paths = read_photo(jpeg(), "p.jpg").store()
    assert (media_root / paths["file"]).stat().st_mode & 0o777 == 0o640
    assert (media_root / paths["file"]).parent.stat().st_mode & 0o777 == 0o750


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names an fsynced descriptor through /proc")
def test_photo_files_and_their_folders_reach_the_disk_before_the_rows_that_name_them(people, category, media_root,
                                                                                      monkeypatch):
    from django.db import connection

    from tests.builders import point_in
    from urbanmgmt.cases import services

    synced, at_insert = [], []
    real_fsync = os.fsync

    def fsync(fd):  # the real call, with a note of which file it was
        real_fsync(fd)
        stat = os.fstat(fd)
        synced.append((stat.st_dev, stat.st_ino))

    def watch(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and "cases_casemedia" in sql:
            at_insert.append(set(synced))
        return execute(sql, params, many, context)

    monkeypatch.setattr(os, "fsync", fsync)
    photo = read_photo(jpeg(noise=True), "p.jpg")
    with connection.execute_wrapper(watch):
        services.report(people.inspector, channel="inspector", point=point_in(0.5, 0.5), category=category,
                        evidence=[services.Evidence(photo=photo)])
    files = [media_root / path for path in photo.paths().values()]
    # The files, their folders, and each folder made on the way (up to the media root's parent).
    needed = {*files, *(f.parent for f in files), *(f.parent.parent for f in files), media_root / "evidence",
              media_root, media_root.parent}
    assert at_insert, "no media row was written"
    assert {(p.stat().st_dev, p.stat().st_ino) for p in needed} <= at_insert[0]
