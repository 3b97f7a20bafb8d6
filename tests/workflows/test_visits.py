"""The worker skips temporalio's payload visits only where they would change nothing (visits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import temporalio.bridge.worker as bridge
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.converter import DataConverter, PayloadCodec

from branchflow.workflows.config import DATA_CONVERTER
from branchflow.workflows.visits import skip_empty_visits, visits_nothing


class Marking(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata=p.metadata, data=b"encoded " + p.data) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload(metadata=p.metadata, data=p.data.removeprefix(b"encoded ")) for p in payloads]


def activation_with(data: bytes) -> WorkflowActivation:
    activation = WorkflowActivation(run_id="r")
    activation.jobs.add().signal_workflow.input.add(metadata={"encoding": b"json/plain"}, data=data)
    return activation


def decoded(converter: DataConverter, data: bytes) -> bytes:
    activation = activation_with(data)
    asyncio.run(bridge.decode_activation(activation, converter, decode_headers=True, storage_concurrency_limit=1))
    return bytes(activation.jobs[0].signal_workflow.input[0].data)


def test_branchflow_s_converter_has_nothing_to_visit_for() -> None:
    assert visits_nothing(DATA_CONVERTER)
    assert not visits_nothing(DataConverter(payload_codec=Marking()))


def test_a_converter_with_a_codec_still_has_its_payloads_decoded() -> None:
    skip_empty_visits()
    skip_empty_visits()  # once per process, however often a worker is built
    assert getattr(bridge.decode_activation, "skips_empty_visits", False)  # on the temporalio it was checked on
    assert decoded(DataConverter(payload_codec=Marking()), b"encoded 1") == b"1"
    assert decoded(DATA_CONVERTER, b"encoded 1") == b"encoded 1"  # nothing done to it, as before
