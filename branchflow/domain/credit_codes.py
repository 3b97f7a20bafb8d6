"""A unified social credit code belongs to one case: claims keep a corrected code from being held twice.

A registration's case id is derived from its credit code, so registering a code twice names the same case.
A correction that gives a case another code claims that code (a `CreditCodeClaim`, saved with the
correction): a code another case was registered with, or claimed by a correction, is refused, to a
correction and to a new registration alike.
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


def taken(credit_code: str) -> RuleViolation:
    return RuleViolation("credit_code_taken", f"credit code {credit_code} is already held by another case: "
                         "a credit code belongs to one organization")
