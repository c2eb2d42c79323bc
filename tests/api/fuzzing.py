"""Fuzzing the whole API from its own OpenAPI schema with schemathesis, as each role.

Shared by the short profile of the test suite (tests/api/test_fuzz.py) and the long one of
the benchmarks (bench/bench_fuzz.py). Every operation the schema documents is fuzzed, so a
route is covered as soon as it is documented. Each case is sent over HTTP to a live server
with the role's token and checked: no server error, the answer in the documented shape and
content type. Failures are collected, not raised, so one run counts them all.
"""

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

ROLES = ("dispatcher", "handler", "inspector", "analyst", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
TRACE = os.environ.get("FUZZ_TRACE") == "1"  # each case on stderr before it is sent: finds what crashed a server
TIMEOUT_S = 20  # per request: a stuck request counts as a failure instead of hanging the run


@dataclass
class FuzzReport:
    cases: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per operation: where a slow run spends its time
    statuses: Counter = field(default_factory=Counter)

    def record(self, role: str, label: str, failures: Iterable, request: str = "") -> None:
        for failure in failures:
            if "not_a_server_error" in getattr(failure, "checks", ()) or not hasattr(failure, "checks"):
                self.server_errors += 1
            else:
                self.schema_violations += 1
            if len(self.failures) < 50:
                self.failures.append(f"{role} {label} {request}: {type(failure).__name__}: {str(failure)[:600]}")


def tokens_for(users: dict) -> dict[str, str]:
    """A REST token per role name, for the users given by role name."""
    from rest_framework.authtoken.models import Token

    return {role: Token.objects.get_or_create(user=user)[0].key for role, user in users.items()}


def fuzz(base_url: str, tokens: dict[str, str], examples: int, budget_s: float | None = None,
         modes: tuple = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE), derandomize: bool = False) -> FuzzReport:
    """Up to `examples` cases per operation, role and generation mode against `base_url`; stops
    starting new operations once `budget_s` seconds have passed. `derandomize` sends the same
    cases on every run (the test suite's profile); otherwise each run explores anew."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/?format=json", timeout=TIMEOUT_S)
    operations = [result.ok() for result in schema.get_all_operations()]
    report = FuzzReport()
    started = time.monotonic()
    for role, token in tokens.items():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        for operation in operations:
            for mode in modes:
                if mode == GenerationMode.NEGATIVE and not _negatable(operation.definition.raw):
                    continue
                if budget_s is not None and time.monotonic() - started > budget_s:
                    return report
                began = time.monotonic()
                _fuzz_operation(operation, mode, examples, base_url, session, role, report, derandomize)
                report.seconds[operation.label] = report.seconds.get(operation.label, 0) + time.monotonic() - began
        session.close()
    return report


CONSTRAINTS = ("enum", "format", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")


def _negatable(definition: dict) -> bool:
    """Whether invalid input can be made for an operation: a body, an optional-to-omit
    required query parameter, or a parameter more constrained than any string. (Hypothesis
    otherwise tries a thousand times to negate an unconstrained string before it gives up.)"""
    if definition.get("requestBody"):
        return True
    for parameter in definition.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("required") and parameter.get("in") != "path":
            return True
        if schema.get("type", "string") != "string" or any(key in schema for key in CONSTRAINTS):
            return True
    return False


def _fuzz_operation(operation, mode, examples: int, base_url: str, session, role: str, report: FuzzReport,
                    derandomize: bool) -> None:
    @hypothesis.settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                         derandomize=derandomize,
                         suppress_health_check=list(HealthCheck), verbosity=hypothesis.Verbosity.quiet)
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def run(case):
        report.cases += 1
        if TRACE:
            print("fuzz", role, case.operation.label, case.path_parameters, case.query, repr(case.body)[:300],
                  file=sys.stderr, flush=True)
        try:
            response = case.call(base_url=base_url, session=session, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            report.record(role, operation.label, [exc], str(case.query))
            return
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as group:
            sent = response.request
            report.record(role, operation.label, group.exceptions, f"{sent.url} {str(sent.body)[:300]}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing of this operation can be made invalid (negative mode): nothing to send
