"""Throttling of wrong tokens: an address that sends `FAILURES_ALLOWED` wrong tokens within `WINDOW` seconds
(at the API or the sign-in form) is refused every token for `LOCK_OUT` seconds with 429 and Retry-After.

Tokens carry 256 random bits, so guessing one is hopeless anyway; the throttle keeps a client that tries from
filling the logs and the database with lookups. The lock-out is short, so that a person behind the same address
(a department's NAT) is held for a minute at most. It is kept in the web server's memory: each process counts
its own, and a restart forgets it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

FAILURES_ALLOWED = 10
WINDOW = 60.0
LOCK_OUT = 60.0
MAX_ADDRESSES = 10_000  # addresses remembered; beyond it the quiet ones are forgotten first


class TokenThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # dependencies of sync routes run in a thread pool
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def locked_for(self, address: str) -> int:
        """Whole seconds left of the address's lock-out, 0 when it may try a token."""
        with self._lock:
            left = self._locked_until.get(address, 0.0) - time.monotonic()
            if left <= 0:
                self._locked_until.pop(address, None)
                return 0
            return math.ceil(left)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(address, deque())
            failures.append(now)
            while failures and failures[0] < now - WINDOW:
                failures.popleft()
            if len(failures) >= FAILURES_ALLOWED:
                self._locked_until[address] = now + LOCK_OUT
                del self._failures[address]
            if len(self._failures) > MAX_ADDRESSES:
                quiet = sorted(self._failures, key=lambda a: self._failures[a][-1])[: MAX_ADDRESSES // 10]
                for old in quiet:
                    del self._failures[old]

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()


GUARD = TokenThrottle()


def message(seconds: int) -> str:
    return f"too many wrong tokens from your address; try again in {seconds} s"
