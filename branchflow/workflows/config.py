"""Where the workflows run: configuration by environment, and the client connection they all share."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

TASK_QUEUE = "branchflow"


@dataclass(frozen=True)
class TemporalConfig:
    address: str | None  # None: the embedded dev server (`dev_server.py`)
    namespace: str = "default"
    task_queue: str = TASK_QUEUE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TemporalConfig:
        """TEMPORAL_ADDRESS (host:port of an existing cluster), TEMPORAL_NAMESPACE, BRANCHFLOW_TASK_QUEUE."""
        env = os.environ if environ is None else environ
        return cls(address=env.get("TEMPORAL_ADDRESS") or None,
                   namespace=env.get("TEMPORAL_NAMESPACE") or "default",
                   task_queue=env.get("BRANCHFLOW_TASK_QUEUE") or TASK_QUEUE)


async def connect(address: str, namespace: str = "default") -> Client:
    """A client with the pydantic data converter every branchflow workflow and activity relies on."""
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
