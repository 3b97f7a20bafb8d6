"""A member's organizational relation (组织关系) sits in one organization of the system at a time (domain.md
"People are recorded once"): transferring it in elsewhere needs it transferred out first.

The registry across cases is one `Relation` aggregate per citizen ID number, its id a uuid5 of the number,
saved in the same transaction as the case's events that place or release the relation. Only members with an
ID number are in it: across a district's thousands of organizations, name, gender and birth date do not tell
people apart (a county's members include namesakes born on the same day, and the ledgers' common names make
them likelier), so keying the registry on them would refuse the transfers of different people; within one
organization they still decide (guards.not_recorded_twice). Two
cases placing the same relation at once both write the relation's next version: the event store's uniqueness
of (id, version) commits one and writes nothing of the other (ConcurrentChange; retried, it finds the relation
held and is refused). A projection table read by the API before the step was the other way: it trails the
events, and two steps reading it at once would both pass, so it cannot keep the rule. The relation's events
hold the organization's and the member's ids only: no name, no ID number (the id is a one-way uuid5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from branchflow.domain.errors import RuleViolation

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

RELATION_NAMESPACE = UUID("8a2e4c1f-5b7d-4e93-a6f0-2c9d1e8b7a35")
RELATION_ELSEWHERE = "relation_elsewhere"


def person_key(id_number: str) -> str:
    return f"id/{id_number}"


def relation_id(key: str) -> UUID:
    return uuid5(RELATION_NAMESPACE, key)


def placed(org: Organization) -> dict[str, str]:
    """The relations this case holds: each present member's with an ID number whose relation is here (person
    key -> member id). A closed case holds none: its members' relations are free to go where they went."""
    if org.closed_on is not None:
        return {}
    return {person_key(m.id_number): m.id
            for m in org.members.values() if m.present and m.relation_transferred and m.id_number}


class Relation(Aggregate):
    """Where one person's organizational relation sits now (`organization_id` None: nowhere in the system)."""

    class Placed(Aggregate.Created):
        organization_id: str
        member_id: str

    class Moved(Aggregate.Event):
        organization_id: str
        member_id: str

    class Released(Aggregate.Event):
        pass

    @event(Placed)
    def __init__(self, *, id: UUID, organization_id: str, member_id: str) -> None:
        # `id` (relation_id of the person's key) is the library's given id, not stored in the event.
        self.organization_id: str | None = organization_id
        self.member_id = member_id

    @event(Moved)
    def move(self, organization_id: str, member_id: str) -> None:
        self.organization_id, self.member_id = organization_id, member_id

    @event(Released)
    def release(self) -> None:
        self.organization_id = None


def elsewhere(member_id: str) -> RuleViolation:
    """Names no organization: the API names it to a caller whose scope covers it (api/use_cases.py)."""
    return RuleViolation(RELATION_ELSEWHERE, f"the organizational relation of {member_id} sits in another "
                         "organization of the system: it is transferred in here only after it was transferred out "
                         "there")
