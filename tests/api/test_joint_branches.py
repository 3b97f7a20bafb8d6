"""Joint branches over HTTP: suggested groupings, formed all or nothing by a supervisor."""

from __future__ import annotations

import httpx

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import member, registration

STREET = "440403105"


def organization_with_members(api: httpx.Client, region: str, members: int, industry: str = "F") -> str:
    answer = api.post("/organizations", json=registration(region, industry=industry, employees=20,
                                                           above_scale=False))
    assert answer.status_code == 201, answer.text
    org = str(answer.json()["id"])
    for n in range(members):
        assert api.post(f"/organizations/{org}/actions", json=member(f"党员{n}")).status_code == 200
    return org


def test_neighbouring_small_organizations_are_suggested_and_form_one_joint_branch(stack: Stack) -> None:
    # The street's committee answers for its cases: the formed cases must name it (below).
    added = stack.cli("committee", "add", "DM-105", "测试联合街道党工委", "--kind", "territorial", "--region", STREET)
    assert added.returncode == 0 or "already exists" in added.stderr, added
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        one = organization_with_members(api, f"{STREET}001", 1)
        two = organization_with_members(api, f"{STREET}002", 2)
        stack.projected(organizer)
        suggested = api.get("/joint-branches/candidates", params={"region": STREET}).json()
        assert any({one, two} <= set(g["organization_ids"]) for g in suggested), suggested

        body = {"name": "井岸镇商贸联合党支部", "organization_ids": [one, two], "command_id": "joint-1"}
        assert api.post("/joint-branches", json=body).status_code == 403  # the department approves it
        formed = sup.post("/joint-branches", json=body)
        assert formed.status_code == 200, formed.text
        assert {(c["stage"], c["method"]) for c in formed.json()} == {("FORMAL_BRANCH", "joint")}
        assert sup.post("/joint-branches", json=body).json() == formed.json()  # a retry answers the same
        # Each case as GET shows it: its region's and committee's names too (found in review: they were null).
        for case in formed.json():
            shown = sup.get(f"/organizations/{case['id']}").json()
            assert shown["responsible_committee"] == {"code": "DM-105", "name": "测试联合街道党工委"}
            assert (case["region_name"], case["responsible_committee"]) == \
                (shown["region_name"], shown["responsible_committee"])


def test_a_joint_branch_across_streets_is_refused_and_nobody_joins(stack: Stack) -> None:
    organizer = stack.token(Role.ORGANIZER, "440403")
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        here = organization_with_members(api, f"{STREET}003", 2)
        there = organization_with_members(api, "440403106001", 2)
        refused = sup.post("/joint-branches", json={"name": "跨街道联合支部", "organization_ids": [here, there]})
        assert refused.status_code == 409 and refused.json()["rule"] == "joint_not_neighbours"
        for org in (here, there):
            case = api.get(f"/organizations/{org}").json()
            assert case["stage"] == "DEVELOPING_MEMBERS" and case["method"] is None


def test_a_recount_shows_in_the_other_organizations_case_and_queue_without_a_step_on_it(stack: Stack) -> None:
    """Issue 13: a member leaving one organization of the joint branch leaves it with 2 formal members: the
    other organization must adjust too, and its case and work queue say so at once."""
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        one = organization_with_members(api, f"{STREET}004", 1)
        two = organization_with_members(api, f"{STREET}005", 2)
        formed = sup.post("/joint-branches", json={"name": "井岸镇联合党支部二", "organization_ids": [one, two]})
        assert formed.status_code == 200, formed.text
        left = api.post(f"/organizations/{two}/actions", json={"action": "transfer_out", "member_id": "P1"})
        assert left.status_code == 200, left.text
        case = api.get(f"/organizations/{one}").json()
        assert "adjust_party_organization" in {o["rule"] for o in case["obligations"]}, case["obligations"]
        stack.projected(organizer)
        queue = api.get("/work-queue", params={"region": f"{STREET}004", "page_size": 100}).json()
        assert ("adjust_party_organization", one) in {(i["rule"], i["organization_id"]) for i in queue["items"]}


def test_a_joint_branch_elects_from_all_its_organizations_and_every_case_shows_the_term(stack: Stack) -> None:
    """Issue 13 finding 5 / issue 17: y elects its member secretary; x (the other case) shows the term and the
    election due, and x may elect y's member too (it was 409 officer_not_formal_member)."""
    organizer = stack.token(Role.ORGANIZER, STREET)
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    with stack.client(organizer) as api, stack.client(supervisor) as sup:
        x = organization_with_members(api, f"{STREET}006", 0)
        for name in ("赵一", "赵二"):
            assert api.post(f"/organizations/{x}/actions", json=member(name)).status_code == 200
        y = organization_with_members(api, f"{STREET}007", 0)
        assert api.post(f"/organizations/{y}/actions", json=member("钱三")).status_code == 200
        formed = sup.post("/joint-branches", json={"name": "井岸镇联合党支部三", "organization_ids": [x, y]})
        assert formed.status_code == 200, formed.text
        elected = api.post(f"/organizations/{y}/actions",
                           json={"action": "elect_branch_committee", "secretary": "钱三"})
        assert elected.status_code == 200, elected.text
        term = elected.json()["term_ends_on"]
        assert term is not None
        case = api.get(f"/organizations/{x}").json()
        assert case["term_ends_on"] == term
        assert "hold_election" in {o["rule"] for o in case["obligations"]}, case["obligations"]
        again = api.post(f"/organizations/{x}/actions",
                         json={"action": "elect_branch_committee", "secretary": "钱三"})
        assert again.status_code == 200, again.text
