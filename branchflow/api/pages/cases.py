"""工作台帐: the case list with the API's filters and paging, the ledger download, and registering an organization.

The list and the ledger read the projections as `GET /api/v1/organizations` and `/reports/ledger` do; a
registration goes through the case's workflow as `POST /api/v1/organizations` does, with the same checks.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from branchflow.api.auth import disclosed, require_role
from branchflow.api.cases import STEP_ROLES
from branchflow.api.errors import FieldError
from branchflow.api.jurisdiction import unknown_county, with_committee
from branchflow.api.pages.board import SCOPE_FIELDS, link, page_region, scope_errors
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
    services,
)
from branchflow.api.reports import MAX_PAGE
from branchflow.api.users import User
from branchflow.domain.errors import AlreadyRegistered
from branchflow.domain.registration import Registration
from branchflow.projections import CaseFilters, Scope, case_list, ledger_csv, ledger_rows, ledger_xlsx
from branchflow.workflows.failures import WorkflowUnavailable

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIST_FIELDS = (*SCOPE_FIELDS, "stage", "method", "min_employees", "formed", "organization_covered", "work_covered",
               "blank_spot", "overdue")
PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/cases")
def cases_page(request: Request, session: SignedIn, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    values = query_values(request, *LIST_FIELDS)
    region = page_region(session, values.get("region"), request)
    if not region:
        return choose_region(request, "工作台帐", "/cases")
    try:
        filters = CaseFilters.model_validate({**values, "region": region})
    except ValidationError as e:
        return error_page(request, 422, scope_errors(e))
    with services(request).pool.connection() as conn:
        found = case_list(conn, filters, page=page, page_size=PAGE_SIZE)
    chosen = filters.model_dump(exclude_none=True, mode="json")
    scope = {k: v for k, v in chosen.items() if k in Scope.model_fields}
    last = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request, "cases.html", title="工作台帐", found=found, filters=chosen, page=page, last=last,
        previous_link=link("/cases", **chosen, page=page - 1) if page > 1 else None,
        next_link=link("/cases", **chosen, page=page + 1) if page < last else None,
        csv_link=link("/ledger", **scope, format="csv"), xlsx_link=link("/ledger", **scope, format="xlsx"),
        **page_places(request, region),
    )


@router.get("/ledger")
def ledger(request: Request, session: SignedIn, format: Literal["csv", "xlsx"] = "csv") -> Response:
    values = query_values(request, *SCOPE_FIELDS)
    region = page_region(session, values.get("region"))
    if not region:
        raise HTTPException(422, "请先选择地区")
    try:
        scope = Scope.model_validate({**values, "region": region})
    except ValidationError as e:
        raise HTTPException(422, scope_errors(e)) from None
    with services(request).pool.connection() as conn:
        rows = ledger_rows(conn, scope)
    headers = {"Content-Disposition": f'attachment; filename="ledger-{scope.region}.{format}"'}
    if format == "xlsx":
        return Response(ledger_xlsx(rows), media_type=XLSX, headers=headers)
    return Response(ledger_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


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
        checked = Registration.model_validate(data, context={"today": date.today()})
    except ValidationError as e:
        errors = field_errors(e)
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    if not user.covers(checked.region_code):
        errors = {"region_code": f"不在您的辖区（{user.region}）内"}
        return _register_page(request, registration_form(user, values, errors, command_id), status=403)
    if await run_in_threadpool(unknown_county, request, checked.region_code):
        errors = {"region_code": f"区县代码 {checked.region_code[:6]} 不存在（请核对地区代码）"}
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    try:
        checked = await run_in_threadpool(with_committee, request, checked)
    except FieldError as e:
        errors = {e.field: e.message}
        return _register_page(request, registration_form(user, values, errors, command_id), status=422)
    try:
        case = await services(request).formation.register(checked, user.name, date.today())
    except AlreadyRegistered as e:
        shown = await run_in_threadpool(disclosed, services(request).application, user, e)
        form_again = registration_form(user, values, command_id=str(uuid4()), error="该组织已经登记过。")
        existing = f"/cases/{shown.organization_id}" if shown.organization_id is not None else None
        return _register_page(request, form_again, status=409, existing=existing)
    except WorkflowUnavailable:
        error = "系统暂时无法办理，请稍后用同一表单再次提交（不会重复登记）。"
        return _register_page(request, registration_form(user, values, command_id=command_id, error=error), 503)
    return redirect(f"/cases/{case.id}?done=registered")
