"""A case driven through its workflow alone, on the time-skipping server: steps, rules, repeats."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import UUID, uuid4

import psycopg
import pytest
from temporalio.testing import WorkflowEnvironment

from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, RuleViolation
from branchflow.domain.registration import Registration
from branchflow.domain.rules import Stage
from branchflow.workflows.failures import CommandFailed, WorkflowUnavailable
from tests.workflows.conftest import LoopThread
from tests.workflows.harness import ORGANIZER, SUPERVISOR, Harness, member, registration

pytestmark = pytest.mark.slow
Run = Callable[..., None]


def test_a_case_goes_from_registration_to_formal_branch_through_updates_alone(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register(employees=120)
        assert case.stage is Stage.NO_MEMBERS and case.version == 1
        for name in ("王芳", "李强", "张伟"):
            case = await h.step(case.id, member(name))
        assert case.stage is Stage.DEVELOPING_MEMBERS and "request_formal_branch" in case.next_actions
        case = await h.step(case.id, {"action": "request_formal_branch", "name": "某科技有限公司党支部"})
        assert case.pending_formal_branch == "某科技有限公司党支部"
        case = await h.step(case.id, {"action": "approve_formal_branch", "reason": "条件成熟"}, SUPERVISOR)

        assert case.stage is Stage.FORMAL_BRANCH and case.formed and case.method == "standalone"
        assert await h.client.case(case.id) == case
        assert h.events(case.id) == ["Registered", "MemberAdded", "MemberAdded", "MemberAdded",
                                     "FormalBranchRequested", "FormalBranchApproved"]

    run(scenario)


def test_a_forbidden_step_is_rejected_with_its_rule_and_writes_nothing(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        # Refused by the update's validator, from the case's next_actions: no activity runs.
        with pytest.raises(RuleViolation) as refused:
            await h.step(case.id, {"action": "request_formal_branch", "name": "党支部"})
        assert refused.value.rule == "standalone_needs_members" and "3 or more formal members" in refused.value.message
        with pytest.raises(RuleViolation) as refused:
            await h.step(case.id, {"action": "approve_formal_branch"}, SUPERVISOR)
        assert refused.value.rule == "no_request"  # the step's own guard, as the domain names it

        # Allowed by next_actions but refused by the domain inside the activity: its transaction never commits.
        case = await h.step(case.id, member("王芳"))
        case = await h.step(case.id, member("李强", transferred=False))
        assert "transfer_in" in case.next_actions
        wang = next(m.id for m in case.members if m.name == "王芳")
        with pytest.raises(RuleViolation) as refused:
            await h.step(case.id, {"action": "transfer_in", "member_id": wang})
        assert refused.value.rule == "already_transferred"

        assert h.events(case.id) == ["Registered", "MemberAdded", "MemberAdded"]
        assert (await h.client.case(case.id)).version == 3

    run(scenario)


def test_a_repeated_command_is_applied_once_and_answers_the_same(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        first = await h.step(case.id, {**member(), "command_id": "add-wang"})
        again = await h.step(case.id, {**member(), "command_id": "add-wang"})
        assert again == first and first.version == 2
        for name in ("李强", "张伟"):
            await h.step(case.id, member(name))
        request = {"action": "request_formal_branch", "name": "党支部", "command_id": "request-1"}
        requested = await h.step(case.id, request)
        # The request is pending now, so next_actions no longer offer it; the repeat still gets its answer.
        assert await h.step(case.id, request) == requested
        assert h.events(case.id).count("MemberAdded") == 3
        assert h.events(case.id).count("FormalBranchRequested") == 1

    run(scenario)


def test_registering_twice_starts_one_workflow_and_one_case(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        today = await h.today()
        registered = registration(today, command_id="register-1")
        first = await h.client.register(registered, ORGANIZER, today)
        h.track(f"organization-{first.id}")
        handle = h.env.client.get_workflow_handle(f"organization-{first.id}")
        run_id = (await handle.describe()).run_id
        assert await h.client.register(registered, ORGANIZER, today) == first  # the same command: same answer
        with pytest.raises(AlreadyRegistered):
            await h.client.register(registered.model_copy(update={"command_id": "register-2"}), ORGANIZER, today)
        assert h.events(first.id) == ["Registered"]
        assert (await handle.describe()).run_id == run_id

        with pytest.raises(CaseNotFound):
            await h.client.case(uuid4())
        with pytest.raises(CaseNotFound):
            await h.step(uuid4(), member())

    run(scenario)


def test_a_closed_case_refuses_every_step_and_its_workflow_ends(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        closed = await h.step(case.id, {"action": "close_case", "reason": "注销"})
        assert closed.stage is Stage.CLOSED and closed.next_actions == ["reopen_case"]
        handle = h.env.client.get_workflow_handle(f"organization-{case.id}")
        assert await handle.result() is not None  # the workflow has finished
        with pytest.raises(RuleViolation) as refused:
            await h.step(case.id, member())
        assert refused.value.rule == "case_closed"
        assert h.events(case.id) == ["Registered", "CaseClosed"]

    run(scenario)


def test_a_step_on_a_closed_case_is_refused_from_the_event_store_with_no_worker_to_replay_its_workflow(
    loop: LoopThread, time_skipping: WorkflowEnvironment, app: FormationApplication
) -> None:
    """A finished workflow answers a query only when a worker replays its history (0.1-0.25 s a step, measured
    under the fuzz test, and no answer at all with the workers down); the closed case is read from the event
    store instead."""
    h = Harness(time_skipping, app, f"tq-{uuid4().hex[:8]}", 500)

    async def main() -> None:
        async with h.worker():
            case = await h.register()
            await h.step(case.id, {"action": "close_case", "reason": "注销"})
            assert await h.env.client.get_workflow_handle(f"organization-{case.id}").result() is not None
        with pytest.raises(RuleViolation) as refused:  # no worker polls the task queue any more
            await asyncio.wait_for(h.step(case.id, member()), 10)
        assert refused.value.rule == "case_closed"
        with pytest.raises(CaseNotFound):
            await asyncio.wait_for(h.step(uuid4(), member()), 10)

    loop.run(main(), 60)


def test_a_wrongly_closed_case_is_reopened_by_a_supervisor_in_a_new_run_and_goes_on(run: Run) -> None:
    """Issue 13 finding 10: the closed case's workflow has ended; the reopening starts a run that adopts the
    case from the event store. A retried reopening answers the same, once (the role is the API's: test_case_path)."""
    async def scenario(h: Harness) -> None:
        case = await h.register()
        await h.step(case.id, member("王芳"))
        await h.step(case.id, {"action": "close_case", "reason": "误以为已注销"})
        handle = h.env.client.get_workflow_handle(f"organization-{case.id}")
        closed_run = (await handle.describe()).run_id
        assert await handle.result() is not None
        with pytest.raises(RuleViolation) as refused:  # the run started for it ends again with the case closed
            await h.step(case.id, {"action": "reopen_case", "command_id": "r-0"}, SUPERVISOR)
        assert refused.value.rule == "reopening_needs_reason"
        with pytest.raises(RuleViolation) as refused:
            await h.step(case.id, member("李强"))
        assert refused.value.rule == "case_closed"

        reopen = {"action": "reopen_case", "reason": "企业仍在经营，关闭有误", "command_id": "reopen-1"}
        reopened = await h.step(case.id, reopen, SUPERVISOR)
        assert reopened.stage is Stage.DEVELOPING_MEMBERS and "close_case" in reopened.next_actions
        assert await h.step(case.id, reopen, SUPERVISOR) == reopened  # the retry: the same answer
        assert (await handle.describe()).run_id != closed_run
        assert await h.client.case(case.id) == reopened  # a running workflow holds the case again
        after = await h.step(case.id, member("李强"))
        assert after.formal_members == 2
        assert h.events(case.id) == ["Registered", "MemberAdded", "CaseClosed", "CaseReopened", "MemberAdded"]

    run(scenario)


def test_concurrent_steps_on_one_case_take_turns_even_across_continue_as_new(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        names = ["王芳", "李强", "张伟", "刘洋", "陈静", "杨帆", "黄磊", "周杰"]
        answers = await asyncio.gather(*(h.step(case.id, member(n)) for n in names))
        assert sorted(a.version for a in answers) == list(range(2, 2 + len(names)))  # one writer, in turn
        assert h.events(case.id) == ["Registered"] + ["MemberAdded"] * len(names)
        final = await h.client.case(case.id)
        assert final.version == 1 + len(names) and {m.name for m in final.members} == set(names)

    run(scenario, steps_before_continue=3)


def test_a_step_waits_out_a_store_that_is_down_and_its_retry_gets_the_answer(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        perform, failures = h.app.perform, [0]

        def store_down(*args: object, **kwargs: object) -> object:
            if failures[0] < 4:  # three seconds of a store that does not answer (retries back off)
                failures[0] += 1
                raise psycopg.OperationalError("connection refused")
            return perform(*args, **kwargs)  # type: ignore[arg-type]

        h.app.perform = store_down  # type: ignore[method-assign,assignment]
        h.client.answer_within = 0.5
        body = {**member(), "command_id": "during-outage"}
        with pytest.raises(WorkflowUnavailable):
            await h.step(case.id, body)
        h.client.answer_within = 30
        answer = await h.step(case.id, body)  # the same command: it found the update still running
        assert answer.version == 2 and failures[0] == 4
        assert h.events(case.id) == ["Registered", "MemberAdded"]

    run(scenario)


def test_a_case_stored_without_a_workflow_is_taken_over_by_one(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        today = await h.today()
        imported = h.app.register_organization(registration(today, employees=120), ORGANIZER, today)  # an import
        h.track(f"organization-{imported.id}")
        await h.client.adopt(imported.id)  # the workflow loads the stored case
        await h.eventually(lambda: _has_case(h, imported.id))
        assert (await h.client.case(imported.id)).version == 1
        case = await h.step(imported.id, member())
        assert case.version == 2

        again = h.app.register_organization(registration(today), ORGANIZER, today)
        h.track(f"organization-{again.id}")
        same = Registration.model_validate({**_facts(again), "command_id": "import-then-register"})
        with pytest.raises(AlreadyRegistered):  # registering it starts its workflow, which takes the case over
            await h.client.register(same, ORGANIZER, today)
        assert (await h.client.case(again.id)).version == 1
        assert h.events(again.id) == ["Registered"]

    run(scenario)


async def _has_case(h: Harness, org_id: UUID) -> bool:
    try:
        await h.client.case(org_id)
    except CaseNotFound:
        return False
    return True


def _facts(org: object) -> dict[str, object]:
    # Every registered fact the case keeps (subtype, responsible committee, ...), so the second registration
    # is the same one; named from Registration itself, so a field added there is not silently left out here.
    steps = ("reason", "occurred_on", "command_id")
    return {n: getattr(org, n) for n in Registration.model_fields if n not in steps}


def test_a_bug_inside_a_command_fails_it_at_once_and_the_case_goes_on(run: Run) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.register()
        perform = h.app.perform

        def broken(*args: object, **kwargs: object) -> object:
            raise ZeroDivisionError("a bug")

        h.app.perform = broken  # type: ignore[method-assign,assignment]
        with pytest.raises(CommandFailed):
            await h.step(case.id, member())
        h.app.perform = perform  # type: ignore[method-assign]
        assert (await h.step(case.id, member())).version == 2  # the lock was let go
        assert h.events(case.id) == ["Registered", "MemberAdded"]

    run(scenario)
