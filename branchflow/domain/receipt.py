"""Receipts make a client's retried command apply once (its `command_id` is the idempotency key).

A receipt also binds its id to the request it first came with (api.md, issue 14): a fingerprint of the kind
of command, its case, its caller and its body. The same id with another request is refused
(`CommandIdReused`), never answered with the first request's result. A refused step keeps a receipt too,
with its refusal: the id is spent, and a retry gets the same refusal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

if TYPE_CHECKING:  # only their dumps are read here
    from branchflow.domain.registration import Registration
    from branchflow.domain.step import Step

RECEIPT_NAMESPACE = UUID("0b7d3c52-93c4-4f6b-8a43-2f7c1c8f9e61")
BATCH_RECEIPT_NAMESPACE = UUID("c986eef9-5ae3-407f-8788-598f30583f17")  # not a command id's: no client reaches it


def receipt_id(scope: str, command_id: str) -> UUID:
    return uuid5(RECEIPT_NAMESPACE, f"{scope}/{command_id}")


def batch_receipt_id(scope: str) -> UUID:
    return uuid5(BATCH_RECEIPT_NAMESPACE, scope)


def request_fingerprint(kind: str, caller: str, body: Any) -> str:
    """What a command id is bound to: the kind of command (with its case), who sent it, and its body."""
    text = json.dumps([kind, caller, body], sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def registration_fingerprint(registration: Registration, caller: str) -> str:
    return request_fingerprint("register", caller, registration.model_dump(mode="json", exclude={"command_id"}))


def step_fingerprint(org_id: UUID, step: Step, caller: str) -> str:
    return request_fingerprint(f"step/{org_id}", caller, step.model_dump(mode="json", exclude={"command_id"}))


def joint_branch_fingerprint(
    name: str, org_ids: Iterable[UUID], party_org_type: str, reason: str, caller: str
) -> str:
    body = {"name": name, "organization_ids": sorted({str(i) for i in org_ids}), "party_org_type": party_org_type,
            "reason": reason}
    return request_fingerprint("joint-branch", caller, body)


def joint_branch_scope(caller: str) -> str:
    """Joint branches' ids are each caller's own: another caller's id never finds this caller's answer."""
    return f"joint-branch/{caller}"


class Receipt(Aggregate):
    """Saved in the same transaction as the command's events: a repeat collides and writes nothing."""

    class Issued(Aggregate.Created):
        class_version = 2
        scope: str
        command_id: str
        versions: dict[str, int]
        fingerprint: str | None
        refusal: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Receipts from before issue 14 bind their id to nothing: they answer any request, as they did.
            state["fingerprint"] = None
            state["refusal"] = None

    @staticmethod
    def create_id(scope: str, command_id: str, **_: Any) -> UUID:
        return receipt_id(scope, command_id)

    @event(Issued)
    def __init__(self, *, scope: str, command_id: str, versions: dict[str, int], fingerprint: str | None,
                 refusal: dict[str, str] | None) -> None:  # no defaults: the library passes every field
        self.scope, self.command_id = scope, command_id
        self.versions = versions  # organization id -> its version after the command
        self.fingerprint = fingerprint  # None: issued before ids were bound to their request
        self.refusal = refusal  # {rule, message} of a refused step; versions is then empty

    def bound_elsewhere(self, fingerprint: str) -> bool:
        return self.fingerprint is not None and self.fingerprint != fingerprint


class BatchReceipt(Aggregate):
    """The receipts of the steps a case was registered with in a batch (a ledger import's member rows, the
    demo's first steps), one aggregate for all of them, saved with the case: an imported case wrote a `Receipt`
    per member row before, 2.3 of its 5.6 events (issue 19). A file imported again finds its rows here
    (`ApplicationCommands.answered`), so nobody is added twice.

    Bound to their case only, with no fingerprint: these command ids are derived by the import and the demo
    from the row or the plan, and only they send them, asking `answered` first; a step through the workflows
    with such an id would not be answered from here."""

    class Issued(Aggregate.Created):
        scope: str
        versions: dict[str, int]  # command id -> the case's version after its step

    @staticmethod
    def create_id(scope: str, **_: Any) -> UUID:
        return batch_receipt_id(scope)

    @event(Issued)
    def __init__(self, *, scope: str, versions: dict[str, int]) -> None:
        self.scope = scope  # the case's id
        self.versions = versions
