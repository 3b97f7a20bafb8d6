"""The case page: facts, stage, coverage, members and development, deadlines, the steps allowed now, history.

It reads the case as `GET /api/v1/organizations/{id}` does and takes steps through the case's workflow as
`POST /api/v1/organizations/{id}/actions` does, under the same role and region rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from branchflow.api.access import STEP_ROLES, may_take, require_role
from branchflow.api.errors import FieldError
from branchflow.api.pages import charts, labels
from branchflow.api.pages.forms import action_form, entered, field_errors, read
from branchflow.api.pages.timeline import entry
from branchflow.api.pages.web import PageRoute, SignedIn, checked_form, redirect, render
from branchflow.api.services import services
from branchflow.api.use_cases import case_in_scope, history_shown, take_step, viewed
from branchflow.api.users import User
from branchflow.domain.actions import ACTIONS
from branchflow.domain.errors import ConcurrentChange, RuleViolation, UnknownPerson
from branchflow.workflows.failures import InvalidStep, WorkflowUnavailable

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# Rules whose English message only lists what the page already shows (the steps allowed now).
QUIET_RULES = frozenset({"step_not_available"})


@dataclass
class Failure:
    """A step the server refused, to show again with what was entered and why."""

    action: str
    status: int
    command_id: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    detail: str = ""  # the server's own words, where they add to the message


def offered(user: User, next_actions: list[str]) -> list[str]:
    """The steps this person may take now: the case's next actions their role allows."""
    return [a for a in next_actions if a in ACTIONS and may_take(user, a)]


def show(request: Request, session: SignedIn, org_id: UUID, failure: Failure | None = None,
         done: str | None = None, step: str | None = None) -> HTMLResponse:
    """`step` opens that step's form (the work queue's links), when the step is offered."""
    system = services(request)
    org = case_in_scope(system, session.user, org_id)
    case = viewed(system, org, session.user)
    people = {m.id: m.name for m in org.members.values()} | {c.id: c.name for c in org.candidates.values()}
    forms = []
    for action in offered(session.user, case.next_actions):
        if failure is not None and failure.action == action:
            forms.append(action_form(action, case, failure.command_id, failure.values, failure.errors))
        else:
            forms.append(action_form(action, case, str(uuid4())))
    history = [entry(h, people) for h in reversed(history_shown(system, session.user, org))]
    done_text = "已登记" if done == "registered" else labels.ACTIONS.get(done or "", "")
    return render(
        request, "case.html", status=failure.status if failure else 200, title=case.name, case=case,
        stage_line=charts.stage_line(case.stage.value), forms=forms, history=history, people=people,
        open_action=failure.action if failure else step, top_error=failure.message if failure else "",
        top_detail=failure.detail if failure else "",
        done=done_text, today=date.today(),
    )


async def again(request: Request, session: SignedIn, org_id: UUID, failure: Failure) -> HTMLResponse:
    """The case page once more, with the refused step's form open (reading the case blocks: off the loop)."""
    return await run_in_threadpool(show, request, session, org_id, failure)


@router.get("/cases/{org_id}")
def case_page(request: Request, session: SignedIn, org_id: UUID, done: str | None = None,
              step: str | None = None) -> HTMLResponse:
    return show(request, session, org_id, done=done, step=step)


@router.post("/cases/{org_id}/actions")
async def step_page(request: Request, session: SignedIn, org_id: UUID) -> Response:
    user = session.user
    require_role(user, *STEP_ROLES)
    form = await checked_form(request, session)
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        raise HTTPException(422, f"没有这项操作：{action}")
    command_id = str(form.get("command_id") or uuid4())
    values = entered(form)
    step = {**read(ACTIONS[action], form), "action": action, "command_id": command_id}
    try:  # the role for the step, then the case and its scope (404, 403): before anything is sent
        await take_step(services(request), user, org_id, step)
    except ValidationError as e:
        failure = Failure(action, 422, command_id, values, field_errors(e, action), "请按提示修改后再提交。")
        return await again(request, session, org_id, failure)
    except FieldError as e:  # a committee that may not answer for the case
        failure = Failure(action, 422, command_id, values, {e.field: e.message}, "请按提示修改后再提交。")
        return await again(request, session, org_id, failure)
    except (RuleViolation, UnknownPerson, InvalidStep, ConcurrentChange, WorkflowUnavailable) as e:
        return await again(request, session, org_id, refused(action, command_id, values, e))
    return redirect(f"/cases/{org_id}?done={action}")


def refused(action: str, command_id: str, values: dict[str, Any], error: Exception) -> Failure:
    """How the page shows a step the workflow refused."""
    # A refused command's id is spent (its refusal is its answer): the form gets a new one, unless nobody
    # knows whether it was applied (then sending the same id again is what makes a retry safe).
    retry = str(uuid4())
    match error:
        case RuleViolation():
            detail = "" if error.rule in QUIET_RULES else error.message
            message = f"规则不允许：{labels.label(labels.RULES, error.rule)}"
            return Failure(action, 409, retry, values, message=message, detail=detail)
        case UnknownPerson():
            return Failure(action, 422, retry, values, {"person_id": f"本案件中没有此人（{error.person_id}）"})
        case InvalidStep():
            return Failure(action, 422, retry, values, message=f"填写有误：{error}")
        case ConcurrentChange():
            return Failure(action, 409, retry, values, message=labels.RULES["concurrent_change"])
    return Failure(action, 503, command_id, values, message="系统暂时无法办理，请稍后再次提交（不会重复办理）。")
