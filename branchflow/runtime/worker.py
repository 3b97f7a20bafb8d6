"""The worker process: `python -m branchflow.runtime.worker` (what `branchflow worker` runs).

Its settings (runtime.settings) name the Temporal cluster, the task queue, the database and the worker's
sizes. SIGINT or SIGTERM stops it gracefully. The worker itself is built by `branchflow.workflows.worker.build_worker`.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from branchflow.runtime.actor_key import actor_key
from branchflow.runtime.bootstrap import application
from branchflow.runtime.settings import Settings, SettingsError, load_settings
from branchflow.workflows.config import TemporalConfig, connect
from branchflow.workflows.worker import DEFAULT_AGGREGATE_CACHE, build_worker

log = logging.getLogger(__name__)


async def run_worker(
    settings: Settings, config: TemporalConfig, database_url: str, *, stop: asyncio.Event | None = None,
) -> None:
    """Runs until `stop` is set (or, without one, until SIGINT/SIGTERM). `config` is where Temporal runs
    (the settings', or the embedded dev server's)."""
    if config.address is None:
        raise ValueError("run_worker needs a Temporal address (start the embedded dev server first)")
    client = await connect(config.address, config.namespace, config.access)
    app = application(settings, database_url, AGGREGATE_CACHE_MAXSIZE=str(DEFAULT_AGGREGATE_CACHE))
    worker = build_worker(
        client, app, task_queue=config.task_queue, max_cached_workflows=settings.workflow_cache,
        activity_threads=settings.activity_threads, delay_after_save=settings.fault_delay_after_save,
        delay_after_reminder=settings.fault_delay_after_reminder,
        sandboxed=settings.workflow_sandbox, key=actor_key(settings, database_url),
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


def log_to_stderr() -> None:
    """The worker's own lines (`worker ready on task queue ...`, which an operator and the tests wait for) and
    temporalio's warnings, timestamped on stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    log_to_stderr()
    try:
        settings = load_settings()
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    if settings.temporal_address is None or not settings.database_url:
        raise SystemExit("set TEMPORAL_ADDRESS and DATABASE_URL (`branchflow worker` starts the embedded defaults)")
    asyncio.run(run_worker(settings, settings.temporal(), settings.database_url))


if __name__ == "__main__":
    main()
