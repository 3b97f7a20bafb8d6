"""A case from registration to formal branch through HTTP alone, with board and history following each step."""

from __future__ import annotations

import uuid
from typing import Any

from branchflow.api.users import Role
from branchflow.domain.values import make_credit_code
from tests.api.conftest import Stack

STREET = "440403101"


def registration(region_code: str = f"{STREET}001", **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"斗门区测试电子有限公司{uuid.uuid4().hex[:6]}", "kind": "economic", "subtype": "private",
        "registered": True,
        "credit_code": make_credit_code("914404031" + uuid.uuid4().hex[:8].upper().replace("I", "1")
                                        .replace("O", "0").replace("Z", "2").replace("S", "5").replace("V", "7")),
        "region_code": region_code, "industry": "C", "employees": 120, "above_scale": True,
        "founded_on": "2026-03-01",
    }
    return {**body, **overrides}


def member(name: str) -> dict[str, Any]:
    return {"action": "add_member", "name": name, "gender": "female", "birth_date": "1980-02-03",
            "education": "bachelor", "status": "formal", "relation_transferred": True}


def test_a_case_goes_from_registration_to_formal_branch_by_api_calls_alone(stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    region = f"{STREET}002"
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        created = api.post("/organizations", json=registration(region))
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["stage"] == "NO_MEMBERS" and case["version"] == 1
        path = f"/organizations/{case['id']}"

        stack.projected(organizer)
        board = api.get("/boards/status", params={"region": region}).json()
        assert (board["total"], board["by_stage"]["NO_MEMBERS"], board["blank_spots"]) == (1, 1, 1)

        for name in ("王芳", "李强", "张伟"):
            answer = api.post(f"{path}/actions", json=member(name))
            assert answer.status_code == 200, answer.text
        assert answer.json()["stage"] == "DEVELOPING_MEMBERS"
        assert "request_formal_branch" in answer.json()["next_actions"]

        requested = api.post(f"{path}/actions", json={"action": "request_formal_branch", "name": "测试支部"})
        assert requested.status_code == 200, requested.text
        refused = api.post(f"{path}/actions", json={"action": "approve_formal_branch"})
        assert refused.status_code == 403

        approved = sup.post(f"{path}/actions", json={"action": "approve_formal_branch", "reason": "条件成熟"})
        assert approved.status_code == 200, approved.text
        final = approved.json()
        assert (final["stage"], final["method"], final["party_org_type"], final["formed"]) == (
            "FORMAL_BRANCH", "standalone", "branch", True)

        stack.projected(organizer)
        board = api.get("/boards/status", params={"region": region}).json()
        assert board["by_stage"]["FORMAL_BRANCH"] == 1 and board["formation_rate"] == 1.0
        assert board["blank_spots"] == 0

        history = api.get(f"{path}/history").json()
        assert [h["type"] for h in history] == [
            "Registered", "MemberAdded", "MemberAdded", "MemberAdded", "FormalBranchRequested",
            "FormalBranchApproved"]
        assert history[-1]["actor"] != history[0]["actor"] and history[-1]["reason"] == "条件成熟"
