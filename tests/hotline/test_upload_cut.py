"""A ticket file whose upload was cut on the way is refused whole, saying so."""

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.hotline.helpers import csv_bytes, row
from tests.hotline.test_intake_pages import inline_import, named_file, signed_in  # noqa: F401 (a fixture)
from urbanmgmt.hotline.models import ImportRun

pytestmark = pytest.mark.django_db


def test_a_ticket_file_cut_short_is_refused_with_the_reason(people, inline_import):  # noqa: F811
    data = csv_bytes([row(f"C{i}", col=1.5, cell=1.5) for i in range(40)])
    body = encode_multipart(BOUNDARY, {"source": "hz12345", "file": named_file(data, "tickets.csv")})
    answer = signed_in(people.dispatcher).generic("POST", "/hotline/import/", body[: len(body) - len(data) // 2],
                                                  content_type=MULTIPART_CONTENT)
    assert answer.status_code == 400 and "未完整送达" in answer.content.decode()
    assert not ImportRun.objects.exists()
