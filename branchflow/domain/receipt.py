"""Receipts make a client's retried command apply once (its `command_id` is the idempotency key)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

RECEIPT_NAMESPACE = UUID("0b7d3c52-93c4-4f6b-8a43-2f7c1c8f9e61")


def receipt_id(scope: str, command_id: str) -> UUID:
    return uuid5(RECEIPT_NAMESPACE, f"{scope}/{command_id}")


class Receipt(Aggregate):
    """Saved in the same transaction as the command's events: a repeat collides and writes nothing."""

    @staticmethod
    def create_id(scope: str, command_id: str, **_: Any) -> UUID:
        return receipt_id(scope, command_id)

    @event("Issued")
    def __init__(self, *, scope: str, command_id: str, versions: dict[str, int]) -> None:
        self.scope, self.command_id = scope, command_id
        self.versions = versions  # organization id -> its version after the command
