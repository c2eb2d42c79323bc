"""A worker's candidate with a full-size snapshot and frame strip, over real HTTP: both kept."""

import hashlib
import json

import pytest
import requests
from django.core.files.storage import default_storage

from tests.photos import jpeg
from tests.vision.test_channel import candidate
from vision.models import CandidateEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_candidate_with_a_9_mb_snapshot_and_strip_keeps_both(empty_history_after, zone, worker_key, live_server):
    snapshot = jpeg(3000, 2250, noise=True, quality=97, make="Camera")
    strip = jpeg(3000, 2250, noise=True, quality=97, make="Strip")
    assert len(snapshot) + len(strip) > 16 * 2**20  # past the old 12 MB in-memory limit
    response = requests.post(
        f"{live_server.url}/api/v1/vision/ingest/", timeout=120,
        headers={"Authorization": f"Bearer {worker_key.plain_key}", "Accept-Language": "en"},
        data={"data": json.dumps(candidate(zone))},
        files=[("snapshot", ("snapshot.jpg", snapshot, "image/jpeg")), ("strip", ("strip.jpg", strip, "image/jpeg"))])
    assert response.status_code == 201, response.text
    stored = CandidateEvent.objects.get()
    with default_storage.open(stored.strip) as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(strip).hexdigest()
    assert stored.details["snapshot_sha256"] == hashlib.sha256(snapshot).hexdigest()
