"""`branchflow demo`: the plan sent through the same `Commands` as the ledger import, counted as it goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from branchflow.api.intake.demo.plan import PlannedCase, plan_demo
from branchflow.api.intake.targets import BATCH_SIZE, BatchCommands, Commands, Progress
from branchflow.domain.actions import Step
from branchflow.domain.errors import AlreadyRegistered, DomainError


@dataclass
class DemoSummary:
    registered: int = 0
    already_there: int = 0
    steps: int = 0
    repeated: int = 0  # steps whose command_id had been applied before
    joint_branches: int = 0
    errors: list[str] = field(default_factory=list)  # commands refused: none on a fresh store

    def __str__(self) -> str:
        return (f"demo: {self.registered} organizations registered ({self.already_there} already there), "
                f"{self.steps} steps ({self.repeated} repeated), {self.joint_branches} joint branches, "
                f"{len(self.errors)} refused")


def load_demo(
    commands: Commands, today: date, size: int = 400, seed: int = 1, progress: Progress | None = None,
    every: int = 50,
) -> DemoSummary:
    """Registers the plan's cases with their steps, forms the joint branches, then takes the later steps."""
    plan = plan_demo(today, size, seed)
    summary, total, done = DemoSummary(), plan.commands, [0]

    def tick(n: int = 1) -> None:
        before, done[0] = done[0], done[0] + n
        if progress is not None and (done[0] // every > before // every or done[0] == total):
            progress(done[0], total)

    pending = [] if isinstance(commands, BatchCommands) else plan.cases  # cases to register one by one
    for start in range(0, len(plan.cases), BATCH_SIZE):
        if not isinstance(commands, BatchCommands):
            break
        batch = plan.cases[start:start + BATCH_SIZE]
        for case, result in zip(batch, commands.register_batch([(c.registration, c.steps) for c in batch]),
                                strict=True):
            if not isinstance(result, list):  # registered before, or a credit code with a history
                pending.append(case)
                continue
            summary.registered += 1
            summary.steps += sum(e is None for e in result)
            summary.errors += [f"{case.registration.name}: {e}" for e in result if e is not None]
            tick(1 + len(result))
    for case in pending:
        try:
            commands.register(case.registration)
            summary.registered += 1
        except AlreadyRegistered:
            summary.already_there += 1
        tick()
        _steps(commands, case, case.steps, summary, tick)
    for joint in plan.joint_branches:
        try:
            commands.form_joint_branch(joint.name, joint.org_ids, joint.party_org_type, joint.reason,
                                       occurred_on=joint.occurred_on, command_id=joint.command_id)
            summary.joint_branches += 1
        except DomainError as error:
            summary.errors.append(f"{joint.name}: {error}")
        tick()
    for case in plan.cases:
        _steps(commands, case, case.later_steps, summary, tick)
    return summary


def _steps(commands: Commands, case: PlannedCase, steps: Sequence[Step], summary: DemoSummary,
           tick: Callable[[int], None]) -> None:
    for step in steps:
        try:
            if commands.step(case.org_id, step) is False:
                summary.repeated += 1
            else:
                summary.steps += 1
        except DomainError as error:
            summary.errors.append(f"{case.registration.name}: {error}")
        tick(1)
