"""The union where configured (issue 17), on the time-skipping server: due beside the Youth League once a formal
party organization of its own is approved, escalated once when it passes unmet, met by `form_union`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from branchflow.domain.calendar import add_months
from tests.workflows.harness import Harness, due_on, skip_past
from tests.workflows.test_coming_due import until
from tests.workflows.test_deadlines import escalated

pytestmark = pytest.mark.slow


@pytest.fixture
def app_env(app_env: dict[str, str]) -> dict[str, str]:
    """A jurisdiction that asks for the union within two months of the approval."""
    return {**app_env, "BRANCHFLOW_THRESHOLD_UNION_WITHIN_MONTHS": "2"}


def test_a_configured_union_is_due_escalated_once_and_met_by_form_union(run: Callable[..., None]) -> None:
    async def scenario(h: Harness) -> None:
        case = await h.formal_branch((await h.register()).id)
        due = due_on(case, "form_union")
        assert due == add_months(await h.today(), 2) < due_on(case, "form_youth_league")
        assert "form_union" in case.next_actions

        await skip_past(h, due)
        await until(h, lambda: ("form_union", "") in escalated(h, case.id))
        assert ("form_youth_league", "") not in escalated(h, case.id)  # due four months later
        case = await h.step(case.id, {"action": "form_union"})
        assert not any(o.rule == "form_union" for o in case.obligations) and "form_union" not in case.next_actions
        await h.skip(30)
        assert escalated(h, case.id).count(("form_union", "")) == 1

    run(scenario)
