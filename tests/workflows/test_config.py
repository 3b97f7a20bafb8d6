"""The data converter the client and the worker share: the same payloads as temporalio's pydantic converter."""

from __future__ import annotations

from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError

from branchflow.domain.errors import RuleViolation
from branchflow.domain.rules import SEED_THRESHOLDS
from branchflow.workflows.case_state import CaseState, case_state
from branchflow.workflows.config import DATA_CONVERTER, SharedPayloadConverter
from branchflow.workflows.failures import domain_error, rule_failure
from tests.domain.cases import DAY, add_members, organization


def test_every_data_converter_built_on_it_shares_one_payload_converter_with_the_same_payloads() -> None:
    # temporalio's worker builds a data converter per activation's completion: the payload converter is not.
    again = DataConverter(payload_converter_class=SharedPayloadConverter)
    assert SharedPayloadConverter() is SharedPayloadConverter()
    inner = [getattr(c.payload_converter, "_inner_payload_converter", None) for c in (again, DATA_CONVERTER)]
    assert inner[0] is inner[1] is SharedPayloadConverter()
    org = organization()
    add_members(org, 2)
    state = case_state(org, DAY, SEED_THRESHOLDS)
    payloads = DATA_CONVERTER.payload_converter.to_payloads([state])
    assert payloads == pydantic_data_converter.payload_converter.to_payloads([state])
    assert DATA_CONVERTER.payload_converter.from_payloads(payloads, [CaseState]) == [state]


def test_a_rules_refusal_is_written_without_its_stack_trace_and_a_fault_with_it() -> None:
    def raised(error: Exception) -> Failure:
        try:
            raise error
        except Exception as e:
            failure = Failure()
            DATA_CONVERTER.failure_converter.to_failure(e, DATA_CONVERTER.payload_converter, failure)
            return failure

    refusal = raised(rule_failure("no_request", "there is no request"))
    fault = raised(ApplicationError("the store is down", type="Unavailable"))
    assert refusal.stack_trace == "" and refusal.application_failure_info.type == "RuleViolation"
    assert "test_config.py" in fault.stack_trace
    assert domain_error(DATA_CONVERTER.failure_converter.from_failure(refusal, DATA_CONVERTER.payload_converter)
                        ).args == RuleViolation("no_request", "there is no request").args
