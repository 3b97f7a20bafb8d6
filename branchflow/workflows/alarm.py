"""A durable timer for workflow code, re-armed only when the moment it waits for changes.

A wait_condition with a timeout would start and cancel a Temporal timer on every step; an Alarm keeps
one timer as long as the next deadline stays the same, so a step adds no timer events to the history.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow


class Alarm:
    def __init__(self, summary: str) -> None:
        self.summary = summary
        self.at: datetime | None = None
        self.rung = False
        self._timer: asyncio.Task[None] | None = None

    def set(self, at: datetime | None) -> None:
        if at == self.at:
            return
        if self._timer is not None:
            self._timer.cancel()  # cancels the Temporal timer
        self.at, self.rung, self._timer = at, False, None
        if at is None:
            return
        delay = (at - workflow.now()).total_seconds()
        if delay <= 0:
            self.rung = True
        else:
            self._timer = asyncio.create_task(self._ring_after(delay))

    async def _ring_after(self, delay: float) -> None:
        await workflow.sleep(delay, summary=self.summary)
        self.rung = True
