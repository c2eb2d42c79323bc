"""DATABASE_REPLICA_URL: the managers' dashboards, reports and exports read from the replica,
everything else and every write from the primary. The replica here is a second alias on the
test database (a second connection to it: what it reads is what the route took)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from urbanmgmt.dbrouters import REPLICA, ReplicaRouter, reads_from_replica
from urbanmgmt.jobs.models import Job

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
              pytest.mark.usefixtures("empty_history_after")]


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup):
    """The alias exists before each test's database set-up (which must know of it), and only
    for this module's tests."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def read_by_each(client: Client, url: str, **params) -> tuple[list[str], list[str], int]:
    """(the SQL the request ran on the primary, on the replica, its status)."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[REPLICA]) as rep:
        response = client.get(url, params)
        b"".join(response) if response.streaming else response.content
    return [q["sql"] for q in primary.captured_queries], [q["sql"] for q in rep.captured_queries], response.status_code


def manager(people) -> Client:
    client = Client()
    client.force_login(people.manager)
    return client


@pytest.mark.parametrize("url, params", [
    ("/kpi/report/daily/", {"date": "2025-10-09"}),
    ("/kpi/report/monthly/", {"month": "2025-10", "format": "xlsx"}),
    ("/kpi/export.xlsx", {"start": "2025-10-01", "end": "2025-10-02"}),
    ("/api/v1/kpi/hotline/", {"start": "2025-10-01", "end": "2025-10-31"}),
    ("/api/v1/map/export/", {"layer": "cases", "as": "csv"}),
])
def test_the_managers_pages_read_the_cases_from_the_replica(people, url, params):
    primary, rep, status = read_by_each(manager(people), url, **params)
    assert status == 200
    assert any("cases_case" in sql or "kpi_" in sql for sql in rep), rep
    assert not any("cases_case" in sql for sql in primary), primary
    # the session and its user come from the primary: a login just made is never lost in the lag
    assert any("django_session" in sql for sql in primary) and not any("django_session" in sql for sql in rep)


def test_other_pages_read_from_the_primary(people):
    client = Client()
    client.force_login(people.dispatcher)
    primary, rep, status = read_by_each(client, "/api/v1/map/cases/")
    assert status == 200 and rep == [] and any("cases_case" in sql for sql in primary)


def test_writes_and_reads_in_a_transaction_go_to_the_primary(people):
    with reads_from_replica():
        job = Job.objects.create(kind="urbanmgmt.jobs.queue.ping", key="replica-write", params={})
        assert job._state.db == "default"
        with transaction.atomic():
            assert Job.objects.get(pk=job.pk)._state.db == "default"  # its own writes, not the lagging copy
        assert Job.objects.get(pk=job.pk)._state.db == REPLICA
    assert Job.objects.get(pk=job.pk)._state.db == "default"
    assert ReplicaRouter().allow_migrate(REPLICA, "jobs") is False


def test_the_setting_names_a_postgis_replica():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['replica'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "urbanmgmt.settings",
           "DATABASE_REPLICA_URL": "postgres://reader:secret@replica.example:5433/urbanmgmt"}
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "'ENGINE': 'django.contrib.gis.db.backends.postgis'" in out and "'HOST': 'replica.example'" in out
    assert "'PORT': 5433" in out and "'MIRROR': 'default'" in out
