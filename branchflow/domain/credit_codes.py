"""A unified social credit code belongs to one case: claims keep a corrected code from being held twice.

A registration's case id is derived from its credit code, so registering a code twice names the same case
(`organization.registered_id`: a code corrected away from its case names a new one). A correction that gives
a case another code claims that code (a `CreditCodeClaim`, saved with the correction): a code another case
holds now, registered with it or given it by a correction, is refused, to a correction and to a new
registration alike; a code no case holds any more is free.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from branchflow.domain.errors import RuleViolation

CLAIM_NAMESPACE = UUID("3d9a2f4e-6c1b-4b7e-9f0a-7e5c2d1b8a46")


def claim_id(credit_code: str) -> UUID:
    return uuid5(CLAIM_NAMESPACE, credit_code)


class CreditCodeClaim(Aggregate):
    """Saved in the same transaction as the correction: a second claim of the code collides and writes nothing."""

    @staticmethod
    def create_id(credit_code: str, **_: Any) -> UUID:
        return claim_id(credit_code)

    @event("Claimed")
    def __init__(self, *, credit_code: str, organization_id: str) -> None:
        self.credit_code, self.organization_id = credit_code, organization_id

    @event("Moved")
    def move(self, organization_id: str) -> None:
        """The code, corrected away from the case that claimed it, is given to another case by a correction
        (a concurrent move collides on the claim's version and writes nothing)."""
        self.organization_id = organization_id


def taken(credit_code: str) -> RuleViolation:
    return RuleViolation("credit_code_taken", f"credit code {credit_code} is already held by another case: "
                         "a credit code belongs to one organization")
