"""Tokens and sessions (issue 14 item 10): a token can be revoked and expires; a user has a bounded number of
page sessions; wrong tokens from one address, or for one user's key from any address, lock out new tokens
briefly, holding back guesses but not the real user's token; tokens name their user by a random key, old ones
keep working and `user rotate` replaces them; `user add` refuses an empty name and an organizer for the whole
country; `import --user` acts as that user, inside its scope."""

from __future__ import annotations

import csv
import secrets
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import psycopg
import pytest

from branchflow.api import throttle
from branchflow.api.pages import sessions
from branchflow.api.users import Role, revoke_user, token_hash, token_user_key
from tests.api.conftest import Stack
from tests.api.test_import_and_demo import HEADER
from tests.reliability.protocol import csrf_token, signed_in
from tests.reliability.test_throttle import wrong_secret

pytestmark = pytest.mark.slow
STREET, OTHER_STREET = "440403127", "440403128"


def added(stack: Stack, *args: str) -> str:
    made = stack.cli("user", "add", *args)
    assert made.returncode == 0, made.stderr
    return made.stdout.split("token: ")[1].strip()


def test_a_revoked_token_opens_nothing_and_its_sessions_end(stack: Stack) -> None:
    name = f"revoked-{uuid.uuid4().hex[:6]}"
    token = added(stack, name, "--role", "organizer", "--region", STREET)
    with stack.client(token) as api, closing(signed_in(stack.base_url, token)) as browser:
        assert api.get("/organizations").status_code == 200
        assert browser.get("/cases", follow_redirects=False).status_code == 200
        revoked = stack.cli("user", "revoke", name)
        assert revoked.returncode == 0, revoked.stderr
        assert api.get("/organizations").status_code == 401
        assert browser.get("/cases", follow_redirects=False).status_code in (303, 307)  # to the sign-in page
    with httpx.Client(base_url=stack.base_url) as fresh:
        login = fresh.post("/login", data={"token": token, "csrf": csrf_token(fresh.get("/login"))})
        assert login.status_code == 401
    assert stack.process("user", "revoke", f"nobody-{uuid.uuid4().hex[:6]}").returncode == 1  # as a process exits


def test_a_token_expires(stack: Stack) -> None:
    name = f"expiring-{uuid.uuid4().hex[:6]}"
    token = added(stack, name, "--role", "supervisor", "--region", STREET, "--expires-in-days", "30")
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        row = conn.execute("SELECT expires_at - now() FROM branchflow_users WHERE name = %s", (name,)).fetchone()
        assert row is not None and 29 <= row[0].days < 30  # 30 days less the seconds since
        with stack.client(token) as api:
            assert api.get("/boards/status").status_code == 200
            conn.execute("UPDATE branchflow_users SET expires_at = now() - interval '1 second' WHERE name = %s",
                         (name,))
            assert api.get("/boards/status").status_code == 401


def test_a_user_keeps_only_the_newest_sessions(stack: Stack) -> None:
    token = stack.token(Role.ORGANIZER, STREET)
    browsers = [signed_in(stack.base_url, token) for _ in range(sessions.MAX_PER_USER + 2)]
    try:
        kept = [b.get("/cases", follow_redirects=False).status_code == 200 for b in browsers]
        assert kept == [False] * 2 + [True] * sessions.MAX_PER_USER
    finally:
        for b in browsers:
            b.close()


def test_wrong_tokens_lock_an_address_out_briefly_and_never_the_real_user_behind_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server runs in this process: a small limit, so that other tests are not held, and its clock.
    monkeypatch.setattr(throttle, "FAILURES_ALLOWED", 5)
    throttle.GUARD.reset()
    real, newcomer, leaver = (f"{who}-{uuid.uuid4().hex[:6]}" for who in ("real", "new", "leaver"))
    tokens = {name: stack.token(Role.ORGANIZER, STREET, name) for name in (real, newcomer, leaver)}

    def login(token: str) -> int:
        with httpx.Client(base_url=stack.base_url) as pages:
            return pages.post("/login", data={"token": token, "csrf": csrf_token(pages.get("/login"))}).status_code

    try:
        with stack.client("wrong-token") as wrong, stack.client(tokens[real]) as user, \
                stack.client(tokens[newcomer]) as new, stack.client(tokens[leaver]) as revoked:
            assert user.get("/organizations").status_code == revoked.get("/organizations").status_code == 200
            assert [wrong.get("/organizations").status_code for _ in range(5)] == [401] * 5
            locked = wrong.get("/organizations")
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
            assert login("wrong-token") == 429  # the sign-in form counts the same failures
            assert new.get("/organizations").status_code == 429  # a token not seen yet is held back like a guess
            assert login(tokens[newcomer]) == 429
            # The real user, at work from the same address, is not held back: at the API and the sign-in form.
            assert user.get("/organizations").status_code == 200
            assert login(tokens[real]) == 303
            with psycopg.connect(stack.database_url, autocommit=True) as conn:
                assert revoke_user(conn, leaver)
            assert revoked.get("/organizations").status_code == 401  # passing the lock-out is no pass
            later = time.monotonic() + throttle.LOCK_OUT + 1
            monkeypatch.setattr(throttle.GUARD, "clock", lambda: later)
            assert new.get("/organizations").status_code == 200  # the lock-out is over for everyone
    finally:
        throttle.GUARD.reset()


def from_address(address: str) -> httpx.HTTPTransport:
    """A client's connection from `address`, one of the loopback network's (127.0.0.0/8, all of it this
    machine's), so that one test stands for many clients without a header the server must not believe."""
    return httpx.HTTPTransport(local_address=address)


def login_from(stack: Stack, token: str, address: str = "127.0.0.1", forged: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forged} if forged else {}
    with httpx.Client(base_url=stack.base_url, transport=from_address(address), headers=headers) as pages:
        return pages.post("/login", data={"token": token, "csrf": csrf_token(pages.get("/login"))})


def test_a_forged_x_forwarded_for_does_not_escape_the_per_address_throttle(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No proxy is trusted by default (FORWARDED_ALLOW_IPS): a client naming another address in the header is
    # still counted as the address it sends from, at the API and at the sign-in form.
    monkeypatch.setattr(throttle, "FAILURES_ALLOWED", 5)
    throttle.GUARD.reset()

    def guess() -> str:  # of the old form: counted per address only
        return secrets.token_urlsafe(32)

    def get(forged: str) -> httpx.Response:
        with stack.client(guess()) as api:
            return api.get("/organizations", headers={"X-Forwarded-For": forged})

    try:
        assert [get(f"198.51.100.{i}").status_code for i in range(5)] == [401] * 5
        locked = get("198.51.100.99")
        assert locked.status_code == 429, locked.text
        assert "from your address" in locked.json()["detail"]
        assert login_from(stack, guess(), forged="203.0.113.7").status_code == 429
        assert login_from(stack, guess(), "127.0.0.9").status_code == 401  # another address: wrong, not held back
    finally:
        throttle.GUARD.reset()


def test_wrong_secrets_for_one_user_lock_out_its_new_tokens_from_every_address_but_not_its_signed_in_token(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One client here stands for many addresses: it sends from several of the loopback network's.
    monkeypatch.setattr(throttle, "FAILURES_ALLOWED", 5)
    throttle.GUARD.reset()
    real, fresh, bystander = (stack.token(Role.ORGANIZER, STREET) for _ in range(3))

    def get(token: str, address: str) -> httpx.Response:
        with httpx.Client(base_url=f"{stack.base_url}/api/v1", transport=from_address(address),
                          headers={"Authorization": f"Bearer {token}"}) as api:
            return api.get("/organizations")

    try:
        assert get(real, "127.0.2.1").status_code == 200  # the real user, signed in (known to the throttle)
        for attacked in (real, fresh):  # an attacker with the users' keys, one guess from each of 5 addresses
            assert [get(wrong_secret(attacked), f"127.0.1.{i}").status_code for i in range(1, 6)] == [401] * 5
        locked = get(wrong_secret(real), "127.0.1.99")
        assert locked.status_code == 429, locked.text
        assert 1 <= int(locked.headers["retry-after"]) <= throttle.USER_LOCK_OUT
        assert "for this token's user" in locked.json()["detail"]
        assert get(real, "127.0.1.99").status_code == 200  # the signed-in user is not locked out
        assert get(real, "127.0.1.1").status_code == 200
        assert get(fresh, "127.0.2.2").status_code == 429  # a user not signed in waits out the short lock-out
        refused = login_from(stack, fresh, "127.0.2.2")
        assert refused.status_code == 429 and "该用户" in refused.text and refused.headers["retry-after"]
        # The lock-out is the user's, not the addresses': another user's new token passes from the same ones.
        assert get(bystander, "127.0.1.1").status_code == 200
        later = time.monotonic() + throttle.USER_LOCK_OUT + 1
        monkeypatch.setattr(throttle.GUARD, "clock", lambda: later)
        assert get(fresh, "127.0.2.2").status_code == 200
        assert login_from(stack, fresh, "127.0.2.2").status_code == 303
    finally:
        throttle.GUARD.reset()


def test_new_tokens_carry_a_user_key_old_ones_keep_working_and_rotate_gives_the_new_form(stack: Stack) -> None:
    name = f"rotated-{uuid.uuid4().hex[:6]}"
    token = added(stack, name, "--role", "organizer", "--region", STREET)
    assert token_user_key(token) is not None and name not in token
    old = secrets.token_urlsafe(32)  # as `user add` made them before: 256 random bits, no user key
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute("UPDATE branchflow_users SET token_hash = %s WHERE name = %s", (token_hash(old), name))
    with stack.client(old) as api, closing(signed_in(stack.base_url, old)) as browser:
        assert api.get("/organizations").status_code == 200
        assert browser.get("/cases", follow_redirects=False).status_code == 200
        rotated = stack.cli("user", "rotate", name, "--expires-in-days", "30")
        assert rotated.returncode == 0, rotated.stderr
        new = rotated.stdout.split("token: ")[1].strip()
        assert token_user_key(new) is not None
        assert api.get("/organizations").status_code == 401  # the old token ends, and its page sessions
        assert browser.get("/cases", follow_redirects=False).status_code in (303, 307)
    with stack.client(new) as api:
        assert api.get("/organizations").status_code == 200
    assert login_from(stack, new).status_code == 303
    assert stack.cli("user", "rotate", f"nobody-{uuid.uuid4().hex[:6]}").returncode == 1


@pytest.mark.parametrize(("args", "problem"), [
    (["", "--role", "admin", "--region", "44"], "name"),
    (["\u200b", "--role", "admin", "--region", "44"], "name"),
    ([f"country-{uuid.uuid4().hex[:6]}", "--role", "organizer", "--region", ""], "region"),
])
def test_user_add_refuses_an_empty_name_and_an_organizer_of_the_whole_country(
    stack: Stack, args: list[str], problem: str
) -> None:
    made = stack.cli("user", "add", *args)
    assert made.returncode != 0 and problem in made.stderr, made.stdout + made.stderr
    assert "token:" not in made.stdout


def test_an_import_acts_as_its_user_and_stays_in_its_scope(stack: Stack, tmp_path: Path) -> None:
    name = f"importer-{uuid.uuid4().hex[:6]}"
    added(stack, name, "--role", "organizer", "--region", STREET)
    ledger = tmp_path / "ledger.csv"
    rows = [["单位", f"{region}某电子有限公司", "", "企业", "否", f"{region}001", "C", "10", "否", "2020-01-01",
             *[""] * 6] for region in (STREET, OTHER_STREET)]
    with ledger.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    done = stack.cli("import", str(ledger), "--user", name)
    assert done.returncode == 0, done.stderr
    rejected = [line for line in done.stdout.splitlines() if line.startswith("line ")]
    assert len(rejected) == 1 and rejected[0].startswith("line 3: region_code") and STREET in rejected[0]
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    stack.projected(supervisor)
    with stack.client(supervisor) as api:
        assert api.get("/organizations", params={"region": OTHER_STREET}).json()["total"] == 0
        mine = api.get("/organizations", params={"region": STREET}).json()["items"]
        case = next(c for c in mine if c["name"] == f"{STREET}某电子有限公司")
        assert api.get(f"/organizations/{case['id']}/history").json()[0]["actor"] == name
    unknown = stack.process("import", str(ledger), "--user", f"nobody-{uuid.uuid4().hex[:6]}")  # as a process
    assert unknown.returncode == 2 and "no user" in unknown.stderr
