"""Throttling of wrong tokens: an address that sends `FAILURES_ALLOWED` wrong tokens within `WINDOW` seconds
(at the API or the sign-in form) is refused new tokens for `LOCK_OUT` seconds with 429 and Retry-After.

A lock-out holds back guesses, never the real user: a token that has worked in this process within `KNOWN_FOR`
is no guess, so it passes the lock-out (and is still checked: a revoked one fails as ever). People behind the
attacker's address (a department's NAT) keep working; only a token not seen yet waits out the minute.

The count is per address, not per user, because a wrong token names no user: tokens are 256 random bits with
no user part, so a wrong one is a guess at no one in particular, and guessing one is hopeless anyway — the
throttle keeps a client that tries from filling the logs and the database with lookups. A user part would not
help: a public one (the user's name) would let anyone lock that user out, which is what a per-user count must
not do, and a random one is known only to whoever holds the token. The sign-in form takes the token alone.

It is kept in the web server's memory: each process counts its own, and a restart forgets it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from branchflow.api.users import token_hash

FAILURES_ALLOWED = 10
WINDOW = 60.0
LOCK_OUT = 60.0
KNOWN_FOR = 12 * 3600.0  # as long as a page session lasts: a day's work behind the NAT is not interrupted
MAX_REMEMBERED = 10_000  # addresses and tokens each; beyond it the quiet ones are forgotten first


class TokenThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # dependencies of sync routes run in a thread pool
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._known: dict[bytes, float] = {}  # a token's hash -> when it last worked

    def locked_for(self, address: str, token: str) -> int:
        """Whole seconds left of the address's lock-out for this token, 0 when it may be tried."""
        now = time.monotonic()
        with self._lock:
            if self._known.get(token_hash(token), -KNOWN_FOR) > now - KNOWN_FOR:
                return 0
            left = self._locked_until.get(address, 0.0) - now
            if left <= 0:
                self._locked_until.pop(address, None)
                return 0
            return math.ceil(left)

    def failed(self, address: str, token: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._known.pop(token_hash(token), None)  # revoked or expired since it worked
            failures = self._failures.setdefault(address, deque())
            failures.append(now)
            while failures and failures[0] < now - WINDOW:
                failures.popleft()
            if len(failures) >= FAILURES_ALLOWED:
                self._locked_until[address] = now + LOCK_OUT
                del self._failures[address]
            _forget_the_quietest(self._failures, lambda f: f[-1])

    def worked(self, token: str) -> None:
        with self._lock:
            self._known[token_hash(token)] = time.monotonic()
            _forget_the_quietest(self._known, lambda last: last)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()
            self._known.clear()


K = TypeVar("K")
V = TypeVar("V")


def _forget_the_quietest(remembered: dict[K, V], last: Callable[[V], float]) -> None:
    if len(remembered) > MAX_REMEMBERED:
        for key in sorted(remembered, key=lambda k: last(remembered[k]))[: MAX_REMEMBERED // 10]:
            del remembered[key]


GUARD = TokenThrottle()


def message(seconds: int) -> str:
    return f"too many wrong tokens from your address; try again in {seconds} s"
