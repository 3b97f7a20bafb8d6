"""Scope on every write (issue 14): a correction cannot move a case out of its actor's region, from the API or
the page's form; a page of a list far past its end is a 422, not a database error."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from branchflow.api.users import Role
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import csrf_token, signed_in

pytestmark = pytest.mark.slow
COUNTY = "440511"  # 金平区, 濠江区: counties no other test of the stack uses
STREET, SIBLING, OTHER_COUNTY = f"{COUNTY}001", f"{COUNTY}002", "440512001"


def registered(api: httpx.Client, region: str) -> str:
    created = api.post("/organizations", json=registration(f"{region}001"))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.mark.parametrize("target", [f"{OTHER_COUNTY}001", f"{SIBLING}001"], ids=["other_county", "sibling_street"])
def test_a_correction_moving_a_case_out_of_the_actors_scope_is_403_and_changes_nothing(
    stack: Stack, target: str
) -> None:
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        case = registered(api, STREET)
        moved = api.post(f"/organizations/{case}/actions", json={
            "action": "correct_facts", "corrects": 1, "changes": {"region_code": target}})
        assert moved.status_code == 403, moved.text
        assert api.get(f"/organizations/{case}").json()["region_code"] == f"{STREET}001"
        within = api.post(f"/organizations/{case}/actions", json={
            "action": "correct_facts", "corrects": 1, "changes": {"region_code": f"{STREET}002"}})
        assert within.status_code == 200, within.text  # inside the scope a correction still works
        assert within.json()["region_code"] == f"{STREET}002"


def test_the_page_form_refuses_the_same_correction(stack: Stack) -> None:
    token = stack.token(Role.ORGANIZER, STREET)
    with stack.client(token) as api:
        case = registered(api, STREET)
    with closing(signed_in(stack.base_url, token)) as browser:
        page = browser.get(f"/cases/{case}")
        answer = browser.post(f"/cases/{case}/actions", data={
            "csrf": csrf_token(page), "action": "correct_facts", "corrects": "1",
            "changes.key": "region_code", "changes.value": f"{OTHER_COUNTY}001"})
        assert answer.status_code == 403, answer.text[-500:]
    with stack.client(token) as api:
        assert api.get(f"/organizations/{case}").json()["region_code"] == f"{STREET}001"


@pytest.mark.parametrize("path", ["/cases", "/audit"])
def test_a_page_number_past_a_bigint_is_422_on_the_pages(stack: Stack, path: str) -> None:
    with closing(signed_in(stack.base_url, stack.token(Role.SUPERVISOR, COUNTY))) as browser:
        assert browser.get(path, params={"page": "9223372036854775807"}).status_code == 422
        assert browser.get(path, params={"page": "2"}).status_code == 200
