"""What a JSON route and a page both do: the case in the user's scope, registering, taking a step, the ledger
and the statistics table as files, reports as of a past date, paging and the work queue's filters. Each door
adds only its own form of input and answer around these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import psycopg
from fastapi import Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from branchflow.api.access import (
    CommitteeScope,
    OutOfScope,
    own_committee,
    require_in_scope,
    require_step_in_scope,
    require_step_role,
    scope_of,
    sees_id_numbers,
)
from branchflow.api.errors import FieldError, RefusedOnBrokenCase
from branchflow.api.users import User
from branchflow.domain.actions import ChangeResponsibleCommittee, Step, parse_action
from branchflow.domain.application import FormationApplication, HistoryEntry
from branchflow.domain.breaches import broken_rules
from branchflow.domain.case import CaseView, CommitteeView, case_view
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, RuleViolation
from branchflow.domain.id_numbers import masked_in
from branchflow.domain.organization import Organization
from branchflow.domain.registration import Registration
from branchflow.domain.relations import RELATION_ELSEWHERE
from branchflow.domain.values import RegionPrefix, business_date, calendar_date
from branchflow.domain.work_queue import DISCHARGED_BY
from branchflow.projections import LedgerRow, Scope, ledger_csv, ledger_xlsx
from branchflow.projections.as_of import rows_as_of
from branchflow.projections.committees import CommitteeKind, committee, committee_names, street_committee
from branchflow.projections.formation_table import FormationTable, GroupBy, change, named_rows, table_figures
from branchflow.projections.regions import is_known_county, region_names
from branchflow.projections.schema import CASES, MEMBERS
from branchflow.projections.table_sheet import table_csv, table_xlsx
from branchflow.projections.work_queue import MAX_PAGE_SIZE as MAX_QUEUE_PAGE_SIZE
from branchflow.runtime.bootstrap import Services
from branchflow.workflows.case_state import Applied
from branchflow.workflows.commands import CallerScope
from branchflow.workflows.failures import NotInScope

MAX_PAGE = 100_000  # far past any region's last page, and (page - 1) * page_size stays a PostgreSQL bigint
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
FileFormat = Literal["csv", "xlsx"]  # a download: the ledger, the statistics table
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def today() -> date:
    return date.today()


def _on_or_before_today(value: date) -> date:
    return business_date(value, today=date.today())


# A business date of the reports: from 1949-10-01 up to today, written YYYY-MM-DD (else 422 naming it).
ReportDate = Annotated[date, BeforeValidator(calendar_date), AfterValidator(_on_or_before_today)]


@contextmanager
def past_or_live(conn: psycopg.Connection[Any], as_of: date | None) -> Iterator[tuple[str, str]]:
    """The `cases` and `members` tables to read: today's live ones, or the views of a past date's."""
    if as_of is None or as_of >= date.today():
        yield CASES, MEMBERS
        return
    with rows_as_of(conn, as_of) as past:
        yield past.cases, past.members


def case_in_scope(system: Services, user: User, org_id: UUID) -> Organization:
    """The case, read from its events: 404 when there is none, 403 when the user's scope does not cover it."""
    org = system.application.case(org_id)
    require_in_scope(user, org)
    return org


def viewed(system: Services, org: Organization, user: User | None = None) -> CaseView:
    """The case with today's figures and next actions, under the jurisdiction's thresholds; its people's ID
    numbers in full for a `user` who may see them (else masked, as the domain's view has them)."""
    case = named(system, case_view(org, today(), system.application.thresholds))
    return with_id_numbers(case, org) if user is not None and sees_id_numbers(user, org) else case


def with_id_numbers(case: CaseView, org: Organization) -> CaseView:
    """The view (masked, as the domain and the workflows keep it) with the ID numbers of the case's people."""
    if not has_id_numbers(case):
        return case
    members = [m.model_copy(update={"id_number": org.members[m.id].id_number}) if m.id in org.members else m
               for m in case.members]
    candidates = [c.model_copy(update={"id_number": org.candidates[c.id].id_number}) if c.id in org.candidates
                  else c for c in case.candidates]
    return case.model_copy(update={"members": members, "candidates": candidates})


def has_id_numbers(case: CaseView) -> bool:
    return any(m.id_number for m in case.members) or any(c.id_number for c in case.candidates)


def history_shown(system: Services, user: User, org: Organization) -> list[HistoryEntry]:
    """The case's audit trail, its ID numbers masked for a user who may not see them in full."""
    history = system.application.history(org.id)
    if sees_id_numbers(user, org):
        return history
    return [h.model_copy(update={"data": masked_in(h.data)}) for h in history]


def named(system: Services, case: CaseView) -> CaseView:
    """The case with its region's and its committee's names beside their codes."""
    code = case.responsible_committee.code if case.responsible_committee else None
    with system.pool.connection() as conn:
        region = region_names(conn, [case.region_code]).get(case.region_code)
        found = committee(conn, code) if code else None
    return case.model_copy(update={"region_name": region, "responsible_committee": CommitteeView(
        code=code, name=found.name if found else None) if code else None})


def unknown_county(system: Services, region_code: str) -> str | None:
    """Why a new case may not be registered in this region: its county is not one the names' table knows (a
    typo in the county part would open a region nobody watches). Streets and communities may be unknown:
    not every admin imports them."""
    with system.pool.connection() as conn:
        if is_known_county(conn, region_code):
            return None
    return (f"county {region_code[:6]} of region code {region_code} is not a known county "
            "(province, city and county codes ship with branchflow: GB/T 2260)")


def committee_problem(system: Services, code: str, region_code: str) -> str | None:
    """Why this committee cannot answer for a case in this region: not in the registry, or a territorial
    committee of another territory. (An industry committee answers for its cases wherever they are.)"""
    with system.pool.connection() as conn:
        return committee_problem_in(conn, code, region_code)


def committee_problem_in(conn: psycopg.Connection[Any], code: str, region_code: str) -> str | None:
    found = committee(conn, code)
    if found is None:
        return f"no committee {code!r} in the registry (branchflow committee add)"
    if found.kind is CommitteeKind.TERRITORIAL and not region_code.startswith(found.region):
        return f"{found.name} ({code}) is the territorial committee of {found.region}, not of {region_code}"
    return None


def with_committee(system: Services, registration: Registration) -> Registration:
    """The registration with its responsible committee: the one given, checked (422 naming the field), or
    by default the territorial committee of its street when one is registered."""
    with system.pool.connection() as conn:
        return with_committee_in(conn, registration)


def with_committee_in(conn: psycopg.Connection[Any], registration: Registration) -> Registration:
    if registration.responsible_committee is not None:
        if problem := committee_problem_in(conn, registration.responsible_committee, registration.region_code):
            raise FieldError("responsible_committee", problem)
        return registration
    default = street_committee(conn, registration.region_code)
    return registration if default is None else registration.model_copy(update={"responsible_committee": default.code})


async def register(system: Services, user: User, registration: Registration) -> CaseView:
    """Registers an organization in the user's scope (403) and a known county (422) through its workflow;
    business dates after today are refused."""
    registration = own_committee(user, registration)
    require_in_scope(user, registration)
    checked = Registration.model_validate(registration.model_dump(), context={"today": today()})
    if problem := await run_in_threadpool(unknown_county, system, checked.region_code):
        raise FieldError("region_code", problem)
    checked = await run_in_threadpool(with_committee, system, checked)
    try:
        case = await system.formation.register(checked, user.name, today())
    except AlreadyRegistered as duplicate:
        raise await run_in_threadpool(disclosed, system.application, user, duplicate) from None
    return await run_in_threadpool(named, system, case)


def disclosed(app: FormationApplication, user: User, duplicate: AlreadyRegistered) -> AlreadyRegistered:
    """`already_registered` names the case only to a caller who may see it (issue 14)."""
    try:
        case = app.case(duplicate.organization_id) if isinstance(duplicate.organization_id, UUID) else None
    except CaseNotFound:
        case = None
    return duplicate if case is not None and scope_of(user).covers(case) else AlreadyRegistered(None)


async def take_step(system: Services, user: User, org_id: UUID, values: Mapping[str, Any]) -> CaseView:
    """One step through the case's workflow: the role; the step's fields (a pydantic ValidationError, business
    dates after today refused), where it would take the case (403) and the committee it names (a FieldError);
    then the workflow checks the case against the user's scope (403) from the region and committee it holds
    (404: no such case). No case is read before the step (issue 19: it was a fifth of the API's time per step);
    the answer is composed after it, at the version it wrote (`step_answer`)."""
    require_step_role(user, str(values.get("action")))
    step = parse_action(dict(values), today())
    require_step_in_scope(user, step)
    if isinstance(step, ChangeResponsibleCommittee):
        # Off the event loop: a database that is slow to answer must not hold every other request.
        org = await run_in_threadpool(case_in_scope, system, user, org_id)
        if problem := await run_in_threadpool(committee_problem, system, step.responsible_committee, org.region_code):
            raise FieldError("responsible_committee", problem)
    scope = scope_of(user)
    caller = (CallerScope(committee=scope.code) if isinstance(scope, CommitteeScope)
              else CallerScope(region=scope.prefix))
    try:
        applied = await system.formation.stepped(org_id, step, user.name, today(), caller)
    except NotInScope as outside:
        raise OutOfScope(outside.what, scope) from None
    except RuleViolation as refusal:
        # A refusal spends its command id, also when the workflow's validator refused it before any activity
        # ran (nothing is stored for it there).
        await run_in_threadpool(system.application.refused, org_id, step, user.name, refusal)
        if refusal.rule == RELATION_ELSEWHERE:
            refusal = await run_in_threadpool(holder_named, system, user, org_id, step, refusal)
        # Read for a refusal only: a step that is taken reads no case before it (issue 19).
        org = await run_in_threadpool(system.application.case, org_id)
        if broken := broken_rules(org):  # a case stored before today's rules: what to correct comes first
            raise RefusedOnBrokenCase(refusal, broken) from refusal
        raise refusal from None
    return await run_in_threadpool(step_answer, system, user, applied)


def step_answer(system: Services, user: User, applied: Applied) -> CaseView:
    """A step's answer, in one trip to the thread pool (issue 19: it was three, and a second read of the case
    for its ID numbers): the case at the version the step wrote, its view for the date it was taken on, named,
    with the ID numbers the user may see."""
    org = system.application.case(applied.id, version=applied.version)
    case = named(system, case_view(org, applied.as_of or today(), system.application.thresholds))
    return with_id_numbers(case, org) if sees_id_numbers(user, org) else case


def holder_named(system: Services, user: User, org_id: UUID, step: Step, refusal: RuleViolation) -> RuleViolation:
    """`relation_elsewhere` names the organization holding the relation only to a caller whose scope covers it
    (issue 18); to others the domain's message says "another organization"."""
    for holder in system.application.holders_elsewhere(org_id, step, user.name, today()):
        with suppress(CaseNotFound):
            other = system.application.case(holder)
            if scope_of(user).covers(other):
                return RuleViolation(refusal.rule, f"{refusal.message} (it sits in {other.name}, case {other.id})")
    return refusal


def ledger_file(rows: list[LedgerRow], region: str, format: FileFormat) -> Response:
    """The work ledger (工作台帐) of a region as a download, a row per case."""
    headers = {"Content-Disposition": f'attachment; filename="ledger-{region}.{format}"'}
    if format == "xlsx":
        return Response(ledger_xlsx(rows), media_type=XLSX, headers=headers)
    return Response(ledger_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


def formation_table_of(
    conn: psycopg.Connection[Any], scope: Scope, as_of: date | None, compare: date | None,
    group_by: GroupBy = "subtype",
) -> FormationTable:
    """The table of the scope as of a date (today's live figures without one), and compared with another."""
    day = as_of or date.today()
    with past_or_live(conn, as_of) as (cases, _):
        figures = table_figures(conn, scope, day, group_by, cases)
    if group_by == "committee":
        figures = named_rows(figures, committee_names(conn, [r.responsible_committee for r in figures.rows]))
    table = FormationTable(region=scope.region, group_by=group_by, **figures.model_dump())
    if compare is not None:
        with past_or_live(conn, compare) as (cases, _):
            earlier = table_figures(conn, scope, compare, group_by, cases)
        table = table.model_copy(update={"compare": earlier, "change": change(figures, earlier)})
    return table


def table_file(table: FormationTable, format: FileFormat, region_name: str | None) -> Response:
    name = f"formation-table-{table.region}-{table.as_of}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return Response(table_xlsx(table, region_name), media_type=XLSX, headers=headers)
    return Response(table_csv(table, region_name), media_type="text/csv; charset=utf-8", headers=headers)


def last_page(total: int, page_size: int) -> int:
    """The number of the last page (1 when there is nothing to show)."""
    return max(1, -(-total // page_size))


STREET_PATTERN = r"^(?:0[1-9]|[1-9][0-9])[0-9]{7}$"  # 9 digits: a street's (or township's) code


class QueueQuery(BaseModel):
    """The queue's filters; `street` (9 digits) narrows the region, `rule` names one obligation."""

    model_config = ConfigDict(extra="forbid")

    region: RegionPrefix | None = None
    street: Annotated[RegionPrefix | None, Field(json_schema_extra={"pattern": STREET_PATTERN})] = None
    rule: Annotated[str | None, Field(json_schema_extra={"enum": sorted(DISCHARGED_BY)})] = None
    overdue: bool | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=50, ge=1, le=MAX_QUEUE_PAGE_SIZE)

    @field_validator("street")
    @classmethod
    def _a_street(cls, street: str | None) -> str | None:
        if street is not None and len(street) != 9:
            raise ValueError("a street (or township) code has 9 digits")
        return street

    @field_validator("rule")
    @classmethod
    def _a_rule(cls, rule: str | None) -> str | None:
        if rule is not None and rule not in DISCHARGED_BY:
            raise ValueError(f"unknown obligation; one of {', '.join(DISCHARGED_BY)}")
        return rule
