"""An export kept in the media store is its maker's: the command keeps it, /media/ serves it
to them alone."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tests.builders import report_case

pytestmark = pytest.mark.django_db


def test_export_cases_keep_for_stores_the_file_for_that_person_only(people, category, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    report_case(people.inspector, category)
    out = io.StringIO()
    call_command("export_cases", "cases.csv", "--all", "--keep-for", people.manager.username, stdout=out)
    name = out.getvalue().split(":")[0]
    assert name.startswith(f"exports/{people.manager.pk}/") and name.endswith("/cases.csv")
    mine, theirs = Client(), Client()
    mine.force_login(people.manager)
    theirs.force_login(people.dispatcher)
    assert theirs.get(f"/media/{name}").status_code == 404
    answer = mine.get(f"/media/{name}")
    assert answer.status_code == 200 and b"code" in b"".join(answer.streaming_content)
