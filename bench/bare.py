"""The Temporal building block: a trivial workflow on the same dev server, for the ratios of bench/city.py.

`BareWorkflow` waits on a signal, as a case's workflow waits for its next step; its update `bump` answers at
once, and `bump_local` answers after a local activity that does nothing in a thread (a step's shape without the event
store). Its worker runs in a process of its own, configured as branchflow's (sandbox, workflow cache, pydantic
converter): `python -m bench.bare ADDRESS TASK_QUEUE`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module: not these
    from branchflow.workflows.config import connect
    from branchflow.workflows.worker import DEFAULT_ACTIVITY_THREADS, DEFAULT_WORKFLOW_CACHE, SANDBOXED

BARE_QUEUE = "bench-bare"


@activity.defn
def nothing(n: int) -> int:
    return n


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self.count = 0
        self.finished = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.finished)
        return self.count

    @workflow.update
    async def bump(self, n: int) -> int:
        self.count += n
        return self.count

    @workflow.update
    async def bump_local(self, n: int) -> int:
        self.count += await workflow.execute_local_activity(nothing, n, start_to_close_timeout=timedelta(seconds=10))
        return self.count

    @workflow.signal
    def finish(self) -> None:
        self.finished = True


def bare_id(run: str, i: int) -> str:
    return f"bare-{run}-{i}"


async def start_bare(client: Client, run: str, count: int, in_flight: int) -> float:
    """Starts `count` bare workflows with `in_flight` start calls at once (as `WorkflowCommands` adopts cases);
    returns the seconds it took."""
    started = time.perf_counter()
    await bounded(in_flight, [partial(client.start_workflow, BareWorkflow.run, id=bare_id(run, i),
                                      task_queue=BARE_QUEUE, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
                              for i in range(count)])
    return time.perf_counter() - started


async def bounded(in_flight: int, calls: Sequence[Callable[[], Awaitable[object]]]) -> None:
    limit = asyncio.Semaphore(in_flight)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with limit:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


async def update_once(client: Client, workflow_id: str, local: bool) -> float:
    """One update round trip in milliseconds."""
    handle: WorkflowHandle[BareWorkflow, int] = client.get_workflow_handle_for(BareWorkflow.run, workflow_id)
    started = time.perf_counter()
    if local:
        await handle.execute_update(BareWorkflow.bump_local, 1)
    else:
        await handle.execute_update(BareWorkflow.bump, 1)
    return (time.perf_counter() - started) * 1000


async def serve(address: str, task_queue: str) -> None:
    client = await connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[nothing],
                    activity_executor=ThreadPoolExecutor(DEFAULT_ACTIVITY_THREADS),
                    max_concurrent_local_activities=DEFAULT_ACTIVITY_THREADS,
                    max_cached_workflows=DEFAULT_WORKFLOW_CACHE,
                    workflow_runner=SandboxedWorkflowRunner() if SANDBOXED else UnsandboxedWorkflowRunner())
    async with worker:
        print("bare worker ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else BARE_QUEUE))
