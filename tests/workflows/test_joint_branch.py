"""A joint branch over several organizations: every workflow held, one transaction, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from branchflow.domain.case import CaseView
from branchflow.domain.errors import ConcurrentChange, RuleViolation
from branchflow.domain.rules import Method, PartyOrgType, Stage
from branchflow.workflows.case_state import Applied
from branchflow.workflows.commands import JointBranchCommand, Release, Reservation
from branchflow.workflows.formation import FormationWorkflow, workflow_id
from branchflow.workflows.joint_branch import joint_branch_workflow_id
from tests.workflows.harness import SUPERVISOR, Harness, member, skip_past

pytestmark = pytest.mark.slow
Run = Callable[..., None]


async def small_organizations(h: Harness, industries: str = "CCC") -> list[CaseView]:
    """Neighbours in one street, one transferred-in formal member each."""
    cases = []
    for industry in industries:
        case = await h.register(region_code="440403101001", industry=industry)
        cases.append(await h.step(case.id, member()))
    return cases


async def form(h: Harness, org_ids: list[UUID], command_id: str) -> list[CaseView]:
    today = await h.today()
    h.track(joint_branch_workflow_id(JointBranchCommand(
        name="某街道联合党支部", organization_ids=org_ids, party_org_type=PartyOrgType.BRANCH, actor=SUPERVISOR,
        today=today, reason="联合组建", command_id=command_id)))
    with h.env.auto_time_skipping_disabled():  # waiting for its result must not move the clock
        return await h.client.form_joint_branch("某街道联合党支部", org_ids, PartyOrgType.BRANCH, SUPERVISOR,
                                                today, reason="联合组建", command_id=command_id)


def test_a_joint_branch_joins_every_organization_at_once(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        cases = await small_organizations(h)
        ids = [c.id for c in cases]
        formed = await form(h, ids, "joint-1")
        assert [c.id for c in formed] == ids
        assert all(c.stage is Stage.FORMAL_BRANCH and c.method is Method.JOINT for c in formed)
        for org_id in ids:
            assert await h.client.case(org_id) == next(c for c in formed if c.id == org_id)
            assert h.events(org_id) == ["Registered", "MemberAdded", "JointBranchJoined"]
            assert (await h.details(org_id)).held_by is None
        assert await form(h, ids, "joint-1") == formed  # the same command: formed once, the same answer
        assert all(h.events(i).count("JointBranchJoined") == 1 for i in ids)

    run(scenario)


def test_a_failing_joint_branch_writes_nothing_and_releases_every_organization(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        cases = await small_organizations(h, "CCF")  # one is not close in industry: the domain refuses the group
        ids = [c.id for c in cases]
        with pytest.raises(RuleViolation) as refused:
            await form(h, ids, "joint-2")
        assert refused.value.rule == "joint_not_close_in_industry"

        formed = await h.formal_branch((await h.register()).id)  # refused by the domain's guard (the coded state)
        with pytest.raises(RuleViolation) as refused:
            await form(h, [ids[0], formed.id], "joint-3")
        assert refused.value.rule == "already_formed"

        for org_id in ids:
            assert h.events(org_id) == ["Registered", "MemberAdded"]
            assert (await h.details(org_id)).held_by is None
            await h.step(org_id, {"action": "assign_instructor", "name": "指导员"})  # released: steps run again

    run(scenario)


def test_a_held_organization_refuses_other_steps_until_released(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        [case] = await small_organizations(h, "C")
        handle: WorkflowHandle[FormationWorkflow, Applied | None] = h.env.client.get_workflow_handle_for(
            FormationWorkflow.run, workflow_id(case.id))
        await handle.execute_update(FormationWorkflow.reserve, Reservation(joint_branch_id="held-by-test"))
        with pytest.raises(ConcurrentChange):
            await h.step(case.id, {"action": "assign_instructor", "name": "指导员"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:  # a second joint branch cannot hold it either
            await handle.execute_update(FormationWorkflow.reserve, Reservation(joint_branch_id="another"))
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "ConcurrentChange"
        await handle.execute_update(FormationWorkflow.release, Release(joint_branch_id="held-by-test"))
        assert (await h.step(case.id, {"action": "assign_instructor", "name": "指导员"})).instructor == "指导员"

    run(scenario)


def test_a_recount_reaches_the_sibling_workflows_at_once_and_their_deadlines_are_kept(run: Run) -> None:
    """Issue 13: a step on one organization recounts the joint branch in the others' cases; their workflows
    learn it then (a signal), not at their next step: the obligation shows and its deadline is escalated."""
    async def scenario(h: Harness) -> None:
        cases = await small_organizations(h)
        ids = [c.id for c in cases]
        await form(h, ids, "joint-recount")
        await h.step(ids[0], {"action": "transfer_out", "member_id": "P1", "reason": "调离"})

        async def told(org_id: UUID) -> bool:
            view = await h.client.case(org_id)
            return "adjust_party_organization" in {o.rule for o in view.obligations}

        for sibling in ids[1:]:
            await h.eventually(lambda sibling=sibling: told(sibling))  # type: ignore[misc]
            assert h.events(sibling)[-1] == "JointBranchRecounted"
        due = next(o.due_on for o in (await h.client.case(ids[1])).obligations
                   if o.rule == "adjust_party_organization")
        assert due is not None
        await skip_past(h, due)

        async def escalated() -> bool:
            return "DeadlineEscalated" in h.events(ids[1])

        await h.eventually(escalated)  # the sibling's own alarm, set from what the signal told it

    run(scenario)


def test_an_election_on_one_organization_reaches_the_sibling_workflows_and_their_reminders(run: Run) -> None:
    """Issue 13 finding 5 / issue 17: one organization elects a member of another secretary; every sibling's
    workflow is told: its case shows the term and the election due, and its own alarm reminds before it ends."""
    async def scenario(h: Harness) -> None:
        cases = await small_organizations(h)
        ids = [c.id for c in cases]
        await h.step(ids[2], member("李雷"))
        await form(h, ids, "joint-elect")
        elected = await h.step(ids[0], {"action": "elect_branch_committee", "secretary": "李雷"})
        assert elected.term_ends_on is not None

        async def told(org_id: UUID) -> bool:
            view = await h.client.case(org_id)
            return view.term_ends_on == elected.term_ends_on and "hold_election" in {o.rule for o in view.obligations}

        for sibling in ids[1:]:
            await h.eventually(lambda sibling=sibling: told(sibling))  # type: ignore[misc]
            assert h.events(sibling)[-1] == "JointBranchElectionShared"
        reminder = min(r for o in (await h.client.case(ids[1])).obligations if o.rule == "hold_election"
                       for r in o.reminders)
        await skip_past(h, reminder)

        async def reminded() -> bool:
            return "DeadlineReminded" in h.events(ids[1])

        await h.eventually(reminded)  # the sibling's own alarm, set from what the signal told it

    run(scenario)
