"""How many commands this process sends to one case's workflow at a time (`FormationClient` keeps the gates,
so the API, the pages and the CLI all queue here).

Temporal admits at most 10 updates in flight on one workflow and refuses more (RESOURCE_EXHAUSTED). Fifty
clients stepping one case at once would have forty refused, retried by the Temporal client and by the clients,
and the refusals and retries crowd out the workflow's own progress: most commands then time out. So the
commands of one case queue here, a few in flight at a time (the workflow applies them one by one anyway), and
one that waits longer than `wait` seconds is answered 503 with `retry: true` (it was never sent).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from branchflow.workflows.failures import WorkflowUnavailable

IN_FLIGHT_PER_CASE = 4  # well under Temporal's 10 per workflow, with room for other processes' commands
WAIT = 30.0  # seconds a command may queue before it is told to retry


class CaseGates:
    def __init__(self, in_flight: int = IN_FLIGHT_PER_CASE, wait: float = WAIT) -> None:
        self.in_flight, self.wait = in_flight, wait
        self._gates: dict[Hashable, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def entered(self, case: Hashable) -> AsyncIterator[None]:
        gate, users = self._gates.get(case, (asyncio.Semaphore(self.in_flight), 0))
        self._gates[case] = (gate, users + 1)
        try:
            try:
                await asyncio.wait_for(gate.acquire(), self.wait)
            except TimeoutError:
                raise WorkflowUnavailable(f"the case has had {self.in_flight} commands in flight for "
                                          f"{self.wait:g} s; nothing was sent") from None
            try:
                yield
            finally:
                gate.release()
        finally:
            gate, users = self._gates[case]
            if users == 1:
                del self._gates[case]  # no command of this case is queued or in flight
            else:
                self._gates[case] = (gate, users - 1)
