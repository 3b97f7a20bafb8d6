"""A step's request is in its case's history with every step: written lean, signed over its whole form."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from branchflow.domain.actions import parse_action
from branchflow.domain.receipt import step_fingerprint
from branchflow.workflows.client import update_id
from branchflow.workflows.commands import CallerScope, StepCommand
from branchflow.workflows.signing import check_signature, signature

CONVERTER = pydantic_data_converter.payload_converter
KEY, WORKFLOW = b"k" * 32, f"organization-{UUID(int=1)}"
# The signature of COMMAND as the release before this change computed it (over its whole JSON, every default
# written): a worker must still accept it, and this release's client must sign the same.
SIGNED_BEFORE = "1bec325f16a6d2d8a261e97b983f65b4c59c2e4728d1d02e77d59ea6866459b2"
WHOLE_BEFORE = ('{"step":{"reason":"","occurred_on":null,"command_id":"c0ffee00-0000-4000-8000-000000000001",'
                '"action":"request_formal_branch","name":"党支部","party_org_type":null},"actor":"organizer-1",'
                '"today":"2026-12-02","signature":"' + SIGNED_BEFORE + '","scope":{"region":"4404","committee":null}}')


def command() -> StepCommand:
    step = parse_action({"action": "request_formal_branch", "name": "党支部",
                         "command_id": "c0ffee00-0000-4000-8000-000000000001"})
    return StepCommand(step=step, actor="organizer-1", today=date(2026, 12, 2), scope=CallerScope(region="4404"))


def test_a_step_request_is_written_without_its_default_fields_and_reads_back_equal() -> None:
    unsigned = command()
    signed = unsigned.model_copy(update={"signature": signature(KEY, "step", WORKFLOW, unsigned)})
    payload = CONVERTER.to_payloads([signed])[0]
    for default in (b"null", b'"reason"', b"occurred_on", b"committee", b"party_org_type"):
        assert default not in payload.data, payload.data
    assert len(payload.data) <= len(WHOLE_BEFORE.encode()) - 70  # 332 -> 262 B
    [read] = CONVERTER.from_payloads([payload], [StepCommand])
    assert read == signed
    check_signature(KEY, "step", WORKFLOW, read)  # the lean form checks


def test_the_signature_is_over_the_whole_form_so_either_release_checks_the_others_commands() -> None:
    assert signature(KEY, "step", WORKFLOW, command()) == SIGNED_BEFORE
    older = StepCommand.model_validate_json(WHOLE_BEFORE)  # as an older client writes it
    check_signature(KEY, "step", WORKFLOW, older)
    with pytest.raises(ApplicationError, match="signature"):
        check_signature(KEY, "step", WORKFLOW, older.model_copy(update={"actor": "someone-else"}))


def test_an_update_id_is_short_and_stands_for_the_command_id_and_its_request() -> None:
    org = UUID(int=1)
    first = parse_action({"action": "assign_instructor", "name": "陈老师", "command_id": "c-1"})
    other_body = parse_action({"action": "assign_instructor", "name": "王老师", "command_id": "c-1"})
    other_id = parse_action({"action": "assign_instructor", "name": "陈老师", "command_id": "c-2"})

    def id_of(step: object, caller: str = "organizer-1") -> str:
        assert hasattr(step, "command_id")
        return update_id("step", step.command_id, step_fingerprint(org, step, caller))  # type: ignore[arg-type]

    # Pinned: a repeated request must find its first update's id in the histories already written.
    assert update_id("step", "c-1", "f") == "step-Xt5AbWm_UJTmiXicP9S9xQ"
    assert len(id_of(first)) == 27 and id_of(first).startswith("step-")
    # Another body, caller or command id: another update, which the receipt then answers or refuses.
    assert len({id_of(first), id_of(other_body), id_of(other_id), id_of(first, "organizer-2")}) == 4
