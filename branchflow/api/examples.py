"""Worked examples for the OpenAPI documents, made by the domain itself so they never drift from it."""

from __future__ import annotations

from datetime import date
from typing import Any

from branchflow.domain.actions import parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.case import CommitteeView, case_view
from branchflow.domain.registration import Registration
from branchflow.projections.board import StatusBoard, figures

REGISTRATION = {
    "name": "珠海市斗门区某电子科技有限公司", "credit_code": "91440403MA4W12345X", "kind": "economic",
    "subtype": "private", "registered": True, "region_code": "440403101001", "industry": "C", "employees": 120,
    "above_scale": True, "founded_on": "2026-03-01",
}
MEMBERS = ("王芳", "李强", "张伟")
ON = date(2026, 11, 30)


def _worked_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A case registered, given three members and a formal branch request, in memory."""
    app = FormationApplication()  # in-memory event store: nothing is written anywhere
    org = app.register_organization(Registration.model_validate(REGISTRATION), "张组织员", ON)
    for name in MEMBERS:
        app.perform(org.id, parse_action({
            "action": "add_member", "name": name, "gender": "female", "birth_date": "1985-04-12",
            "education": "bachelor", "status": "formal", "relation_transferred": True}), "张组织员", ON)
    org = app.perform(org.id, parse_action({"action": "request_formal_branch", "name": "某电子科技有限公司党支部",
                                            "reason": "三名正式党员，关系已转入"}), "张组织员", ON)
    # The names the reading side puts beside the codes (the regions' and the committees' tables).
    committee = CommitteeView(code="DM-101", name="中共斗门区井岸镇委员会")  # the street's, by default
    case = case_view(org, ON, app.thresholds).model_copy(update={
        "region_name": "城南社区", "responsible_committee": committee}).model_dump(mode="json")
    history = [entry.model_dump(mode="json") for entry in app.history(org.id)]
    return case, history


CASE, HISTORY = _worked_case()


def example(value: Any) -> dict[str, Any]:
    """A route's `responses` entry for one status, showing `value` as its JSON answer."""
    return {"content": {"application/json": {"example": value}}}


def _board() -> dict[str, Any]:
    """The seed's Doumen figures for above-scale enterprises: 97 % formed, 100 % covered, one street shown."""
    street = {"total": 100, "no_members": 0, "developing_members": 3, "temporary_branch": 0, "formal_branch": 97,
              "closed": 1, "formed": 97, "organization_covered": 97, "work_covered": 100, "blank_spots": 0,
              "overdue": 2, "responsibility_covered": 99}
    whole = figures("440403", street, "斗门区")
    return StatusBoard(**whole.model_dump(), children=[figures("440403101", street, "井岸镇")]).model_dump(
        mode="json")


BOARD = _board()
