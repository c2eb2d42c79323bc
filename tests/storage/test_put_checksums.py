"""Each file goes to the bucket with the SHA-256 of its bytes as S3's checksum, which the
store verifies before it keeps the object; the photo's own hash is not computed again."""

import base64
import hashlib

import pytest

from tests.photos import jpeg
from urbanmgmt import storage
from urbanmgmt.cases.photos import read_photo

pytestmark = [pytest.mark.slow]  # against a moto server process


def stored_checksum(bucket, name: str) -> str:
    head = bucket.server.client().head_object(Bucket=bucket.name, Key=name, ChecksumMode="ENABLED")
    return base64.b64decode(head["ChecksumSHA256"]).hex()


def test_each_file_of_a_photo_carries_the_sha256_of_its_bytes(bucket):
    photo = read_photo(jpeg(noise=True), "p.jpg")
    paths = photo.store()
    for name in paths.values():
        assert stored_checksum(bucket, name) == hashlib.sha256(bucket.read(name)).hexdigest(), name
    assert stored_checksum(bucket, paths["file"]) == photo.sha256



def test_a_body_with_its_checksum_is_not_hashed_again_for_the_signature(bucket):
    sent = []
    client = storage.store(storage.PRIVATE).client
    client.meta.events.register("before-send.s3.PutObject", lambda request, **kw: sent.append(request.headers))
    storage.write("evidence/a.bin", b"x" * 100_000, storage.PRIVATE)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[0].items()}
    assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert "x-amz-checksum-sha256" in headers["authorization"]  # signed with the other headers
    assert base64.b64decode(headers["x-amz-checksum-sha256"]).hex() == hashlib.sha256(b"x" * 100_000).hexdigest()


def test_the_threads_of_a_process_send_with_one_client(bucket):
    from concurrent.futures import ThreadPoolExecutor

    target = storage.store(storage.PRIVATE)
    with ThreadPoolExecutor(4) as pool:
        clients = set(pool.map(lambda n: id(target.client), range(8)))
    assert clients == {id(target.client)}
