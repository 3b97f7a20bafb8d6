"""The wrong-token throttle on its own (issue 14 item 10), on a clock of the test's: wrong secrets for one
user's key lock out that user's new tokens from every address, briefly; a token that has worked passes; tokens
of the old form (no user key) are counted per address only. The HTTP side is in test_tokens.py."""

from __future__ import annotations

import secrets

import pytest

from branchflow.api import throttle
from branchflow.api.throttle import TokenThrottle
from branchflow.api.users import Presented, new_token, token_user_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> TokenThrottle:
    # The shipped limit: the session's stack (tests/api/conftest.py) lifts it while it runs in this process.
    monkeypatch.setattr(throttle, "FAILURES_ALLOWED", 10)
    return TokenThrottle(clock=clock)


def wrong_secret(token: str) -> str:
    """A token with the same user key and another secret: a guess at that user."""
    key = token_user_key(token)
    assert key is not None
    return f"bf1_{key}_{secrets.token_urlsafe(32)}"


def presented(token: str) -> Presented:
    return Presented.of(token)


def addresses(n: int) -> list[str]:
    return [f"203.0.113.{i}" for i in range(1, n + 1)]


def test_a_new_token_carries_a_user_key_that_names_no_one() -> None:
    token, other = new_token(), new_token()
    key = token_user_key(token)
    assert key is not None and token.startswith(f"bf1_{key}_") and len(token) >= len(f"bf1_{key}_") + 43
    assert key != token_user_key(other)  # random, so it says nothing of the user's name
    assert token_user_key(secrets.token_urlsafe(32)) is None  # a token of the old form has no user key
    assert token_user_key("bf1_NOT-HEX_x") is None


def test_wrong_secrets_for_one_user_lock_out_that_users_new_tokens_from_every_address(
    guard: TokenThrottle
) -> None:
    token = new_token()
    for address in addresses(throttle.FAILURES_ALLOWED):  # one each: no address reaches its limit
        assert guard.locked_for(address, presented(wrong_secret(token))) is None
        guard.failed(address, presented(wrong_secret(token)))
    locked = guard.locked_for("198.51.100.7", presented(token))  # the user's own, never seen: a guess
    assert locked is not None and locked.of == "user" and 1 <= locked.seconds <= throttle.USER_LOCK_OUT
    assert guard.locked_for("198.51.100.7", presented(wrong_secret(token))) is not None
    # Nobody else is held back: not another user's new token, not an old-form token, from the same addresses.
    assert guard.locked_for("198.51.100.7", presented(new_token())) is None
    assert guard.locked_for("203.0.113.1", presented(secrets.token_urlsafe(32))) is None


def test_a_token_that_has_worked_passes_its_users_lock_out(guard: TokenThrottle) -> None:
    token = new_token()
    guard.worked(presented(token))  # the real user, signed in
    for address in addresses(throttle.FAILURES_ALLOWED * 3):  # an attacker hammering the user's key
        guard.failed(address, presented(wrong_secret(token)))
    assert guard.locked_for("198.51.100.7", presented(wrong_secret(token))) is not None
    assert guard.locked_for("198.51.100.7", presented(token)) is None
    assert guard.locked_for("203.0.113.1", presented(token)) is None  # also from an address the attacker used


def test_a_users_lock_out_is_short_and_ends(guard: TokenThrottle, clock: Clock) -> None:
    token = new_token()
    for address in addresses(throttle.FAILURES_ALLOWED):
        guard.failed(address, presented(wrong_secret(token)))
    locked = guard.locked_for("198.51.100.7", presented(token))
    assert locked is not None and locked.seconds == throttle.USER_LOCK_OUT <= 60
    clock.now += throttle.USER_LOCK_OUT - 1
    assert guard.locked_for("198.51.100.7", presented(token)) is not None
    clock.now += 1.5
    assert guard.locked_for("198.51.100.7", presented(token)) is None  # the real user waits at most the minute
    # Failures older than the window are forgotten: the count starts again.
    guard.failed("203.0.113.1", presented(wrong_secret(token)))
    clock.now += throttle.WINDOW + 1
    for address in addresses(throttle.FAILURES_ALLOWED - 1):
        guard.failed(address, presented(wrong_secret(token)))
    assert guard.locked_for("198.51.100.7", presented(token)) is None


def test_old_form_tokens_are_counted_per_address_only(guard: TokenThrottle) -> None:
    for address in addresses(throttle.FAILURES_ALLOWED * 2):
        guard.failed(address, presented(secrets.token_urlsafe(32)))
    assert guard.locked_for("198.51.100.7", presented(secrets.token_urlsafe(32))) is None
    for _ in range(throttle.FAILURES_ALLOWED):
        guard.failed("198.51.100.7", presented(secrets.token_urlsafe(32)))
    locked = guard.locked_for("198.51.100.7", presented(secrets.token_urlsafe(32)))
    assert locked is not None and locked.of == "address" and locked.seconds == throttle.LOCK_OUT
    assert guard.locked_for("198.51.100.7", presented(new_token())) is not None  # every new token is held
    assert guard.locked_for("198.51.100.8", presented(secrets.token_urlsafe(32))) is None
