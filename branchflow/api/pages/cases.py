"""工作台帐: the case list with the API's filters and paging, the ledger download, and registering an organization.

The list and the ledger read the projections as `GET /api/v1/organizations` and `/reports/ledger` do; a
registration goes through the case's workflow as `POST /api/v1/organizations` does, with the same checks.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from branchflow.api import use_cases
from branchflow.api.access import STEP_ROLES, narrowed, own_committee, require_role, scope_of
from branchflow.api.errors import FieldError
from branchflow.api.pages.board import SCOPE_FIELDS, link, page_links, page_region, scope_errors
from branchflow.api.pages.forms import Form, entered, field_errors, no_choices, read, widgets
from branchflow.api.pages.places import choose_region, page_places
from branchflow.api.pages.web import (
    PageRoute,
    SignedIn,
    checked_form,
    error_page,
    query_values,
    redirect,
    render,
)
from branchflow.api.services import services
from branchflow.api.use_cases import FileFormat, Page, ledger_file, unknown_county
from branchflow.api.users import User
from branchflow.domain.errors import AlreadyRegistered
from branchflow.domain.registration import Registration
from branchflow.projections import CaseFilters, Scope, case_list, ledger_rows
from branchflow.workflows.failures import WorkflowUnavailable

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIST_FIELDS = (*SCOPE_FIELDS, "stage", "method", "min_employees", "formed", "organization_covered", "work_covered",
               "blank_spot", "overdue", "has_committee")
PAGE_SIZE = 20


@router.get("/cases")
def cases_page(request: Request, session: SignedIn, page: Page = 1) -> HTMLResponse:
    values = query_values(request, *LIST_FIELDS)
    region = page_region(session, values.get("region"), request)
    if not region:
        return choose_region(request, "工作台帐", "/cases")
    try:
        filters = CaseFilters.model_validate(narrowed(session.user, {**values, "region": region}))
    except ValidationError as e:
        return error_page(request, 422, scope_errors(e))
    with services(request).pool.connection() as conn:
        found = case_list(conn, filters, page=page, page_size=PAGE_SIZE)
    chosen = filters.model_dump(exclude_none=True, mode="json")
    scope = {k: v for k, v in chosen.items() if k in Scope.model_fields}
    last = use_cases.last_page(found.total, PAGE_SIZE)
    previous, following = page_links("/cases", chosen, page, last)
    return render(
        request, "cases.html", title="工作台帐", found=found, filters=chosen, page=page, last=last,
        previous_link=previous, next_link=following,
        csv_link=link("/ledger", **scope, format="csv"), xlsx_link=link("/ledger", **scope, format="xlsx"),
        **page_places(request, region),
    )


@router.get("/ledger")
def ledger(request: Request, session: SignedIn, format: FileFormat = "csv") -> Response:
    values = query_values(request, *SCOPE_FIELDS)
    region = page_region(session, values.get("region"))
    if not region:
        raise HTTPException(422, "请先选择地区")
    try:
        scope = Scope.model_validate(narrowed(session.user, {**values, "region": region}))
    except ValidationError as e:
        raise HTTPException(422, scope_errors(e)) from None
    with services(request).pool.connection() as conn:
        rows = ledger_rows(conn, scope)
    return ledger_file(rows, scope.region, format)


def registration_form(user: User, values: dict[str, object] | None = None, errors: dict[str, str] | None = None,
                      command_id: str | None = None, error: str = "") -> Form:
    defaults: dict[str, object] = {"kind": "economic", "registered": True, "region_code": user.region}
    return Form("register", "登记组织", widgets(Registration, no_choices, values or defaults, errors),
                command_id=command_id or str(uuid4()), error=error,
                reason=str((values or {}).get("reason", "")))


def _register_page(request: Request, form: Form, status: int = 200, existing: str | None = None) -> HTMLResponse:
    return render(request, "register.html", status=status, title="登记组织", form=form, existing=existing)


@router.get("/cases/new")
def register_page(request: Request, session: SignedIn) -> HTMLResponse:
    require_role(session.user, *STEP_ROLES)
    return _register_page(request, registration_form(session.user))


@router.post("/cases/new")
async def register(request: Request, session: SignedIn) -> Response:
    user = session.user
    require_role(user, *STEP_ROLES)
    form = await checked_form(request, session)
    values, command_id = entered(form), str(form.get("command_id") or uuid4())
    data = {**read(Registration, form), "command_id": command_id}
    try:
        checked = own_committee(user, Registration.model_validate(data, context={"today": date.today()}))
    except ValidationError as e:
        errors = field_errors(e)
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    if not scope_of(user).covers(checked):  # said in the form; the use case would answer a bare 403
        errors = {"region_code": f"不在您的辖区（{user.region}）内"} if not user.committee else {
            "responsible_committee": f"只能登记本党委（{user.committee}）负责的组织"}
        return _register_page(request, registration_form(user, values, errors, command_id), status=403)
    if await run_in_threadpool(unknown_county, services(request), checked.region_code):
        errors = {"region_code": f"区县代码 {checked.region_code[:6]} 不存在（请核对地区代码）"}
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    try:
        case = await use_cases.register(services(request), user, checked)
    except FieldError as e:  # the responsible committee given may not answer for the case
        errors = {e.field: e.message}
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    except AlreadyRegistered as e:  # naming the case only when it is in the person's scope (use_cases.disclosed)
        form_again = registration_form(user, values, command_id=str(uuid4()), error="该组织已经登记过。")
        existing = f"/cases/{e.organization_id}" if e.organization_id is not None else None
        return _register_page(request, form_again, status=409, existing=existing)
    except WorkflowUnavailable:
        error = "系统暂时无法办理，请稍后用同一表单再次提交（不会重复登记）。"
        return _register_page(request, registration_form(user, values, command_id=command_id, error=error), 503)
    return redirect(f"/cases/{case.id}?done=registered")
