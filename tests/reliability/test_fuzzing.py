"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis), against the live
stack with a valid token: valid and invalid requests of every operation, a bounded number each. No answer
may be a 500, none may break the schema (status code documented, content type, body), invalid input must be
refused with a 4xx, and leaving the token out must be refused."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.core.result import Err, Ok
from schemathesis.generation import GenerationMode

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import Command, send

pytestmark = pytest.mark.slow
# Examples per operation: reads are cheap; a command goes through Temporal.
EXAMPLES = {"GET": {GenerationMode.POSITIVE: 80, GenerationMode.NEGATIVE: 40},
            "POST": {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}}
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.negative_data_rejection, checks.ignored_auth]


def test_fuzzing_every_operation_finds_no_server_error_and_no_answer_outside_the_schema(stack: Stack) -> None:
    # A supervisor of the whole country reaches every case and rule; one of a district reads boards and lists
    # without naming a region (a national scope must name one).
    tokens = [stack.token(Role.SUPERVISOR, ""), stack.token(Role.SUPERVISOR, "440403")]
    with stack.client(tokens[0]) as api:
        known = send(api, Command("/organizations", registration())).final.body["id"]
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/openapi.json")
    failures: list[str] = []
    results = list(schema.get_all_operations())
    assert not (unreadable := [r.err() for r in results if isinstance(r, Err)]), unreadable
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) >= 9, [o.label for o in operations]
    for operation in operations:
        for mode, examples in EXAMPLES[operation.method.upper()].items():
            try:
                fuzz(operation, mode, examples, tokens, known)
            except (Exception, BaseExceptionGroup) as error:  # every operation has its turn before the test fails
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)


def fuzz(operation: Any, mode: GenerationMode, examples: int, tokens: list[str], known: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode), use_known=st.booleans(), token=st.sampled_from(tokens))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def one(case: Any, use_known: bool, token: str) -> None:
        if use_known and mode is GenerationMode.POSITIVE:  # past the first check, to the rules and the queries
            if "org_id" in (case.path_parameters or {}):
                case.path_parameters["org_id"] = known  # a case that exists
            if "region" in (case.query or {}):
                case.query["region"] = "440403"  # the schema cannot say which strings are region codes
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=60)

    one()
