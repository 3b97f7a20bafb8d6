"""The event-sourced application: its methods are the commands; PostgreSQL (by configuration) stores the events.

Every command is one transaction: the case's new events, and a receipt when the client sent a
`command_id`, so a repeat writes nothing and gets the first answer back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import fields
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from pydantic import BaseModel

from branchflow.domain import credit_codes, relations
from branchflow.domain.actions import Step
from branchflow.domain.credit_codes import CreditCodeClaim, claim_id
from branchflow.domain.dates import registered_after_founding
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, CommandIdReused, ConcurrentChange, RuleViolation
from branchflow.domain.obligations import Obligation
from branchflow.domain.organization import Organization, organization_id, registered_id
from branchflow.domain.receipt import (
    Receipt,
    joint_branch_fingerprint,
    joint_branch_scope,
    receipt_id,
    registration_fingerprint,
    step_fingerprint,
)
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.registration import Registration
from branchflow.domain.relations import Relation, relation_id
from branchflow.domain.rules import (
    PartyOrgType,
    Thresholds,
    formal_present,
    joint_branch_violation,
    joint_type_violation,
    require,
)
from branchflow.domain.stamp import Stamp
from branchflow.domain.transcodings import register_domain_transcodings

SYSTEM_ACTOR = "system"  # deadlines escalated by the workflows


class HistoryEntry(BaseModel):
    sequence: int
    type: str
    occurred_on: date
    recorded_at: datetime
    actor: str
    reason: str
    data: dict[str, Any]


def thresholds_from_env(env: Mapping[str, str]) -> Thresholds:
    """`BRANCHFLOW_THRESHOLD_<NAME>` overrides a seed threshold (e.g. BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS=3)."""
    overrides: dict[str, int] = {}
    for f in fields(Thresholds):
        if (key := f"BRANCHFLOW_THRESHOLD_{f.name.upper()}") in env:
            try:
                overrides[f.name] = int(env[key])
            except ValueError:
                raise ValueError(f"{key} must be a whole number, got {env[key]!r}") from None
    return Thresholds(**overrides)


class FormationApplication(Application[UUID]):
    name = "branchflow"
    snapshotting_intervals = {Organization: 100}  # noqa: RUF012 (the library's own declaration style)

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        # Only the given settings: runtime.bootstrap.application_env passes the thresholds of runtime.settings.
        self.thresholds = thresholds_from_env(env or {})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # --- commands -----------------------------------------------------------------------------

    def register_organization(self, registration: Registration, actor: str, today: date, at: UUID | None = None
                              ) -> Organization:
        """`at`: the id the caller expects the case to have (its workflow's); another is ConcurrentChange."""
        stamp = Stamp(actor, registration.occurred_on or today, registration.reason)
        org_id = self.registration_id(registration)
        fingerprint = registration_fingerprint(registration, actor)
        if (answer := self._answered(str(org_id), registration.command_id, fingerprint)) is not None:
            if answer[0].version != 1:  # a step's receipt from before ids were bound: not this registration's
                raise CommandIdReused(str(registration.command_id))
            return answer[0]
        # A rule of the case's dates, refused as a step's are (409 naming the founding), not as a malformed body.
        require(registered_after_founding(stamp.occurred_on, registration.founded_on))
        if self._exists(org_id):
            raise AlreadyRegistered(org_id)
        code = registration.credit_code
        claim = self._claim(code) if code is not None else None
        if code is not None and self._claimant(claim, code) is not None:
            raise credit_codes.taken(code)  # another case holds it since a correction
        if at is not None and at != org_id:
            raise ConcurrentChange(at)  # the code changed hands since the caller chose its id: nothing written
        # With the id chosen here (the library's way to give one: `Organization(...)` takes its `create_id`'s).
        org = Organization._create(Organization.Registered, id=org_id, stamp=stamp, **registration.facts())
        # The code's claim, in the case's transaction: a correction giving another case the code meanwhile
        # collides with it, and one of the two writes nothing.
        claims = self._claimed(code, org_id, claim) if code is not None else []
        try:
            return self._save_with_receipt([org], str(org_id), registration.command_id, fingerprint, claims)[0]
        except ConcurrentChange:
            if code is not None and (lost := self._code_lost(code, org_id)) is not None:
                raise lost from None
            raise

    def registration_id(self, registration: Registration) -> UUID:
        """The id of the case a registration names: the case registered with its credit code that still holds
        it, or that this registration's command id registered (a retry, wherever the code went since); else
        the next id free for the code (`registered_id`: the first case's id unless that case had its code
        corrected away). Only reads, so that the workflow client names the same case's workflow."""
        code = registration.credit_code
        if code is None:
            return organization_id(None, registration.region_code, registration.name)
        earlier, command_id = 0, registration.command_id
        while self._exists(case_id := registered_id(code, earlier)):
            if self.case(case_id).credit_code == code or (
                    command_id is not None and self._exists(receipt_id(str(case_id), command_id))):
                return case_id
            earlier += 1
        return case_id

    def registered_case(self, registration: Registration) -> UUID | None:
        """The stored case a registration names (`registration_id`), None where it would be a new case: for an
        import, which registers its new cases in batches, to find those registered before as the API does."""
        return case_id if self._exists(case_id := self.registration_id(registration)) else None

    def holder(self, credit_code: str) -> UUID | None:
        """The case that holds this credit code now (registered with it, or given it by a correction); None:
        no case does, and the code is free to a registration and a correction alike (domain.md)."""
        return self._holder(credit_code, self._claim(credit_code))

    def _holder(self, credit_code: str, claim: CreditCodeClaim | None) -> UUID | None:
        """`holder`, with the code's claim as read before (the one a step would move, or None)."""
        earlier = 0
        while self._exists(case_id := registered_id(credit_code, earlier)):
            if self.case(case_id).credit_code == credit_code:
                return case_id
            earlier += 1
        return self._claimant(claim, credit_code)

    def _claim(self, credit_code: str) -> CreditCodeClaim | None:
        try:
            claim: object = self.repository.get(claim_id(credit_code))
        except AggregateNotFoundError:
            return None
        return claim if isinstance(claim, CreditCodeClaim) else None

    def _claimant(self, claim: CreditCodeClaim | None, credit_code: str) -> UUID | None:
        """The case that claimed this code (registered with it, or given it by a correction), while it has it."""
        if claim is None or self.case(UUID(claim.organization_id)).credit_code != credit_code:
            return None
        return UUID(claim.organization_id)

    @staticmethod
    def _claimed(credit_code: str, org_id: UUID, claim: CreditCodeClaim | None) -> list[CreditCodeClaim]:
        """The claim to save with the step that gives the case this code, free by `claim` (as read before it):
        a new one, or that claim moved from a case that has had the code corrected away since. Saved, the
        claim's (id, version) lets only one of two concurrent takers write."""
        if claim is None:
            return [CreditCodeClaim(credit_code=credit_code, organization_id=str(org_id))]
        if claim.organization_id != str(org_id):
            claim.move(str(org_id))
            return [claim]
        return []  # the case claimed it before (corrected away and back)

    def perform(self, org_id: UUID, step: Step, actor: str, today: date,
                recounted_into: list[UUID] | None = None) -> Organization:
        """One organizer or supervisor step on one case; raises RuleViolation when a rule forbids it.

        `recounted_into` is given the other cases of the organization's joint branch that the step recounted
        (saved with it), whose workflows are then told (FormationWorkflow.recounted)."""
        fingerprint = step_fingerprint(org_id, step, actor)
        if (answer := self._answered(str(org_id), step.command_id, fingerprint)) is not None:
            return answer[0]
        org = self.case(org_id)
        held, before = org.credit_code, relations.placed(org)
        joint = org.joint_branch
        others = self._others_in(org, joint) if joint is not None else []
        election = joint.election() if joint is not None else None
        stamp = Stamp(actor, step.occurred_on or today, step.reason)
        try:
            if joint is not None:
                step.apply_in_joint_branch(org, stamp, self.thresholds, others)
            else:
                step.apply(org, stamp, self.thresholds)
            claims: list[Aggregate] = [*self._claims(org, held), *self.relations_moved(org, before)]
        except RuleViolation as refusal:
            self.refused(org_id, step, actor, refusal)
            raise
        recounted = self._recount_joint_branch(org, joint, others, stamp) if joint is not None else []
        if org.joint_branch is not None and org.joint_branch.election() != election:
            shared = self._share_election(org.joint_branch, others, stamp)
            recounted += [o for o in shared if o not in recounted]
        if recounted_into is not None:
            recounted_into += [o.id for o in recounted]
        try:
            return self._save_with_receipt([org, *recounted], str(org_id), step.command_id, fingerprint, claims)[0]
        except ConcurrentChange:
            code = org.credit_code
            if code != held and code is not None and (lost := self._code_lost(code, org_id)) is not None:
                self.refused(org_id, step, actor, lost)
                raise lost from None
            raise

    def _code_lost(self, code: str, org_id: UUID) -> RuleViolation | None:
        """After a save that collided: another case took the code since this one found it free (a registration
        or a correction), refused as credit_code_taken; None when the collision was of another kind."""
        return credit_codes.taken(code) if self.holder(code) not in (None, org_id) else None

    def relation(self, key: str) -> Relation | None:
        try:
            found: object = self.repository.get(relation_id(key))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Relation) else None

    def relations_moved(self, org: Organization, before: dict[str, str], taken: dict[str, str] | None = None
                        ) -> list[Relation]:
        """The relations a step placed in the case or released from it (`before`: `relations.placed` before
        the step), to save with its events; raises `relation_elsewhere` for one another case holds (or, in a
        batch, `taken`: key -> organization id placed earlier in it). A reopened case takes back what is
        still free and leaves what went elsewhere meanwhile (the closing let it go; refusing the reopening
        would leave a wrongly closed case closed)."""
        after, reopening = relations.placed(org), _reopened(org)
        moved = []
        for key, member_id in after.items():
            if before.get(key) == member_id:
                continue
            relation = self.relation(key)
            holder = (relation.organization_id if relation is not None else None) or (taken or {}).get(key)
            if holder not in (None, str(org.id)):
                if reopening:
                    continue
                raise relations.elsewhere(member_id)
            if relation is None:
                moved.append(Relation(id=relation_id(key), organization_id=str(org.id), member_id=member_id))
            else:
                relation.move(str(org.id), member_id)
                moved.append(relation)
        for key in before.keys() - after.keys():
            if (relation := self.relation(key)) is not None and relation.organization_id == str(org.id):
                relation.release()
                moved.append(relation)
        return moved

    def holders_elsewhere(self, org_id: UUID, step: Step, actor: str, today: date) -> list[UUID]:
        """The other cases holding the relations this step would place (for the API to name them in scope)."""
        org = self.case(org_id)
        before = relations.placed(org)
        with suppress(RuleViolation):
            step.apply(org, Stamp(actor, step.occurred_on or today, step.reason), self.thresholds)
        found = [self.relation(key) for key in relations.placed(org).keys() - before.keys()]
        return [UUID(r.organization_id) for r in found
                if r is not None and r.organization_id not in (None, str(org_id))]

    def _others_in(self, org: Organization, joint: JointBranchMembership) -> list[Organization]:
        """The joint branch's other organizations, those still open and in it."""
        ids = [UUID(i) for i in joint.organization_ids if i != str(org.id)]
        return [o for i in ids if (o := self._open_in(i, joint.joint_branch_id)) is not None]

    def _recount_joint_branch(self, org: Organization, joint: JointBranchMembership, others: list[Organization],
                              stamp: Stamp) -> list[Organization]:
        """After a step on an organization of a joint branch: every organization still in it (this one too)
        learns the formal members they have together, where that changed. Returns the others to save."""
        still = ([org] if org.closed_on is None and org.joint_branch is not None else []) + others
        total, members = sum(formal_present(o) for o in still), [str(o.id) for o in still]
        changed = []
        for o in still:
            assert o.joint_branch is not None
            if (o.joint_branch.formal_members, o.joint_branch.organization_ids) != (total, members):
                o.recount_joint_branch(total, members, Stamp(SYSTEM_ACTOR, max(stamp.occurred_on, _last(o)), ""))
                changed.append(o)
        return [o for o in changed if o is not org]

    def _share_election(self, elected: JointBranchMembership, others: list[Organization], stamp: Stamp
                        ) -> list[Organization]:
        """After an election on an organization of a joint branch (or its result filed): the others record it
        too, where theirs differs, so each case shows the term and what comes due. Returns those to save."""
        changed = []
        for o in others:
            assert o.joint_branch is not None
            if o.joint_branch.election() != elected.election():
                o.share_joint_branch_election(elected, Stamp(SYSTEM_ACTOR, max(stamp.occurred_on, _last(o)), ""))
                changed.append(o)
        return changed

    def _open_in(self, org_id: UUID, joint_branch_id: str) -> Organization | None:
        try:
            other = self.case(org_id)
        except CaseNotFound:
            return None
        in_it = other.joint_branch is not None and other.joint_branch.joint_branch_id == joint_branch_id
        return other if in_it and other.closed_on is None else None

    def _claims(self, org: Organization, held: str | None) -> list[CreditCodeClaim]:
        """A step that gave the case another credit code claims it, unless another case holds it."""
        code = org.credit_code
        if code is None or code == held:
            return []
        claim = self._claim(code)  # read before the holder is checked: the claim saved is the one found free
        if self._holder(code, claim) not in (None, org.id):
            raise credit_codes.taken(code)
        return self._claimed(code, org.id, claim)

    def refused(self, org_id: UUID, step: Step, actor: str, refusal: RuleViolation) -> None:
        """Spends a refused step's command id (api.md): a retry gets the same refusal, another request 409."""
        if step.command_id is None or isinstance(refusal, CommandIdReused):
            return
        receipt = Receipt(scope=str(org_id), command_id=step.command_id, versions={},
                          fingerprint=step_fingerprint(org_id, step, actor),
                          refusal={"rule": refusal.rule, "message": refusal.message})
        with suppress(IntegrityError):  # the id has a receipt already (a race, or the workflow's refusal)
            self.save(receipt)

    def form_joint_branch(
        self, name: str, org_ids: list[UUID], party_org_type: PartyOrgType, stamp: Stamp, command_id: str | None
    ) -> list[Organization]:
        """All or nothing: every member organization's event is saved in one transaction."""
        scope = joint_branch_scope(stamp.actor)
        fingerprint = joint_branch_fingerprint(name, org_ids, party_org_type.value, stamp.reason, stamp.actor)
        if (answer := self._answered(scope, command_id, fingerprint)) is not None:
            return answer
        orgs = [self.case(i) for i in dict.fromkeys(org_ids)]
        require(joint_branch_violation(orgs, self.thresholds))
        require(joint_type_violation(orgs, party_org_type, stamp.reason))
        joint = JointBranchMembership(str(uuid4()), name, party_org_type, stamp.occurred_on,
                                      [str(o.id) for o in orgs])
        for org in orgs:
            org.join_joint_branch(joint, stamp, self.thresholds)
        return self._save_with_receipt(orgs, scope, command_id, fingerprint)

    def escalate(self, org_id: UUID, obligation: Obligation, since: date, command_id: str) -> Organization:
        """Records that a deadline passed unmet; idempotent per deadline, so a retried timer records it once."""
        org = self.case(org_id)
        if obligation.key in org.escalations or obligation.due_on is None or org.closed_on is not None:
            return org  # already recorded, nothing to wait for, or the case closed meanwhile
        org.escalate(obligation.rule, obligation.subject, obligation.due_on, Stamp(SYSTEM_ACTOR, since))
        return self._save_with_receipt([org], str(org_id), command_id, None)[0]

    # --- queries ------------------------------------------------------------------------------

    def case(self, org_id: UUID, version: int | None = None) -> Organization:
        try:
            org: object = self.repository.get(org_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(org_id) from None
        if not isinstance(org, Organization):
            raise CaseNotFound(org_id)
        return org

    def history(self, org_id: UUID) -> list[HistoryEntry]:
        entries = [history_entry(e) for e in self.events.get(org_id)]
        if not entries:
            raise CaseNotFound(org_id)
        return entries

    def remind(self, org_id: UUID, obligation: Obligation, on: date, command_id: str) -> Organization:
        """Records a reminder of a deadline that still stands; once per reminder (its command id names it)."""
        if (answer := self._answered(str(org_id), command_id, None)) is not None:
            return answer[0]
        org = self.case(org_id)
        if obligation.due_on is None or org.closed_on is not None:
            return org
        org.remind(obligation.rule, obligation.subject, obligation.due_on, Stamp(SYSTEM_ACTOR, on))
        return self._save_with_receipt([org], str(org_id), command_id, None)[0]

    # --- persistence --------------------------------------------------------------------------

    def save(self, *aggregates: Aggregate | None, **kwargs: Any) -> list[Recording[UUID]]:  # type: ignore[override]
        """The library's `save`, for aggregates only: its `collect_events` asks of every object whether it is an
        event through a runtime-checkable Protocol, 44 µs an object on Python 3.11 (a fifth of a batch's save)."""
        processing = ProcessingEvent[UUID]()
        for aggregate in filter(None, aggregates):
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def _exists(self, aggregate_id: UUID) -> bool:
        return any(True for _ in self.recorder.select_events(aggregate_id, limit=1))

    def _answered(self, scope: str, command_id: str | None, fingerprint: str | None) -> list[Organization] | None:
        """The answer given the first time this command was applied, or None if it never was.

        Raises CommandIdReused when the id came with another request, and the refusal of a refused one."""
        if command_id is None:
            return None
        try:
            receipt: object = self.repository.get(receipt_id(scope, command_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, Receipt)
        if fingerprint is not None and receipt.bound_elsewhere(fingerprint):
            raise CommandIdReused(command_id)
        if receipt.refusal is not None:
            raise RuleViolation(receipt.refusal["rule"], receipt.refusal["message"])
        return [self.case(UUID(i), version=v) for i, v in receipt.versions.items()]

    def _save_with_receipt(
        self, orgs: list[Organization], scope: str, command_id: str | None, fingerprint: str | None,
        claims: Sequence[Aggregate] | None = None,
    ) -> list[Organization]:
        receipts: list[Receipt] = []
        if command_id is not None:
            receipts.append(Receipt(scope=scope, command_id=command_id,
                                    versions={str(o.id): o.version for o in orgs}, fingerprint=fingerprint,
                                    refusal=None))
        try:
            self.save(*orgs, *receipts, *(claims or []))
        except IntegrityError:
            # Either the same command won a race (its receipt now exists) or another writer moved a case on.
            if (answer := self._answered(scope, command_id, fingerprint)) is not None:
                return answer
            if len(orgs) == 1 and orgs[0].version == 1 and self._exists(orgs[0].id):
                raise AlreadyRegistered(orgs[0].id) from None  # else its credit code's claim collided
            raise ConcurrentChange(orgs[0].id if len(orgs) == 1 else [o.id for o in orgs]) from None
        return orgs


def _reopened(org: Organization) -> bool:
    """Whether the step just taken reopened the case (its last pending event is the reopening)."""
    return bool(org.pending_events) and type(org.pending_events[-1]).__name__ == "CaseReopened"


def _last(org: Organization) -> date:
    """A recount is recorded on the step's date, or later where the other case has a later step."""
    return org.last_step.on if org.last_step is not None else org.registered_on


def history_entry(event: Any) -> HistoryEntry:
    data = {k: v for k, v in event.__dict__.items()
            if k not in {"originator_id", "originator_version", "originator_topic", "timestamp", "stamp"}}
    stamp: Stamp = event.stamp
    return HistoryEntry(
        sequence=event.originator_version, type=type(event).__name__, occurred_on=stamp.occurred_on,
        recorded_at=event.timestamp, actor=stamp.actor, reason=stamp.reason, data=data,
    )
