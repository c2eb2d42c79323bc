"""A photo's three files go to the bucket at once, not one round trip after the other, and
all three are in the bucket (or the photo refused) before the caller goes on to commit."""

import threading

import pytest

from tests.photos import jpeg
from urbanmgmt.cases.photos import read_photo
from urbanmgmt.storage import MediaUnavailable
from urbanmgmt.storage.s3 import ObjectStorage

pytestmark = [pytest.mark.slow]  # against a moto server process


@pytest.fixture
def puts(monkeypatch):
    """Each PUT as it really happens, noted: (name, thread, whether a copy's PUT was under way
    while the original's began)."""
    notes, copy_started, real_put = [], threading.Event(), ObjectStorage.put

    def put(self, name, content, sha256=None):
        if "/original/" in name:
            # Sequential sending would only start a copy after this returns: never within 5 s.
            notes.append((name, threading.current_thread().name, copy_started.wait(5)))
        else:
            copy_started.set()
            notes.append((name, threading.current_thread().name, None))
        real_put(self, name, content, sha256)

    monkeypatch.setattr(ObjectStorage, "put", put)
    return notes


def test_the_copies_are_sent_while_the_original_is_and_all_are_stored_on_return(bucket, puts):
    photo = read_photo(jpeg(noise=True), "p.jpg")
    paths = photo.store()
    assert set(paths.values()) <= bucket.keys()  # joined: nothing still under way
    original = [note for note in puts if "/original/" in note[0]]
    assert original == [(paths["file"], threading.current_thread().name, True)]
    assert {note[1] for note in puts if note[0] != paths["file"]} != {threading.current_thread().name}
    assert bucket.read(paths["file"]) == photo.original and bucket.read(paths["thumbnail"]) == photo.thumbnail


def test_a_copy_the_store_refuses_refuses_the_photo_after_every_put_has_ended(bucket, puts, settings):
    photo = read_photo(jpeg(noise=True), "p.jpg")
    settings.STORAGES = {**settings.STORAGES, "display": {**settings.STORAGES["display"],
                                                         "OPTIONS": {"bucket_name": "no-such-bucket"}}}
    with pytest.raises(MediaUnavailable):
        photo.store()
    assert len(puts) == 2  # the original, and the display copy refused: the thumbnail not tried after it
    assert bucket.keys() == {photo.paths()["file"]}  # the original's: the orphan sweep's to delete
