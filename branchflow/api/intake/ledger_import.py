"""Importing a work ledger (工作台帐): organizations and their party members, from CSV or XLSX.

Each row becomes the command the API takes (a `Registration`, or an `add_member` step from `parse_action`)
and goes through `Commands`, so every door into branchflow checks the same rules. The format is in
docs/ledger-format.md; `COLUMNS` is its source of truth. Importing a file again changes nothing: a case's
id comes from its credit code (or region and name), so an existing case is skipped, and a member row's
`command_id` comes from its content, so the receipts apply it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from uuid import UUID, uuid5

from branchflow.api.errors import FieldError
from branchflow.api.intake.ledger_format import (
    CONVERTERS,
    CellError,
    Cells,
    cell_text,
    member_row,
    organization_row,
    read_ledger,
)
from branchflow.api.intake.targets import (
    BATCH_SIZE,
    BatchCommands,
    BatchResult,
    Commands,
    Progress,
    Stored,
)
from branchflow.domain.actions import AddMember
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, DomainError, RuleViolation
from branchflow.domain.organization import organization_id
from branchflow.domain.registration import Registration

IMPORT_NAMESPACE = UUID("3d6f0b8e-7c0a-4d55-9a0e-1f2b8c4e5a71")

@dataclass
class ImportSummary:
    rows: int = 0
    registered: int = 0
    members_added: int = 0
    organizations_already_there: int = 0
    members_already_there: int = 0
    rejected: dict[int, str] = field(default_factory=dict)  # line -> reason, in line order
    ignored_columns: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        return [f"line {line}: {reason}" for line, reason in self.rejected.items()]

    def __str__(self) -> str:
        return (f"{self.rows} rows: {self.registered} organizations registered, {self.members_added} members added, "
                f"{self.organizations_already_there} organizations and {self.members_already_there} members already "
                f"there, {len(self.rejected)} rows rejected")


@dataclass
class _Case:
    line: int  # 0: a case registered before, not in this file
    org_id: UUID | None  # None: the row was rejected; the case's id once registered (till then the file's key)
    registration: Registration | None
    members: list[tuple[int, AddMember]] = field(default_factory=list)  # (line, step with its command_id)
    what: str = ""  # how the rows name a case registered before


def import_ledger(
    path: Path, commands: Commands, today: date, *, progress: Progress | None = None, every: int = 100,
    scope: str = "", region_of: Callable[[UUID], str | None] | None = None,
    responsible: Callable[[Registration], Registration] | None = None,
) -> ImportSummary:
    """Rows are read and checked first; then each organization is registered with its members (in batches when
    `commands` can), and members of organizations registered before are added one by one.

    `scope` is the importing user's region: a row of an organization outside it is rejected, as the API refuses
    it (403); `region_of` tells the region of an organization registered before that a member row names;
    `responsible` gives a registration its responsible committee, as the API does (the street's by default)."""
    rows, ignored = read_ledger(path)
    run = _Import(commands, ImportSummary(rows=len(rows), ignored_columns=ignored), progress, every)
    run.scope, run.region_of, run.responsible = scope, region_of, responsible
    members = []
    for line, cells in rows:
        if isinstance(row := run.read(line, cells, today), str):
            run.handled(line, row)
        elif row is not None:
            members.append(row)
    for line, step, key in members:
        run.attach(line, step, key)
    new = [c for c in run.cases.values() if c.registration is not None]
    size = BATCH_SIZE if isinstance(commands, BatchCommands) else 1
    for start in range(0, len(new), size):
        run.send(new[start:start + size])
    for case in run.outside.values():
        for line, step in case.members:
            run.handled(line, run.add(case, step))
    run.summary.rejected = dict(sorted(run.summary.rejected.items()))
    return run.summary


Key = tuple[str, str]  # ("code", credit code), ("region", "region/name") or ("name", name)


class _Import:
    def __init__(self, commands: Commands, summary: ImportSummary, progress: Progress | None, every: int) -> None:
        self.commands, self.summary, self.progress, self.every = commands, summary, progress, every
        self.done = 0
        self.cases: dict[UUID, _Case] = {}  # the file's organizations
        self.outside: dict[UUID, _Case] = {}  # organizations registered before that the file's members name
        self.index: dict[Key, list[_Case]] = {}
        self.seen: dict[str, int] = {}  # member command_id -> line
        self.scope = ""  # the importing user's region
        self.region_of: Callable[[UUID], str | None] | None = None
        self.responsible: Callable[[Registration], Registration] | None = None

    def outside_scope(self, region_code: str) -> str | None:
        if region_code.startswith(self.scope):
            return None
        return f"region_code: {region_code} is outside your scope {self.scope}"

    def handled(self, line: int, problem: str | None = None) -> None:
        if problem is not None:
            self.summary.rejected[line] = problem
        self.done += 1
        if self.progress is not None and (self.done % self.every == 0 or self.done == self.summary.rows):
            self.progress(self.done, self.summary.rows)

    def read(self, line: int, cells: Cells, today: date) -> tuple[int, AddMember, Key] | str | None:
        """Checks a row: keeps an organization, returns a member with the key to its organization, or a problem."""
        try:
            kind = CONVERTERS["row_type"](cells["row_type"]) if "row_type" in cells else (
                "member" if "member_name" in cells else "organization")
        except CellError as error:
            return f"row_type: {error}"
        code, region, name = (cell_text(cells[k]) if k in cells else "" for k in ("credit_code", "region_code", "name"))
        if kind == "member":
            if isinstance(member := member_row(cells, today), list):
                return "; ".join(member)
            step, valid_code = member
            key = ("code", valid_code) if valid_code else ("region", f"{region}/{name}") if region else ("name", name)
            return line, step, key
        parsed = organization_row(cells, today)
        if isinstance(parsed, Registration) and (problem := self.outside_scope(parsed.region_code)) is not None:
            parsed = [problem]
        elif isinstance(parsed, Registration) and self.responsible is not None:
            try:
                parsed = self.responsible(parsed)
            except FieldError as error:
                parsed = [f"{error.field}: {error.message}"]
        reg = parsed if isinstance(parsed, Registration) else None
        org_id = organization_id(reg.credit_code, reg.region_code, reg.name) if reg else None
        if org_id in self.cases:
            return f"name: the same organization is already on line {self.cases[org_id].line}"
        case = _Case(line, org_id, reg)
        if org_id is not None:
            self.cases[org_id] = case
        for key in (("code", code.upper()), ("region", f"{region}/{name}"), ("name", name)):
            if key[1] and key[1] != "/":
                self.index.setdefault(key, []).append(case)
        return "; ".join(parsed) if isinstance(parsed, list) else None

    def attach(self, line: int, step: AddMember, key: Key) -> None:
        """Gives the member row its command_id and its case: one of the file's, or one registered before."""
        found = self.index.get(key, [])
        region, _, name = key[1].partition("/")
        if len(found) > 1:
            return self.handled(line, f"name: several organizations are named {key[1]}; give the credit_code")
        if found and found[0].org_id is None:
            return self.handled(line, f"organization: the organization's row (line {found[0].line}) was rejected")
        if not found and key[0] == "name":
            return self.handled(line, f"name: no organization named {key[1]} in this file; give its credit_code "
                                "or region_code")
        # A code names the case that holds it now: not the case it was corrected away from (issue 13 finding 9).
        org_id = found[0].org_id if found else (
            self.commands.holder(key[1]) if key[0] == "code" else organization_id(None, region, name))
        if org_id is None:
            return self.handled(line, f"organization: no organization with credit code {key[1]} in this file or in "
                                "branchflow")
        # Two namesakes born on one day are two people where their ID numbers differ (rows without one keep the
        # command ids they had before ID numbers were read).
        who = f"{step.name}/{step.birth_date}" + (f"/{step.id_number}" if step.id_number else "")
        command_id = str(uuid5(IMPORT_NAMESPACE, f"{org_id}/member/{who}"))
        if (first := self.seen.setdefault(command_id, line)) != line:
            return self.handled(line, f"member_name: the same member is already on line {first}")
        what = f"credit code {key[1]}" if key[0] == "code" else f"name {name} in region {region}"
        case = found[0] if found else self.outside.setdefault(org_id, _Case(0, org_id, None, what=what))
        case.members.append((line, step.model_copy(update={"command_id": command_id})))
        return None

    def send(self, cases: list[_Case]) -> None:
        """Registers the cases with their members: in one batch if the commands can, else one by one."""
        if isinstance(self.commands, BatchCommands):
            batch = [(c.registration, [s for _, s in c.members]) for c in cases if c.registration is not None]
            results: list[BatchResult] = self.commands.register_batch(batch)
        else:
            results = [None] * len(cases)
        for case, result in zip(cases, results, strict=True):
            if isinstance(result, list):
                self.summary.registered += 1
                self.handled(case.line)
                for (line, _), error in zip(case.members, result, strict=True):
                    self.summary.members_added += error is None
                    self.handled(line, None if error is None else _reason(error))
                continue
            assert case.registration is not None
            try:
                # Left out of the batch: registered before (the batch found which case: its members go there), or
                # its credit code has a history, and `register` derives its id as the API does.
                if isinstance(result, Stored):
                    raise AlreadyRegistered(result.organization_id)
                case.org_id = self.commands.register(case.registration)
                self.summary.registered += 1
            except AlreadyRegistered as there:
                if isinstance(there.organization_id, UUID):
                    case.org_id = there.organization_id
                self.summary.organizations_already_there += 1
            except DomainError as error:
                self.handled(case.line, _reason(error))
                for line, _ in case.members:
                    self.handled(line, f"organization: the organization's row (line {case.line}) was rejected")
                continue
            self.handled(case.line)
            for line, step in case.members:
                self.handled(line, self.add(case, step))

    def add(self, case: _Case, step: AddMember) -> str | None:
        assert case.org_id is not None
        if case.line == 0 and self.scope:  # registered before: it must be in the importing user's scope
            region = self.region_of(case.org_id) if self.region_of is not None else None
            if region is not None and (problem := self.outside_scope(region)) is not None:
                return problem
        try:
            applied = self.commands.step(case.org_id, step)
        except CaseNotFound:
            return f"organization: no organization with {case.what} in this file or in branchflow"
        except DomainError as error:
            return _reason(error)
        self.summary.members_already_there += applied is False
        self.summary.members_added += applied is not False
        return None


def _reason(error: Exception) -> str:
    return f"{error.rule}: {error.message}" if isinstance(error, RuleViolation) else str(error)
