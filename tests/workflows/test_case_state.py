"""The case state a workflow carries is in every step's history: compact, and the older whole shape still reads."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

from branchflow.domain.actions import ACTIONS
from branchflow.domain.case import CaseView, case_view
from branchflow.domain.rules import SEED_THRESHOLDS
from branchflow.workflows.case_state import (
    ANY_STEP,
    OFFERED_CODES,
    Applied,
    CaseState,
    NewVersion,
    Rule,
    Shape,
    case_state,
    offered_names,
    offered_number,
)
from branchflow.workflows.search import OVERDUE, STAGE, search_updates
from tests.domain.cases import DAY, activist, add_members, organization

CONVERTER = pydantic_data_converter.payload_converter


def test_a_rule_without_an_earlier_step_is_written_without_its_empty_fields_and_reads_back_equal() -> None:
    plain = Rule(rule="no_applicant", message="there is no applicant")
    dated = Rule(rule="date_out_of_order", message="…", earlier_step="founded", earlier_on=date(2020, 1, 15))
    payloads = CONVERTER.to_payloads([plain, dated])
    assert b"earlier" not in payloads[0].data
    assert b'"earlier_step":"founded"' in payloads[1].data and b'"earlier_on":"2020-01-15"' in payloads[1].data
    assert CONVERTER.from_payloads(payloads, [Rule, Rule]) == [plain, dated]


def test_a_case_state_is_small_holds_no_personal_data_and_reads_back_equal() -> None:
    org = organization()
    add_members(org, 2)
    activist(org)
    state = case_state(org, DAY, SEED_THRESHOLDS)
    payload = CONVERTER.to_payloads([state])[0]
    view = CONVERTER.to_payloads([case_view(org, DAY, SEED_THRESHOLDS)])[0]
    assert len(payload.data) * 2 < len(view.data), (len(payload.data), len(view.data))
    assert b"null" not in payload.data and b"[]" not in payload.data  # empty fields are left out
    assert not any(m.name.encode() in payload.data for m in org.members.values())
    assert CONVERTER.from_payloads([payload], [CaseState]) == [state]
    assert state.candidates and state.next_actions and state.version == org.version


def test_a_state_of_the_whole_shape_recorded_before_reads_as_the_compact_one_with_its_view() -> None:
    org = organization()
    add_members(org, 2)
    activist(org)
    view = case_view(org, DAY, SEED_THRESHOLDS)
    closed = {"rule": "case_closed", "message": "the case is closed"}
    whole = {"view": view.model_dump(mode="json"), "as_of": DAY.isoformat(),
             "blocked": {ANY_STEP: closed, "affiliate": {"rule": "r", "message": "m"}}, "join_blocked": None,
             "recounted": [str(org.id)]}
    [read] = CONVERTER.from_payloads(CONVERTER.to_payloads([whole]), [CaseState])
    assert read.view == view and read.closed == Rule.model_validate(closed) and read.recounted == [org.id]
    compact = case_state(org, DAY, SEED_THRESHOLDS)
    assert read.model_copy(update={"view": None, "closed": None, "join_blocked": compact.join_blocked,
                                   "recounted": []}) == compact
    assert case_state(org, DAY, SEED_THRESHOLDS, Shape.WHOLE).view == view


def test_an_answer_recorded_as_the_whole_view_reads_as_its_version() -> None:
    answers: Any = CaseView | Applied  # an update's answer, as the client reads it
    org = organization()
    view = case_view(org, DAY, SEED_THRESHOLDS)
    [answer] = CONVERTER.from_payloads(CONVERTER.to_payloads([view]), [answers])
    assert answer == view
    [applied] = CONVERTER.from_payloads(CONVERTER.to_payloads([view]), [Applied])
    assert applied == Applied(id=org.id, version=org.version)
    new = Applied.of(case_state(org, DAY, SEED_THRESHOLDS))
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([new]), [answers]) == [new]


def test_a_coded_state_writes_the_offered_steps_as_a_number_and_reads_back_equal() -> None:
    org = organization()
    add_members(org, 3)  # enough for a branch of its own: it may not join a joint branch
    activist(org)
    compact, coded = case_state(org, DAY, SEED_THRESHOLDS), case_state(org, DAY, SEED_THRESHOLDS, Shape.CODED)
    payload = CONVERTER.to_payloads([coded])[0]
    assert b"next_actions" not in payload.data and b"join_blocked" not in payload.data
    assert json.loads(payload.data)["offered"] == offered_number(compact.next_actions) > 0
    assert compact.join_blocked is not None and coded.join_blocked is None  # the domain's guard refuses it
    assert len(payload.data) + 250 < len(CONVERTER.to_payloads([compact])[0].data)
    [read] = CONVERTER.from_payloads([payload], [CaseState])
    assert read == coded and read.coded and read.next_actions == compact.next_actions
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([compact]), [CaseState]) == [compact]  # and the older form
    closed = coded.model_copy(update={"next_actions": []})  # nothing offered: still the coded form
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([closed]), [CaseState]) == [closed]


def test_the_offered_steps_codes_only_grow_at_the_end() -> None:
    """Stored histories read the positions: the first 46 are pinned (a new step is appended, and added here)."""
    first = ",".join(OFFERED_CODES[:46]).encode()
    assert hashlib.sha256(first).hexdigest() == "9a9be9b15ff73ed18dc59966d40d274364bee019e2cd6fabc503cfefe53e333e"
    assert set(ACTIONS) <= set(OFFERED_CODES) and len(set(OFFERED_CODES)) == len(OFFERED_CODES)
    assert offered_number(["report_headcount", "add_member"]) == 3
    assert offered_names(offered_number(list(ACTIONS))) == list(OFFERED_CODES)


def test_a_coded_runs_answer_is_the_version_alone_and_no_older_answer_reads_as_it() -> None:
    answers: Any = CaseView | Applied | NewVersion  # an update's answer, as the client reads it
    org = organization()
    new = NewVersion(version=4)
    assert CONVERTER.to_payloads([new])[0].data == b'{"version":4}'
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([new]), [answers]) == [new]
    older = Applied.of(case_state(org, DAY, SEED_THRESHOLDS))
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([older]), [answers]) == [older]
    view = case_view(org, DAY, SEED_THRESHOLDS)
    assert CONVERTER.from_payloads(CONVERTER.to_payloads([view]), [answers]) == [view]


def test_only_the_search_attributes_that_changed_are_upserted() -> None:
    before, now = ("DEVELOPING_MEMBERS", "440401001003", False), ("FORMAL_BRANCH", "440401001003", True)
    assert [u.key for u in search_updates(now, before)] == [STAGE, OVERDUE]
    assert search_updates(now, now) == [] and len(search_updates(now)) == 3


def test_an_activity_input_reads_and_writes_the_shape_as_the_two_booleans_it_had() -> None:
    """The inputs of activities that are not local are in the histories and may go between a worker of the
    release before and this one: the shape travels as `with_view` and `coded`, as it did."""
    from branchflow.workflows.activities import LoadInput

    for flags, shape in [({"with_view": True, "coded": False}, Shape.WHOLE), ({}, Shape.COMPACT),
                         ({"with_view": False}, Shape.COMPACT), ({"with_view": False, "coded": True}, Shape.CODED)]:
        given = LoadInput.model_validate({"organization_id": "8a0f3c5e-1b2d-4e6f-9a7b-0c1d2e3f4a5b",
                                          "today": "2026-01-05", **flags})
        assert given.shape is shape
        written = json.loads(CONVERTER.to_payloads([given])[0].data)
        assert {k: written[k] for k in ("with_view", "coded")} == {"with_view": shape is Shape.WHOLE,
                                                                 "coded": shape is Shape.CODED}
        assert "shape" not in written
        assert CONVERTER.from_payloads(CONVERTER.to_payloads([given]), [LoadInput])[0] == given


def test_a_run_s_shape_follows_its_patches() -> None:
    assert Shape.of_run(compact=False, coded=False) is Shape.WHOLE
    assert Shape.of_run(compact=True, coded=False) is Shape.COMPACT
    assert Shape.of_run(compact=True, coded=True) is Shape.CODED
