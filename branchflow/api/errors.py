"""How failures answer over HTTP (api.md): 404 unknown id, 409 a rule forbids the step, 422 malformed input."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from branchflow.domain.actions import ACTIONS
from branchflow.domain.breaches import BrokenRule
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, ConcurrentChange, RuleViolation, UnknownPerson
from branchflow.workflows.failures import InvalidStep, WorkflowUnavailable

# The database did not answer (stopped, restarting, a connection cut): nothing was done, ask for a retry.
# psycopg_pool's PoolTimeout is a psycopg.OperationalError; eventsourcing wraps psycopg's errors in its own.
STORE_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, StoreOperationalError, StoreInterfaceError)


class FieldProblem(BaseModel):
    field: str
    message: str


class ConflictingStep(BaseModel):
    """The earlier step a step's business date conflicts with, and that step's business date."""

    step: str
    occurred_on: date


class ErrorBody(BaseModel):
    """Every error answer: `detail` in words; `rule` for 409; `errors` for 422; `retry` when a retry may succeed."""

    detail: str
    rule: str | None = None
    errors: list[FieldProblem] | None = None
    retry: bool | None = None
    organization_id: str | None = None
    conflicts_with: ConflictingStep | None = None
    # A step refused on a case stored before today's rules: the rules the case breaks, and what corrects each.
    broken_rules: list[BrokenRule] | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every route of the API (OpenAPI), as api.md lists them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("No valid bearer token"),
    403: _error("Outside your role or region scope"),
    404: _error("Unknown id"),
    409: _error("A rule forbids the step (`rule` names it), or another command is changing the case "
                "(`rule` is concurrent_change, `retry` true)"),
    413: _error("The request body is too large"),
    429: _error("Too many wrong tokens from your address, or for the token's user (`detail` says which): wait "
                "`Retry-After` seconds"),
    422: _error("Malformed input (`errors` name the fields)"),
    503: _error("Temporal or the database did not answer in time; retry with the same command_id "
                "(`retry` true): it applies at most once"),
}


def _field(error: Any) -> str:
    if error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        return "action"
    # A step's fields sit under its action's tag in the location: ("body", "add_member", "birth_date").
    parts = [str(p) for p in error["loc"] if p != "body" and p not in ACTIONS]
    return ".".join(parts) or "body"


def _fields(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"field": _field(e), "message": e["msg"]} for e in errors]


class RefusedOnBrokenCase(RuleViolation):
    """A step's refusal on a stored case that breaks rules of today: the answer names them too (issue 13)."""

    def __init__(self, refusal: RuleViolation, broken: list[BrokenRule]) -> None:
        super().__init__(refusal.rule, refusal.message, refusal.earlier_step, refusal.earlier_on)
        self.broken_rules = broken


class FieldError(Exception):
    """Malformed input found after parsing; answers 422 naming the field, like any validation error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FieldError)
    async def field_error(_: Request, exc: FieldError) -> JSONResponse:
        return JSONResponse({"detail": f"invalid input: {exc.field}",
                             "errors": [{"field": exc.field, "message": exc.message}]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _fields(list(exc.errors()))
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse({"detail": f"invalid input: {names}", "errors": fields}, status_code=422)

    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: ValidationError) -> JSONResponse:
        fields = _fields(list(exc.errors()))
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse({"detail": f"invalid input: {names}", "errors": fields}, status_code=422)

    @app.exception_handler(RuleViolation)
    async def forbidden_by_rule(_: Request, exc: RuleViolation) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.message, "rule": exc.rule}
        if exc.earlier_step is not None and exc.earlier_on is not None:
            body["conflicts_with"] = {"step": exc.earlier_step, "occurred_on": exc.earlier_on.isoformat()}
        if isinstance(exc, RefusedOnBrokenCase):
            body["broken_rules"] = [b.model_dump() for b in exc.broken_rules]
        return JSONResponse(body, status_code=409)

    @app.exception_handler(CaseNotFound)
    async def not_found(_: Request, exc: CaseNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(UnknownPerson)
    async def unknown_person(_: Request, exc: UnknownPerson) -> JSONResponse:
        # An id the case does not have, as api.md answers an unknown id; the body is well formed, so not 422.
        return JSONResponse({"detail": str(exc), "errors": [{"field": exc.field, "message": str(exc)}]},
                            status_code=404)

    @app.exception_handler(AlreadyRegistered)
    async def duplicate(_: Request, exc: AlreadyRegistered) -> JSONResponse:
        named = {} if exc.organization_id is None else {"organization_id": str(exc.organization_id)}
        return JSONResponse({"detail": str(exc), "rule": "already_registered", **named}, status_code=409)

    @app.exception_handler(InvalidStep)
    async def invalid_step(_: Request, exc: InvalidStep) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "errors": [{"field": "changes", "message": str(exc)}]},
                            status_code=422)

    @app.exception_handler(WorkflowUnavailable)
    async def unavailable(_: Request, exc: WorkflowUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"{exc} Retry with the same command_id: it applies at most once.",
                             "retry": True}, status_code=503, headers={"Retry-After": "1"})

    async def store_failed(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "the database did not answer; nothing was done. Retry with the same "
                                       "command_id: it applies at most once.", "retry": True},
                            status_code=503, headers={"Retry-After": "1"})

    for store_error in STORE_UNAVAILABLE:  # other database errors are bugs: a 500, with the traceback logged
        app.add_exception_handler(store_error, store_failed)

    @app.exception_handler(ConcurrentChange)
    async def conflict(_: Request, exc: ConcurrentChange) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "rule": "concurrent_change", "retry": True}, status_code=409,
                            headers={"Retry-After": "0"})

