"""People are recorded once, over HTTP (issue 18 item 5): ID numbers checked (422 naming the field), a person
twice refused (409), a relation in one organization at a time (409 naming the other organization only in the
caller's scope), and ID numbers in full only to the organizers and supervisors whose scope covers the case."""

from __future__ import annotations

import logging
from contextlib import closing
from typing import Any

import pytest

from branchflow.api.users import Role
from branchflow.domain.id_numbers import check_character, masked
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import signed_in

STREET_A, STREET_B = "440403131", "440403132"  # streets no other test of the stack uses
FIRST17 = "44040319800203123"  # born 1980-02-03, as test_case_path.member is
NUMBER = FIRST17 + check_character(FIRST17)


def member(name: str, number: str, transferred: bool = True) -> dict[str, Any]:
    return {"action": "add_member", "name": name, "gender": "female", "birth_date": "1980-02-03",
            "education": "bachelor", "status": "formal", "relation_transferred": transferred, "id_number": number}


def test_id_numbers_over_http_once_per_organization_one_relation_and_shown_in_scope_only(
    stack: Stack, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the stack's parts log in this process: the web server, worker, runner
    organizer_a, organizer_b = stack.token(Role.ORGANIZER, STREET_A), stack.token(Role.ORGANIZER, STREET_B)
    supervisor, admin = stack.token(Role.SUPERVISOR, "440403"), stack.token(Role.ADMIN, "440403")
    with stack.client(organizer_a) as a, stack.client(organizer_b) as b, stack.client(supervisor) as sup, \
            stack.client(admin) as adm:
        org_a = a.post("/organizations", json=registration(f"{STREET_A}001")).json()
        org_b = b.post("/organizations", json=registration(f"{STREET_B}001")).json()
        path_a, path_b = f"/organizations/{org_a['id']}", f"/organizations/{org_b['id']}"

        wrong_check = a.post(f"{path_a}/actions", json=member("王芳", FIRST17 + ("1" if NUMBER[-1] != "1" else "2")))
        assert wrong_check.status_code == 422 and wrong_check.json()["errors"][0]["field"] == "id_number"
        other_birth = a.post(f"{path_a}/actions", json={**member("王芳", NUMBER), "birth_date": "1980-02-04"})
        assert other_birth.status_code == 422 and other_birth.json()["errors"][0]["field"] == "id_number"
        assert NUMBER not in other_birth.text

        added = a.post(f"{path_a}/actions", json=member("王芳", NUMBER.lower()))
        assert added.status_code == 200 and added.json()["members"][0]["id_number"] == NUMBER, added.text
        twice = a.post(f"{path_a}/actions", json=member("王 芳", NUMBER))
        assert twice.status_code == 409 and twice.json()["rule"] == "person_recorded_twice"

        # In scope, in full: the case, its history, its page; the admin (no step role) sees them masked.
        assert a.get(path_a).json()["members"][0]["id_number"] == NUMBER
        assert NUMBER in a.get(f"{path_a}/history").text
        shown = adm.get(path_a)
        assert shown.json()["members"][0]["id_number"] == masked(NUMBER) and NUMBER not in shown.text
        assert NUMBER not in adm.get(f"{path_a}/history").text
        with closing(signed_in(stack.base_url, organizer_a)) as browser:
            assert NUMBER in browser.get(f"/cases/{org_a['id']}").text
        with closing(signed_in(stack.base_url, admin)) as browser:
            page = browser.get(f"/cases/{org_a['id']}")
            assert page.status_code == 200 and masked(NUMBER) in page.text and NUMBER not in page.text

        # The relation sits in A: B may have the member working there, not the relation transferred in.
        assert b.post(f"{path_b}/actions", json=member("王芳", NUMBER, transferred=False)).status_code == 200
        refused = b.post(f"{path_b}/actions", json={"action": "transfer_in", "member_id": "P1"})
        assert refused.status_code == 409 and refused.json()["rule"] == "relation_elsewhere"
        assert org_a["name"] not in refused.text and org_a["id"] not in refused.text  # A is outside B's street
        named = sup.post(f"{path_b}/actions", json={"action": "transfer_in", "member_id": "P1"})
        assert named.status_code == 409 and org_a["name"] in named.json()["detail"]
        assert a.post(f"{path_a}/actions", json={"action": "transfer_out", "member_id": "P1"}).status_code == 200
        moved = b.post(f"{path_b}/actions", json={"action": "transfer_in", "member_id": "P1"})
        assert moved.status_code == 200 and moved.json()["members"][0]["relation_transferred"], moved.text

        # Lists and exports: the audit trail masks it, the ledger has none.
        stack.projected(supervisor)
        trail = sup.get("/audit", params={"region": STREET_A})
        assert trail.status_code == 200 and masked(NUMBER) in trail.text and NUMBER not in trail.text
        ledger = sup.get("/reports/ledger", params={"region": "440403", "format": "csv"})
        assert ledger.status_code == 200 and NUMBER not in ledger.text
    assert caplog.records and not [r for r in caplog.records if NUMBER in r.getMessage()]
