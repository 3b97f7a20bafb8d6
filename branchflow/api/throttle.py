"""Throttling of wrong tokens, per address and per user: an address that sends `FAILURES_ALLOWED` wrong tokens
within `WINDOW` seconds (at the API or the sign-in form) is refused new tokens for `LOCK_OUT` seconds, and so is
a user whose key came with `FAILURES_ALLOWED` wrong secrets within `WINDOW` from any addresses, for
`USER_LOCK_OUT` seconds; the answer is 429 with Retry-After.

A lock-out holds back guesses, never the real user: a token that has worked in this process within `KNOWN_FOR`
is no guess, so it passes both lock-outs (and is still checked: a revoked one fails as ever). People behind the
attacker's address (a department's NAT) keep working, and so does a user whose key an attacker hammers while
the user is signed in; only a token not seen yet waits out the lock-out — at most a minute, which is also the
longest a user not yet signed in waits for each round of an attacker's guesses.

A token names its user by a public, random key (`bf1_<key>_<secret>`, users.py): it names no person, is new with
each token (`branchflow user rotate` gives a user whose key is being hammered a new one) and is known to whoever
holds the token or has seen its start. Anyone may claim any key, so a key's count is of claims: many addresses
guessing at one user are held back together, which a count per address alone never does. Tokens of the old form
(the secret alone, from before) name no user and are counted per address only. Guessing a 256-bit secret is
hopeless either way; the throttle keeps clients that try from filling the logs and the database with lookups.
The user's lock-out does not grow with repeated rounds: the real user's wait stays one minute, and ten guesses
a minute at a 256-bit secret are as hopeless as ten an hour.

It is kept in the web server's memory: each process counts its own, and a restart forgets it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from branchflow.api.users import Presented

FAILURES_ALLOWED = 10
WINDOW = 60.0
LOCK_OUT = 60.0
USER_LOCK_OUT = 60.0
KNOWN_FOR = 12 * 3600.0  # as long as a page session lasts: a day's work behind the NAT is not interrupted
MAX_REMEMBERED = 10_000  # addresses, user keys and tokens each; beyond it the quiet ones are forgotten first


@dataclass(frozen=True)
class LockOut:
    seconds: int  # whole seconds left, for Retry-After
    of: Literal["address", "user"]

    @property
    def message(self) -> str:
        """The API's `detail` (English, as every JSON answer)."""
        whose = "from your address" if self.of == "address" else "for this token's user"
        return f"too many wrong tokens {whose}; try again in {self.seconds} s"

    @property
    def page_message(self) -> str:
        """The sign-in form's (Chinese, as every page)."""
        whose = "" if self.of == "address" else "该用户的"
        return f"{whose}令牌错误次数过多，请 {self.seconds} 秒后再试。"


class _Count:
    """Recent wrong tokens per key (an address, a user key) and the keys locked out."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = {}
        self.locked_until: dict[str, float] = {}

    def left(self, key: str, now: float) -> float:
        left = self.locked_until.get(key, 0.0) - now
        if left <= 0:
            self.locked_until.pop(key, None)
        return left

    def failed(self, key: str, now: float, lock_out: float) -> None:
        failures = self.failures.setdefault(key, deque())
        failures.append(now)
        while failures and failures[0] < now - WINDOW:
            failures.popleft()
        if len(failures) >= FAILURES_ALLOWED:
            self.locked_until[key] = now + lock_out
            del self.failures[key]
        _forget_the_quietest(self.failures, lambda f: f[-1])
        _forget_the_quietest(self.locked_until, lambda until: until)

    def clear(self) -> None:
        self.failures.clear()
        self.locked_until.clear()


class TokenThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # the tests' own, so that a lock-out's end needs no sleep
        self._lock = threading.Lock()  # dependencies of sync routes run in a thread pool
        self._addresses = _Count()
        self._users = _Count()
        self._known: dict[bytes, float] = {}  # a token's hash -> when it last worked

    def locked_for(self, address: str, token: Presented) -> LockOut | None:
        """The lock-out this token meets from this address (the longer one if both), None when it may be tried."""
        now = self.clock()
        with self._lock:
            if self._known.get(token.digest, -KNOWN_FOR) > now - KNOWN_FOR:
                return None
            key = token.user_key
            by_user = self._users.left(key, now) if key is not None else 0.0
            by_address = self._addresses.left(address, now)
            if max(by_user, by_address) <= 0:
                return None
            if by_user > by_address:
                return LockOut(math.ceil(by_user), "user")
            return LockOut(math.ceil(by_address), "address")

    def failed(self, address: str, token: Presented) -> None:
        now = self.clock()
        with self._lock:
            self._known.pop(token.digest, None)  # revoked or expired since it worked
            self._addresses.failed(address, now, LOCK_OUT)
            if (key := token.user_key) is not None:
                self._users.failed(key, now, USER_LOCK_OUT)

    def worked(self, token: Presented) -> None:
        now = self.clock()
        with self._lock:
            self._known[token.digest] = now
            _forget_the_quietest(self._known, lambda last: last)

    def reset(self) -> None:
        with self._lock:
            self._addresses.clear()
            self._users.clear()
            self._known.clear()


K = TypeVar("K")
V = TypeVar("V")


def _forget_the_quietest(remembered: dict[K, V], last: Callable[[V], float]) -> None:
    if len(remembered) > MAX_REMEMBERED:
        for key in sorted(remembered, key=lambda k: last(remembered[k]))[: MAX_REMEMBERED // 10]:
            del remembered[key]


GUARD = TokenThrottle()
