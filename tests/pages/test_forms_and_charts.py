"""The parts of the pages that need no browser: forms generated from the commands, charts, safe redirects."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from branchflow.api.pages import charts
from branchflow.api.pages.forms import action_form, field_errors, read
from branchflow.api.pages.web import local_path
from branchflow.domain.actions import ACTIONS, parse_action
from branchflow.domain.case import CandidateView, CaseView, MemberView
from branchflow.domain.people import DevelopmentStage, MemberStatus
from branchflow.domain.rules import Stage


def member(person_id: str, name: str, status: MemberStatus = MemberStatus.FORMAL, here: bool = True) -> MemberView:
    return MemberView(id=person_id, name=name, gender="female", birth_date=date(1980, 1, 1), education="bachelor",
                      status=status, relation_transferred=here)


def a_case() -> CaseView:
    return CaseView(
        id=uuid4(), name="某公司", credit_code=None, kind="economic", registered=False, region_code="440403101001",
        industry="C", employees=80, above_scale=False, founded_on=date(2020, 1, 1), superior_party_org=None,
        owner_is_member=False, stage=Stage.FORMAL_BRANCH, method=None, formed=True, organization_covered=True,
        work_covered=True, party_org_type=None, party_org_name=None, pending_formal_branch=None, formal_members=3,
        probationary_members=1,
        members=[member("P1", "王芳"), member("P2", "李强"), member("P3", "陈静", here=False),
                 member("P4", "赵敏", MemberStatus.PROBATIONARY)],
        candidates=[CandidateView(id="P5", name="孙丽", stage=DevelopmentStage.DEVELOPMENT_TARGET, next_due_on=None),
                    CandidateView(id="P6", name="周杰", stage=DevelopmentStage.APPLICANT, next_due_on=None)],
        instructor=None, affiliation=None, obligations=[], next_actions=list(ACTIONS), version=9,
    )


def test_every_action_has_a_form_generated_from_its_fields() -> None:
    case = a_case()
    for name, model in ACTIONS.items():
        form = action_form(name, case, "id")
        shown = {w.name for w in form.widgets}
        assert shown == set(model.model_fields) - {"action", "reason", "occurred_on", "command_id"}, name
        assert not form.label.isascii(), f"{name} has no Chinese label"


def test_person_fields_offer_only_the_people_who_fit_the_step() -> None:
    case = a_case()
    widgets = {w.name: w for w in action_form("admit_probationary", case, "id").widgets}
    assert [o.text for o in widgets["person_id"].options] == ["孙丽（发展对象）"]
    assert widgets["introducer_ids"].kind == "checkboxes"
    assert [o.value for o in widgets["introducer_ids"].options] == ["P1", "P2", "P3"]
    transfer = action_form("transfer_in", case, "id").widgets[0]
    assert transfer.kind == "select" and [o.value for o in transfer.options] == ["P3"]
    convert = action_form("convert_to_formal", case, "id").widgets[0]
    assert [o.value for o in convert.options] == ["P4"]


def test_widgets_follow_the_field_types() -> None:
    kinds = {w.name: w.kind for w in action_form("add_member", a_case(), "id").widgets}
    assert kinds == {"name": "text", "gender": "select", "birth_date": "date", "education": "select",
                     "status": "select", "relation_transferred": "checkbox", "admitted_on": "date",
                     "id_number": "text"}
    rating = {w.kind for w in action_form("rate_five_goods", a_case(), "id").widgets}
    assert rating == {"checkbox"}
    correction = {w.name: w.kind for w in action_form("correct_facts", a_case(), "id").widgets}
    assert correction == {"corrects": "number", "changes": "pair"}


def test_a_posted_form_reads_back_into_the_command() -> None:
    form = FormData([("person_id", "P5"), ("introducer_ids", "P1"), ("introducer_ids", "P2"),
                     ("reason", "支部大会通过"), ("occurred_on", ""), ("csrf", "x")])
    step = parse_action({**read(ACTIONS["admit_probationary"], form), "action": "admit_probationary"})
    assert step.model_dump(include={"person_id", "introducer_ids", "reason", "occurred_on"}) == {
        "person_id": "P5", "introducer_ids": ["P1", "P2"], "reason": "支部大会通过", "occurred_on": None}
    posted = FormData([("secretary", "王芳"), ("committee", "李强、陈静, 赵敏")])
    committee = read(ACTIONS["elect_branch_committee"], posted)
    assert committee["committee"] == ["李强", "陈静", "赵敏"]


def test_field_errors_are_in_words_and_name_the_field() -> None:
    form = FormData([("name", "孙丽"), ("birth_date", "2099-01-01"), ("gender", "female")])
    with pytest.raises(ValidationError) as refused:
        parse_action({**read(ACTIONS["add_member"], form), "action": "add_member"}, date(2026, 6, 1))
    errors = field_errors(refused.value, "add_member")
    assert errors["birth_date"] == "日期不能晚于今天"
    assert errors["education"] == "必填"
    wrong = FormData([("name", "孙丽"), ("birth_date", "1949-12-31"), ("id_number", "110105194912310021")])
    with pytest.raises(ValidationError) as refused:
        parse_action({**read(ACTIONS["record_applicant"], wrong), "action": "record_applicant"})
    assert field_errors(refused.value, "record_applicant")["id_number"] == "公民身份号码校验码有误（请核对最后一位）"


def test_charts_escape_their_text() -> None:
    svg = charts.bars("标题", [charts.Bar("<script>", 3, "3 个", href="/cases?a=1&b=2")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a=1&amp;b=2" in svg
    assert 'class="step current"' in charts.stage_line("TEMPORARY_BRANCH")
    assert "已关闭" in charts.stage_line("CLOSED")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil", "", None])
def test_after_signing_in_only_a_path_on_this_server_is_followed(target: str | None) -> None:
    assert local_path(target) == "/board"
    assert local_path("/cases?stage=NO_MEMBERS") == "/cases?stage=NO_MEMBERS"
