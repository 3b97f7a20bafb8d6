"""Where the workflows run (runtime.settings fills it in), and the client connection they all share."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

TASK_QUEUE = "branchflow"


@dataclass(frozen=True)
class TemporalConfig:
    address: str | None  # None: the embedded dev server (runtime/temporal_dev_server.py)
    namespace: str = "default"
    task_queue: str = TASK_QUEUE


async def connect(address: str, namespace: str = "default") -> Client:
    """A client with the pydantic data converter every branchflow workflow and activity relies on."""
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
