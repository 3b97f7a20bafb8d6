"""The worker process: `python -m branchflow.runtime.worker` (what `branchflow worker` runs).

It reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, BRANCHFLOW_TASK_QUEUE and DATABASE_URL; POSTGRES_SCHEMA,
POSTGRES_POOL_SIZE and BRANCHFLOW_THRESHOLD_* pass through to the event store. SIGINT or SIGTERM stops it
gracefully. The worker itself is built by `branchflow.workflows.worker.build_worker`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping

from branchflow.domain.application import FormationApplication
from branchflow.runtime.postgres import postgres_env
from branchflow.workflows.config import TemporalConfig, connect
from branchflow.workflows.worker import (
    DEFAULT_ACTIVITY_THREADS,
    DEFAULT_AGGREGATE_CACHE,
    DEFAULT_WORKFLOW_CACHE,
    FAULT_DELAY,
    PASSED_TO_EVENT_STORE,
    SANDBOXED,
    build_worker,
)

log = logging.getLogger(__name__)


def application_env(database_url: str, environ: Mapping[str, str]) -> dict[str, str]:
    passed = {k: v for k, v in environ.items() if k in PASSED_TO_EVENT_STORE or k.startswith("BRANCHFLOW_THRESHOLD_")}
    return {**postgres_env(database_url), **passed}


def sandbox_wanted(environ: Mapping[str, str]) -> bool:
    setting = environ.get("BRANCHFLOW_WORKFLOW_SANDBOX", "").strip().lower()
    if setting not in ("", "on", "off"):
        raise ValueError(f"BRANCHFLOW_WORKFLOW_SANDBOX must be on or off, got {setting!r}")
    return setting == "on" if setting else SANDBOXED


async def run_worker(
    config: TemporalConfig, database_url: str, *, environ: Mapping[str, str] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Runs until `stop` is set (or, without one, until SIGINT/SIGTERM)."""
    env = os.environ if environ is None else environ
    if config.address is None:
        raise ValueError("run_worker needs a Temporal address (start the embedded dev server first)")
    client = await connect(config.address, config.namespace)
    app = FormationApplication(env={"AGGREGATE_CACHE_MAXSIZE": DEFAULT_AGGREGATE_CACHE,
                                    **application_env(database_url, env)})
    worker = build_worker(
        client, app, task_queue=config.task_queue,
        max_cached_workflows=int(env.get("BRANCHFLOW_WORKFLOW_CACHE", DEFAULT_WORKFLOW_CACHE)),
        activity_threads=int(env.get("BRANCHFLOW_ACTIVITY_THREADS", DEFAULT_ACTIVITY_THREADS)),
        delay_after_save=float(env.get(FAULT_DELAY, "0")),
        sandboxed=sandbox_wanted(env),
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with worker:
            log.info("worker ready on task queue %s at %s", config.task_queue, config.address)
            await stop.wait()
    finally:
        app.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = TemporalConfig.from_env()
    database_url = os.environ.get("DATABASE_URL", "")
    if config.address is None or not database_url:
        raise SystemExit("set TEMPORAL_ADDRESS and DATABASE_URL (`branchflow worker` starts the embedded defaults)")
    asyncio.run(run_worker(config, database_url))


if __name__ == "__main__":
    main()
