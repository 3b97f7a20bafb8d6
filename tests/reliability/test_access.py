"""Role × region scope × every API endpoint and every page: one table of who may do what, checked by calls.

Scopes are taken relative to the cases of one street: the street itself ("own"), its district ("parent"),
and the next street of the same district ("sibling"); and by committee (条): the industry committee the cases
answer for ("committee"), and another industry committee ("other committee"). A step the role may take
reaches the rules (200, 201, or 409 when a rule refuses it); any other call is 403 before anything is sent to
a workflow. A committee's user reads lists and boards of any region, narrowed to its committee's cases: the
other committee's lists answer 200 without the cases; it registers cases its own committee answers for.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from branchflow.api.users import Role, add_user
from branchflow.projections.committees import Committee, CommitteeExists, CommitteeKind, add_committee
from tests.api.conftest import Stack
from tests.api.test_case_path import registration
from tests.reliability.protocol import csrf_token, signed_in

pytestmark = pytest.mark.slow
DISTRICT = "440404"  # 金湾区: a district of its own in the shared stack
STREET, SIBLING = f"{DISTRICT}001", f"{DISTRICT}002"
SCOPES = {"own": STREET, "parent": DISTRICT, "sibling": SIBLING}
COMMITTEES = {"committee": "ACCESS-LAW", "other committee": "ACCESS-TAX"}  # industry committees of 珠海市
ALL_SCOPES = (*SCOPES, *COMMITTEES)
ALL = frozenset(Role)
STEPPERS = frozenset({Role.ORGANIZER, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})
READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
Body = Callable[["Cases"], dict[str, Any]] | None


@dataclass(frozen=True)
class Cases:
    case: str  # the street's case the calls act on
    other: str  # a second case of the street, for a joint branch


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str  # {case} and {street} are filled in
    body: Body
    roles: frozenset[Role]  # the roles that may
    allowed: int  # the answer when they may (and are in scope)
    scoped: bool = True  # False: the same for every region scope
    case_specific: bool = False  # names the street's cases (in the path or the body)
    lists: bool = False  # a list, board or report of the street: another committee gets it without the cases


def headcount(_: Cases) -> dict[str, Any]:
    return {"action": "report_headcount", "employees": 130, "above_scale": True}


def approval(_: Cases) -> dict[str, Any]:
    return {"action": "approve_formal_branch"}  # nothing requested: the rules refuse it (409) once allowed


def joint(cases: Cases) -> dict[str, Any]:
    return {"name": "联合党支部", "organization_ids": [cases.case, cases.other]}  # no members: refused (409)


def new_case(_: Cases) -> dict[str, Any]:
    return registration(f"{STREET}002", name=f"权限测试{uuid.uuid4().hex[:8]}有限公司")


API: list[Call] = [
    Call("read a case", "GET", "/organizations/{case}", None, ALL, 200, case_specific=True),
    Call("read a case's history", "GET", "/organizations/{case}/history", None, ALL, 200, case_specific=True),
    Call("register", "POST", "/organizations", new_case, STEPPERS, 201),
    Call("take a step", "POST", "/organizations/{case}/actions", headcount, STEPPERS, 200, case_specific=True),
    Call("take a supervisor's step", "POST", "/organizations/{case}/actions", approval, SUPERVISORS, 409,
         case_specific=True),
    Call("form a joint branch", "POST", "/joint-branches", joint, SUPERVISORS, 409, case_specific=True),
    Call("suggest joint branches", "GET", "/joint-branches/candidates?region={street}", None, ALL, 200,
         lists=True),
    Call("list cases", "GET", "/organizations?region={street}", None, ALL, 200, lists=True),
    Call("read the board", "GET", "/boards/status?region={street}", None, ALL, 200, lists=True),
    Call("read statistics", "GET", "/reports/statistics?region={street}", None, ALL, 200, lists=True),
    Call("download the ledger", "GET", "/reports/ledger?region={street}&format=csv", None, ALL, 200, lists=True),
    Call("download the statistics table", "GET", "/reports/formation-table?region={street}&format=xlsx", None,
         ALL, 200, lists=True),
    Call("read a past statistics table", "GET", "/reports/formation-table?region={street}&as_of=2025-12-31", None,
         ALL, 200, lists=True),
    Call("read the audit trail", "GET", "/audit?region={street}", None, READERS, 200, lists=True),
    Call("read the work queue", "GET", "/work-queue?region={street}", None, ALL, 200, lists=True),
    Call("read the projections' lag", "GET", "/projections", None, ALL, 200, scoped=False),
]

PAGES: list[Call] = [
    Call("board page", "GET", "/board?region={street}", None, ALL, 200, lists=True),
    Call("case list page", "GET", "/cases?region={street}", None, ALL, 200, lists=True),
    Call("case page", "GET", "/cases/{case}", None, ALL, 200, case_specific=True),
    Call("ledger download", "GET", "/ledger?region={street}&format=csv", None, ALL, 200, lists=True),
    Call("statistics page", "GET", "/statistics?region={street}", None, ALL, 200, lists=True),
    Call("statistics page as of a date", "GET", "/statistics?region={street}&as_of=2025-12-31", None, ALL, 200,
         lists=True),
    Call("statistics table download", "GET", "/statistics/table?region={street}&format=xlsx", None, ALL, 200,
         lists=True),
    Call("audit page", "GET", "/audit?region={street}", None, READERS, 200, lists=True),
    Call("work queue page", "GET", "/work-queue?region={street}", None, ALL, 200, lists=True),
    Call("registration form", "GET", "/cases/new", None, STEPPERS, 200, scoped=False),
    Call("register by form", "POST", "/cases/new", new_case, STEPPERS, 303),
    Call("take a step by form", "POST", "/cases/{case}/actions", headcount, STEPPERS, 303, case_specific=True),
    Call("take a supervisor's step by form", "POST", "/cases/{case}/actions", approval, SUPERVISORS, 409,
         case_specific=True),
]


def expected(call: Call, role: Role, scope: str) -> int:
    if role not in call.roles or (call.scoped and scope == "sibling"):
        return 403
    if scope == "other committee" and call.case_specific:
        return 403
    return call.allowed


TABLE = [(call, role, scope) for call in API for role in Role for scope in ALL_SCOPES]
PAGE_TABLE = [(call, role, scope) for call in PAGES for role in Role for scope in ALL_SCOPES]


def shows_the_cases(call: Call, scope: str, answer: httpx.Response, cases: Cases) -> None:
    """Another committee's user gets a street's lists without the street's cases (answered 200)."""
    if call.lists and answer.status_code == 200 and scope == "other committee":
        assert cases.case not in answer.text and "权限测试案件" not in answer.text


def label(entry: tuple[Call, Role, str]) -> str:
    call, role, scope = entry
    return f"{call.name}-{role.value}-{scope}"


@pytest.fixture(scope="module")
def cases(stack: Stack) -> Cases:
    """Two cases of the street the committee ACCESS-LAW answers for."""
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        for code in COMMITTEES.values():
            with contextlib.suppress(CommitteeExists):
                add_committee(conn, Committee(code=code, name=f"{code}行业党委", kind=CommitteeKind.INDUSTRY,
                                             region="4404"))
    with stack.client(stack.token(Role.ORGANIZER, STREET)) as api:
        ids = [api.post("/organizations", json=registration(
            f"{STREET}001", name=f"权限测试案件{uuid.uuid4().hex[:6]}", responsible_committee=COMMITTEES["committee"],
        )).json()["id"] for _ in range(2)]
    stack.projected(stack.token(Role.SUPERVISOR, DISTRICT))
    return Cases(*ids)


@pytest.fixture(scope="module")
def tokens(stack: Stack, cases: Cases) -> dict[tuple[Role, str], str]:
    found = {(role, scope): stack.token(role, region) for role in Role for scope, region in SCOPES.items()}
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        for scope, code in COMMITTEES.items():
            for role in Role:
                found[role, scope] = add_user(conn, f"{role.value}-{code}-{uuid.uuid4().hex[:6]}", role, "4404",
                                              committee=code)
    return found


@pytest.mark.parametrize("entry", TABLE, ids=[label(e) for e in TABLE])
def test_the_api_answers_each_role_in_each_scope_as_the_table_says(
    stack: Stack, cases: Cases, tokens: dict[tuple[Role, str], str], entry: tuple[Call, Role, str],
) -> None:
    call, role, scope = entry
    path = call.path.format(case=cases.case, street=STREET)
    with stack.client(tokens[role, scope]) as api:
        answer = api.request(call.method, path, json=call.body(cases) if call.body else None)
        assert answer.status_code == expected(call, role, scope), answer.text
        shows_the_cases(call, scope, answer, cases)
    with stack.client(None) as anonymous:  # and nobody without a token
        assert anonymous.request(call.method, path, json=call.body(cases) if call.body else None).status_code == 401


@pytest.fixture(scope="module")
def sessions(stack: Stack, tokens: dict[tuple[Role, str], str]) -> Iterator[dict[tuple[Role, str], httpx.Client]]:
    """A signed-in browser session (cookie and CSRF token) per role and scope."""
    found = {key: signed_in(stack.base_url, token) for key, token in tokens.items()}
    yield found
    for browser in found.values():
        browser.close()


def session_csrf(browser: httpx.Client) -> str:
    return csrf_token(browser.get("/cases?region=44"))  # any page carries the session's CSRF token (sign-out form)


@pytest.mark.parametrize("entry", PAGE_TABLE, ids=[label(e) for e in PAGE_TABLE])
def test_the_pages_answer_each_role_in_each_scope_as_the_table_says(
    stack: Stack, cases: Cases, sessions: dict[tuple[Role, str], httpx.Client], entry: tuple[Call, Role, str],
) -> None:
    call, role, scope = entry
    path = call.path.format(case=cases.case, street=STREET)
    browser = sessions[role, scope]
    form = None
    if call.method == "POST" and call.body is not None:
        form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in call.body(cases).items()}
        form = {k: v for k, v in form.items() if v not in ("false", "None")}  # unticked boxes are not sent
        form |= {"csrf": session_csrf(browser), "command_id": str(uuid.uuid4())}
    answer = browser.request(call.method, path, data=form)
    assert answer.status_code == expected(call, role, scope), answer.text[-2000:]
    shows_the_cases(call, scope, answer, cases)
    with httpx.Client(base_url=stack.base_url) as stranger:  # no session: sent to sign in, nothing done
        assert stranger.request(call.method, path, data=form).status_code == 303
