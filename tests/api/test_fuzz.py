"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every operation gets valid and invalid requests from an administrator (who passes every role gate) against a
database with both services, users and an application in it. No answer may be a 500, and every answer must match
the schema the document promises for it. The number of examples is bounded so the run stays around a minute.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.api.conftest import apply

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# A name fuzzed path parameters will not hit, so the fuzzer cannot lock its own account out.
FUZZER = "admin"


@pytest.mark.usefixtures("deployed")
def test_no_operation_answers_500_or_breaks_its_schema(app, client, people):
    apply(client, people.headers("andi"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    started = time.monotonic()
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case):
                # A fresh token per request: the fuzzer may well call DELETE /auth/token.
                response = case.call(headers=people.headers(FUZZER))
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (an operation without parameters or body): nothing to test negatively.
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert time.monotonic() - started < 150
