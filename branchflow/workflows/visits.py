"""No payload visits where there is nothing to visit for.

temporalio (1.35) walks every workflow activation and every completion through its payload visitor six times
(a codec, external storage and their references, each way) whatever the data converter, and does nothing with
what it finds when the converter has neither a payload codec nor external storage, as branchflow's has not
(config.DATA_CONVERTER: payloads stay readable in the Temporal UI). The walk was 18 % of the worker's busy
samples on a step (py-spy, BENCHMARKS.md "One step's CPU"). `skip_empty_visits` makes the worker skip it for
such a converter and leaves it as it is for any other; it changes nothing that is written or replayed.
"""

from __future__ import annotations

from typing import Any

import temporalio
import temporalio.bridge.worker as bridge
from temporalio.converter import DataConverter
from temporalio.converter._extstore import StorageOperationMetrics

# The two functions wrapped are temporalio's internals as they are in this version (pyproject pins it); on any
# other the visits are left as they are, until someone has read its worker again.
CHECKED_ON = "1.35.0"


def visits_nothing(converter: DataConverter) -> bool:
    """Whether the visits would change no payload: no codec, no external storage."""
    return converter.payload_codec is None and getattr(converter, "external_storage", None) is None


def skip_empty_visits() -> None:
    """Wraps the worker's two visits (decode an activation, encode a completion) once per process."""
    if temporalio.__version__ != CHECKED_ON or getattr(bridge.decode_activation, "skips_empty_visits", False):
        return
    decode, encode = bridge.decode_activation, bridge.encode_completion

    async def decode_activation(activation: Any, data_converter: DataConverter, *args: Any,
                                **kwargs: Any) -> StorageOperationMetrics:
        if visits_nothing(data_converter):
            return StorageOperationMetrics()
        return await decode(activation, data_converter, *args, **kwargs)

    async def encode_completion(completion: Any, data_converter: DataConverter, *args: Any,
                                **kwargs: Any) -> StorageOperationMetrics:
        if visits_nothing(data_converter):
            return StorageOperationMetrics()
        return await encode(completion, data_converter, *args, **kwargs)

    decode_activation.skips_empty_visits = True  # type: ignore[attr-defined]
    bridge.decode_activation = decode_activation
    bridge.encode_completion = encode_completion
