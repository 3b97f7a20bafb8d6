"""The case state a workflow carries is in every step's history: its rules are written without empty fields."""

from __future__ import annotations

from datetime import date

from temporalio.contrib.pydantic import pydantic_data_converter

from branchflow.domain.rules import SEED_THRESHOLDS
from branchflow.workflows.case_state import CaseState, Rule, case_state
from tests.domain.cases import DAY, add_members, organization

CONVERTER = pydantic_data_converter.payload_converter


def test_a_rule_without_an_earlier_step_is_written_without_its_empty_fields_and_reads_back_equal() -> None:
    plain = Rule(rule="no_applicant", message="there is no applicant")
    dated = Rule(rule="date_out_of_order", message="…", earlier_step="founded", earlier_on=date(2020, 1, 15))
    payloads = CONVERTER.to_payloads([plain, dated])
    assert b"earlier" not in payloads[0].data
    assert b'"earlier_step":"founded"' in payloads[1].data and b'"earlier_on":"2020-01-15"' in payloads[1].data
    assert CONVERTER.from_payloads(payloads, [Rule, Rule]) == [plain, dated]


def test_a_case_state_reads_back_equal_from_its_payload() -> None:
    org = organization()
    add_members(org, 2)
    state = case_state(org, DAY, SEED_THRESHOLDS)
    assert state.blocked, "the case forbids some steps"
    payload = CONVERTER.to_payloads([state])[0]
    assert b"null" not in payload.data.split(b'"blocked"')[1].split(b'"join_blocked"')[0]
    assert CONVERTER.from_payloads([payload], [CaseState]) == [state]
