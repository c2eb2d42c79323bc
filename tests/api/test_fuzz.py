"""The whole API fuzzed from its OpenAPI schema (schemathesis) against the live server, as
every staff role: no server error, every answer in its documented shape and content type.
The short profile; bench/bench_fuzz.py runs the long one."""

import pytest

from tests.api.fuzzing import ROLES, fuzz, tokens_for
from tests.builders import report_case

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_no_operation_answers_a_server_error_or_outside_its_schema(empty_history_after, people, category,
                                                                   live_server):
    report_case(people.inspector, category)  # a case to list, so list answers are not all empty
    report = fuzz(live_server.url, tokens_for({role: getattr(people, role) for role in ROLES}), examples=2,
                  budget_s=600, derandomize=True)
    slowest = sorted(report.seconds.items(), key=lambda item: -item[1])[:10]
    print(f"{report.cases} cases, answers by status: {dict(report.statuses)}")
    print("slowest operations:", *(f"{label} {seconds:.1f} s" for label, seconds in slowest), sep="\n  ")
    assert report.cases >= 300 and report.statuses[200] >= 100  # the roles' tokens work
    assert (report.server_errors, report.schema_violations) == (0, 0), "\n".join(report.failures)
