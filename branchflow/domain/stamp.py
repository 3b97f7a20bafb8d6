"""Who did a step, on which business date, and why: carried by every event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Stamp:
    actor: str
    occurred_on: date
    reason: str = ""
