"""Where the workflows run (runtime.settings fills it in), and the client connection they all share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.service import TLSConfig

TASK_QUEUE = "branchflow"


@dataclass(frozen=True)
class ClusterAccess:
    """What a cluster asks of a client beyond its address: TLS (the cluster's CA, a client certificate for
    mutual TLS) and an API key (Temporal Cloud's). The embedded dev server asks for neither."""

    tls: TLSConfig | bool = field(default=False, repr=False)  # a client key and an API key are not for logs
    api_key: str | None = field(default=None, repr=False)


NO_ACCESS = ClusterAccess()


@dataclass(frozen=True)
class TemporalConfig:
    address: str | None  # None: the embedded dev server (runtime/temporal_dev_server.py)
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
    access: ClusterAccess = NO_ACCESS


class SharedPayloadConverter(PydanticPayloadConverter):
    """temporalio's pydantic payload converter, built once per process.

    The worker builds a data converter for every workflow activation's completion (temporalio 1.35,
    `_CommandAwareDataConverter`), and each builds its payload converter class again: 46 µs, and an empty
    type-adapter cache each time: 83 µs for the data converter whole, 23–37 µs with this (issue 19, BENCHMARKS.md).
    It holds no state a context changes (no pydantic converter takes a serialization context)."""

    _built: ClassVar[SharedPayloadConverter | None] = None

    def __new__(cls) -> SharedPayloadConverter:
        if cls._built is None:
            built = super().__new__(cls)
            PydanticPayloadConverter.__init__(built)
            cls._built = built
        return cls._built

    def __init__(self) -> None:  # built once, in __new__
        pass


class RefusalsWithoutTraces(DefaultFailureConverter):
    """Temporal's failure converter, but a rule's answer (a BENIGN ApplicationError: failures.expected) is written
    without a stack trace: a refused step's failure is in its case's history twice (the local activity's marker,
    the update's outcome), and the trace through temporalio's frames was most of each (issue 19). A fault (a bug,
    the store down) keeps its trace."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.category is ApplicationErrorCategory.BENIGN:
            failure.stack_trace = ""


# The same payloads as temporalio.contrib.pydantic.pydantic_data_converter (the tests' and replays' converter).
DATA_CONVERTER = DataConverter(payload_converter_class=SharedPayloadConverter,
                               failure_converter_class=RefusalsWithoutTraces)


async def connect(address: str, namespace: str = "default", access: ClusterAccess = NO_ACCESS) -> Client:
    """A client with the pydantic data converter every branchflow workflow and activity relies on."""
    tls = access.tls or access.api_key is not None  # an API key never goes in plain text
    return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER, tls=tls,
                                api_key=access.api_key)
