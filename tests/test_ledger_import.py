"""Importing a work ledger (工作台帐): organizers' CSV and XLSX files, through the API's commands, on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from openpyxl import Workbook

from branchflow.api.intake.ledger_format import COLUMNS, member_row, organization_row, read_ledger
from branchflow.api.intake.ledger_import import ImportSummary, import_ledger
from branchflow.api.intake.targets import ApplicationCommands, WorkflowCommands
from branchflow.domain.actions import Step, parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import RuleViolation
from branchflow.domain.organization import organization_id, registered_id
from branchflow.domain.receipt import batch_receipt_id
from branchflow.domain.registration import Registration
from branchflow.domain.rules import PartyOrgType
from branchflow.runtime.postgres import postgres_env

TODAY = date(2026, 6, 30)
ENTERPRISE = "91440403MA4W12345X"  # valid check character
ASSOCIATION = "51440403MJ0000001R"
WRONG_CHECK = "91440403MA4W60001M"  # valid would end in L
UNKNOWN = "91440403MA4W70007Y"  # valid, but in neither the file nor the store

CHINESE_HEADER = ["序号", "类型", "单位名称", "统一社会信用代码", "单位类型", "是否登记", "区划代码", "行业",
                  "从业人员数（人）", "是否规模以上", "成立日期", "党员姓名", "性别", "出生年月", "学历", "党员类型",
                  "组织关系是否转入", "备注"]
CHINESE_ROWS = [  # line 1 is a title, line 2 the header: the first row below is line 3
    ["1", "单位", "斗门区井岸镇华盛电子有限公司", ENTERPRISE, "企业", "是", "440403002001", "C 制造业", "120", "是",
     "2015/3/1"],
    ["2", "单位", "斗门区电子行业协会", ASSOCIATION, "", "", "440403002001", "S", "8", "", "2018年5月1日"],
    ["3", "单位", "井岸镇新青社区老乡互助会", "", "社会组织", "否", "440403002002", "公共管理、社会保障和社会组织",
     "12", "否", "2019.5.1"],
    ["4", "单位", "斗门区某五金厂", WRONG_CHECK, "企业", "是", "440403002001", "C", "30", "否", "2010-01-01"],
    ["5", "单位", "斗门区某物流有限公司", "", "企业", "否", "4404030", "G", "40", "否", "2012-01-01"],
    ["6", "单位", "斗门区某建材商行", "", "企业", "否", "440403002003", "F", "-3", "否", "2013-01-01"],
    ["7", "单位", "斗门区某咨询有限公司", "", "企业", "否", "440403002003", "Z", "5", "否", "2014-01-01"],
    ["8", "单位", "斗门区未来科技有限公司", "", "企业", "否", "440403002003", "I", "5", "否", "2027-01-01"],
    ["9", "党员", "", ENTERPRISE, "", "", "", "", "", "", "", "王芳", "女", "1988.05", "大学本科", "正式党员", "是"],
    ["10", "党员", "斗门区井岸镇华盛电子有限公司", "", "", "", "", "", "", "", "", "李强", "男", "1962-03-15", "初中",
     "正式党员", "否"],
    ["11", "党员", "井岸镇新青社区老乡互助会", "", "", "", "440403002002", "", "", "", "", "陈静", "女", "1975年8月",
     "高中", "预备党员", "是"],
    ["12", "党员", "斗门区电子行业协会", "", "", "", "", "", "", "", "", "赵伟", "男", "19900101", "硕士", "正式",
     "是"],
    ["13", "党员", "", UNKNOWN, "", "", "", "", "", "", "", "孙明", "男", "1980-01-01", "本科", "正式党员", "是"],
    ["14", "党员", "", ENTERPRISE, "", "", "", "", "", "", "", "周杰", "男", "2030-01-01", "本科", "正式党员", "是"],
    ["15", "党员", "斗门区某五金厂", "", "", "", "", "", "", "", "", "吴涛", "男", "1970-01-01", "本科", "正式党员",
     "是"],
    ["16", "党员", "", ENTERPRISE, "", "", "", "", "", "", "", "王芳", "女", "1988-05-01", "本科", "正式党员", "是"],
]
CHINESE_REJECTED = [
    "line 6: credit_code: unified social credit code has a wrong check character: expected 'L', got 'M'",
    "line 7: region_code: region code must have 2, 4, 6, 9 or 12 digits, got 7",
    "line 8: employees: Input should be greater than or equal to 0",
    "line 9: industry: industry must be a GB/T 4754 section letter A-T, got 'Z'",
    "line 10: founded_on: date 2027-01-01 is in the future (today is 2026-06-30)",
    "line 15: organization: no organization with credit code 91440403MA4W70007Y in this file or in branchflow",
    "line 16: birth_date: birth date 2030-01-01 is in the future (today is 2026-06-30)",
    "line 17: organization: the organization's row (line 6) was rejected",
    "line 18: member_name: the same member is already on line 11",
]

ENGLISH_HEADER = ["row_type", "name", "credit_code", "kind", "registered", "region_code", "industry", "employees",
                  "above_scale", "founded_on", "member_name", "gender", "birth_date", "education", "member_status",
                  "relation_transferred"]
ENGLISH_ROWS: list[list[object]] = [  # the header is line 1
    ["organization", "Doumen Harbour Logistics Co., Ltd.", "91440403MA4W60001L", "economic", "yes", 440403003001,
     "G", 260, "yes", datetime(2009, 4, 1)],
    ["organization", "Baijiao Sea Bass Farm", None, "economic", "no", "440403003002", "A", 35, "no",
     datetime(2016, 9, 1)],
    ["organization", "Bad Gender Trading", "91440403MA4W70007Y", "economic", "yes", "440403003001", "F", 5, "no",
     datetime(2020, 1, 1)],
    ["member", None, "91440403MA4W60001L", None, None, None, None, None, None, None, "Li Ming", "male",
     datetime(1958, 2, 3), "junior_middle", "formal", "yes"],
    ["member", None, "91440403MA4W60001L", None, None, None, None, None, None, None, "He Li", "female",
     datetime(1991, 7, 9), "bachelor", "probationary", "no"],
    ["member", "Baijiao Sea Bass Farm", None, None, None, "440403003002", None, None, None, None, "Xu Bo", "male",
     datetime(1969, 12, 1), "primary_or_less", "formal", "yes"],
    ["member", "Nowhere Ltd", None, None, None, None, None, None, None, None, "Ma Chao", "male",
     datetime(1980, 1, 1), "bachelor", "formal", "yes"],
    ["member", None, "91440403MA4W70007Y", None, None, None, None, None, None, None, "Lu Hua", "unknown",
     datetime(1980, 1, 1), "bachelor", "formal", "yes"],
    ["partner", "Someone", None],
]
ENGLISH_REJECTED = [
    "line 8: name: no organization named Nowhere Ltd in this file; give its credit_code or region_code",
    "line 9: gender: unknown gender 'unknown'; use one of f, female, m, male, 女, 男",
    "line 10: row_type: unknown row type 'partner'; use one of member, organization, 两新组织, 党员, 单位, 组织",
]


def write_chinese_csv(path: Path, encoding: str = "gb18030") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(["珠海市斗门区两新组织工作台帐（2026年）"])
        writer.writerow(CHINESE_HEADER)
        writer.writerows(CHINESE_ROWS)
    return path


def write_english_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(ENGLISH_HEADER)
    for row in ENGLISH_ROWS:
        sheet.append(row)
    book.create_sheet("notes").append(["name", "credit_code", "not read: only the first sheet is"])
    book.save(path)
    return path


@pytest.fixture
def app(database_url: str) -> Iterator[FormationApplication]:
    """The application on its own PostgreSQL schema, dropped afterwards."""
    schema = f"import_{uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    application = FormationApplication(env={**postgres_env(database_url), "POSTGRES_SCHEMA": schema})
    try:
        yield application
    finally:
        application.close()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class OneByOne:
    """The plain `Commands` protocol, as a binding without a batch path (the workflows) offers it."""

    def __init__(self, commands: ApplicationCommands) -> None:
        self.commands = commands

    def register(self, registration: Registration) -> UUID:
        return self.commands.register(registration)

    def step(self, org_id: UUID, step: Step) -> bool | None:
        return self.commands.step(org_id, step)

    def holder(self, credit_code: str) -> UUID | None:
        return self.commands.holder(credit_code)

    def form_joint_branch(
        self, name: str, org_ids: Sequence[UUID], party_org_type: PartyOrgType, reason: str, *,
        occurred_on: date | None = None, command_id: str | None = None,
    ) -> None:
        self.commands.form_joint_branch(name, org_ids, party_org_type, reason, occurred_on=occurred_on,
                                        command_id=command_id)


def run_import(app: FormationApplication, path: Path, batch: bool = True) -> ImportSummary:
    commands = ApplicationCommands(app, "importer", TODAY)
    return import_ledger(path, commands if batch else OneByOne(commands), TODAY)


def events(app: FormationApplication) -> int:
    return app.recorder.max_notification_id() or 0


def topics(app: FormationApplication) -> dict[str, int]:
    """Events in the store by their topic's class (`Organization.MemberAdded`), counted."""
    counted: dict[str, int] = {}
    for n in app.recorder.select_notifications(start=1, limit=10_000):
        name = n.topic.partition(":")[2]
        counted[name] = counted.get(name, 0) + 1
    return counted


class TestChineseCsv:
    @pytest.mark.parametrize("batch", [True, False], ids=["batch", "one_by_one"])
    def test_good_rows_become_cases_and_each_bad_row_gets_its_line_and_reason(
        self, app: FormationApplication, tmp_path: Path, batch: bool
    ) -> None:
        summary = run_import(app, write_chinese_csv(tmp_path / "台帐.csv"), batch)

        assert summary.report() == CHINESE_REJECTED
        assert (summary.rows, summary.registered, summary.members_added) == (16, 3, 4)
        assert summary.ignored_columns == ["序号", "备注"]
        firm = app.case(organization_id(ENTERPRISE, "", ""))
        assert (firm.name, firm.kind, firm.registered, firm.region_code, firm.industry, firm.employees,
                firm.above_scale, firm.founded_on) == ("斗门区井岸镇华盛电子有限公司", "economic", True,
                                                       "440403002001", "C", 120, True, date(2015, 3, 1))
        assert [(m.name, m.gender, m.birth_date, m.education, m.status.value, m.relation_transferred)
                for m in firm.members.values()] == [
            ("王芳", "female", date(1988, 5, 1), "bachelor", "formal", True),
            ("李强", "male", date(1962, 3, 15), "junior_middle", "formal", False),
        ]
        association = app.case(organization_id(ASSOCIATION, "", ""))
        assert (association.kind, association.registered) == ("social", True)  # inferred from the code's 5
        assert [(m.name, m.education) for m in association.members.values()] == [("赵伟", "postgraduate")]
        club = app.case(organization_id(None, "440403002002", "井岸镇新青社区老乡互助会"))
        assert (club.registered, club.credit_code, club.industry) == (False, None, "S")
        assert [(m.name, m.status.value, m.birth_date) for m in club.members.values()] == [
            ("陈静", "probationary", date(1975, 8, 1))]

    def test_importing_the_same_file_again_changes_nothing(self, app: FormationApplication, tmp_path: Path) -> None:
        path = write_chinese_csv(tmp_path / "台帐.csv")
        run_import(app, path)
        before = events(app)

        again = run_import(app, path)

        assert events(app) == before
        assert (again.registered, again.members_added) == (0, 0)
        assert (again.organizations_already_there, again.members_already_there) == (3, 4)
        assert again.report() == CHINESE_REJECTED

    def test_members_can_join_organizations_imported_before(self, app: FormationApplication, tmp_path: Path) -> None:
        run_import(app, write_chinese_csv(tmp_path / "台帐.csv"))
        later = tmp_path / "补充.csv"
        later.write_text("类型,统一社会信用代码,姓名,性别,出生日期,学历,党员类型,组织关系是否转入\n"
                         f"党员,{ENTERPRISE},刘洋,男,1985-10-01,大专,正式党员,是\n", encoding="utf-8")

        summary = run_import(app, later)

        assert (summary.members_added, summary.report()) == (1, [])
        members = app.case(organization_id(ENTERPRISE, "", "")).members.values()
        assert [m.name for m in members] == ["王芳", "李强", "刘洋"]


class TestBatches:
    @pytest.mark.parametrize("known_first", [True, False], ids=["known_case_first", "new_case_first"])
    def test_a_batch_mixing_known_and_new_organizations_registers_only_the_new(
        self, app: FormationApplication, tmp_path: Path, known_first: bool
    ) -> None:
        header = "单位名称,统一社会信用代码,区划代码,行业,从业人员数,成立日期,姓名,性别,出生日期,学历,党员类型,"\
                 "关系是否转入\n"
        known = f"斗门区井岸镇华盛电子有限公司,{ENTERPRISE},440403002001,C,120,2015-03-01,,,,,,\n"
        new = f"斗门区电子行业协会,{ASSOCIATION},440403002001,S,8,2018-05-01,,,,,,\n"
        member = f",{ASSOCIATION},,,,,赵伟,男,1990-01-01,硕士,正式党员,是\n"
        (tmp_path / "first.csv").write_text(header + known, encoding="utf-8")
        (tmp_path / "second.csv").write_text(header + (known + new if known_first else new + known) + member,
                                             encoding="utf-8")
        run_import(app, tmp_path / "first.csv")

        summary = run_import(app, tmp_path / "second.csv")

        assert (summary.registered, summary.organizations_already_there, summary.members_added) == (1, 1, 1)
        assert [m.name for m in app.case(organization_id(ASSOCIATION, "", "")).members.values()] == ["赵伟"]

    def test_a_batch_keeps_one_receipt_for_each_cases_member_rows_and_a_file_imported_again_adds_nobody(
        self, app: FormationApplication, tmp_path: Path
    ) -> None:
        path = write_chinese_csv(tmp_path / "台帐.csv")
        run_import(app, path)
        # Four members in three cases: one receipt a case for its rows, none a row (issue 19: they were 2.3 of
        # an imported case's 5.6 events); two of the cases claim their credit codes.
        assert topics(app) == {"Organization.Registered": 3, "Organization.MemberAdded": 4,
                               "BatchReceipt.Issued": 3, "CreditCodeClaim.Claimed": 2}
        with path.open("a", newline="", encoding="gb18030") as f:  # a row added to the file since
            csv.writer(f).writerow(["17", "党员", "", ENTERPRISE, "", "", "", "", "", "", "", "刘洋", "男",
                                    "1985-10-01", "大专", "正式党员", "是"])

        again = run_import(app, path)
        third = run_import(app, path)

        assert (again.members_added, again.members_already_there) == (1, 4)
        assert (third.members_added, third.members_already_there) == (0, 5)
        assert [m.name for m in app.case(organization_id(ENTERPRISE, "", "")).members.values()] == [
            "王芳", "李强", "刘洋"]


    def test_a_file_imported_again_asks_the_store_once_for_each_stored_case_and_its_batch_receipt(
        self, app: FormationApplication, tmp_path: Path
    ) -> None:
        """Issue 19 review: a case left out of a batch was looked up again to adopt its workflow and again to
        name it (`registered_case`), and a case registered alone had its missing batch receipt read again for
        each of its member rows."""
        path = write_chinese_csv(tmp_path / "台帐.csv")
        run_import(app, path, batch=False)  # registered one by one: no batch receipts
        adopted: list[UUID] = []
        commands = WorkflowCommands(_Adopting(adopted), app, "importer", TODAY,  # type: ignore[arg-type]
                                    asyncio.new_event_loop())
        cases = {organization_id(ENTERPRISE, "", ""), organization_id(ASSOCIATION, "", ""),
                 organization_id(None, "440403002002", "井岸镇新青社区老乡互助会")}
        reads: list[UUID] = []
        select_events = app.recorder.select_events

        def select(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:  # every read of the event store
            reads.append(originator_id)
            return select_events(originator_id, *args, **kwargs)

        app.recorder.select_events = select  # type: ignore[method-assign,assignment]
        try:
            again = import_ledger(path, commands, TODAY)
        finally:
            commands.loop.close()

        assert (again.organizations_already_there, again.members_already_there, again.registered) == (3, 4, 0)
        assert set(adopted) == cases  # each stored case's workflow is started (or found running)
        wanted = {batch_receipt_id(str(c)) for c in cases}
        assert sorted(i for i in reads if i in wanted) == sorted(wanted)  # once a case, not once a member row
        # The case without a credit code is asked for once, to leave it out of the batch: its id is its own.
        assert reads.count(organization_id(None, "440403002002", "井岸镇新青社区老乡互助会")) == 1


class _Adopting:
    """The workflows' side of `WorkflowCommands` for a re-import: which cases' workflows it would start."""

    def __init__(self, adopted: list[UUID]) -> None:
        self.adopted = adopted

    async def adopt(self, org_id: UUID, state: object = None) -> None:
        self.adopted.append(org_id)

    async def waiting_workflow_tasks(self) -> int:
        return 0


class TestCodesCorrectedAway:
    """A credit code corrected away from its case is free (issue 13 finding 9): imported, its real owner is a case
    of its own, with the id a registration through the API gives it (`registration_id`), and the rows naming the
    code reach the case that holds it now; a code another case was given by a correction is refused."""

    HEADER = ("单位名称,统一社会信用代码,区划代码,行业,从业人员数,成立日期,姓名,性别,出生日期,学历,党员类型,"
              "关系是否转入\n")
    OTHER = "91440403MA4W60001L"  # valid, another enterprise's
    WRONG = f"斗门区某五金厂,{ENTERPRISE},440403002001,C,30,2010-01-01,,,,,,\n"  # registered with the wrong code
    OWNER = f"斗门区井岸镇华盛电子有限公司,{ENTERPRISE},440403002001,C,120,2015-03-01,,,,,,\n"
    MEMBER = f",{ENTERPRISE},,,,,赵伟,男,1990-01-01,硕士,正式党员,是\n"

    def ledger(self, path: Path, *lines: str) -> Path:
        path.write_text(self.HEADER + "".join(lines), encoding="utf-8")
        return path

    @pytest.mark.parametrize("batch", [True, False], ids=["batch", "one_by_one"])
    def test_the_codes_owner_is_registered_with_its_members_and_the_corrected_case_is_left_alone(
        self, app: FormationApplication, tmp_path: Path, batch: bool
    ) -> None:
        """The import derived ids from the code alone: the owner was taken for the corrected case, skipped as
        already there, and its members were added to that other organization."""
        run_import(app, self.ledger(tmp_path / "first.csv", self.WRONG), batch)
        wrong = organization_id(ENTERPRISE, "", "")
        correct_code(app, wrong, self.OTHER)
        second = self.ledger(tmp_path / "second.csv", self.OWNER, self.MEMBER)

        summary = run_import(app, second, batch)

        assert (summary.registered, summary.organizations_already_there, summary.members_added,
                summary.report()) == (1, 0, 1, [])
        owner = app.holder(ENTERPRISE)
        assert owner is not None and owner != wrong
        assert owner == registered_id(ENTERPRISE, 1)  # the id a registration through the API gives it
        case = app.case(owner)
        assert (case.name, [m.name for m in case.members.values()]) == ("斗门区井岸镇华盛电子有限公司", ["赵伟"])
        assert (app.case(wrong).name, app.case(wrong).members) == ("斗门区某五金厂", {})
        before = events(app)
        again = run_import(app, second, batch)  # the same file again changes nothing
        assert (events(app), again.registered, again.organizations_already_there, again.members_already_there,
                again.report()) == (before, 0, 1, 1, [])
        later = run_import(app, self.ledger(tmp_path / "later.csv", self.MEMBER.replace("赵伟", "钱敏")), batch)
        assert (later.members_added, later.report()) == (1, [])
        assert [m.name for m in app.case(owner).members.values()] == ["赵伟", "钱敏"]
        assert app.case(wrong).members == {}

    @pytest.mark.parametrize("batch", [True, False], ids=["batch", "one_by_one"])
    def test_a_code_a_correction_gave_another_case_is_refused_naming_the_rule(
        self, app: FormationApplication, tmp_path: Path, batch: bool
    ) -> None:
        """The batch path only asked whether the code's first case existed: it registered a second holder."""
        first = self.ledger(tmp_path / "first.csv", self.OWNER.replace(ENTERPRISE, self.OTHER))
        run_import(app, first, batch)
        holder = organization_id(self.OTHER, "", "")
        correct_code(app, holder, ENTERPRISE)

        summary = run_import(app, self.ledger(tmp_path / "second.csv", self.WRONG, self.MEMBER), batch)

        assert summary.registered == 0
        assert [line.split(": ")[:2] for line in summary.report()] == [
            ["line 2", "credit_code_taken"], ["line 3", "organization"]]
        assert app.holder(ENTERPRISE) == holder and app.case(holder).members == {}


    def test_a_correction_that_found_the_code_free_before_the_batch_saved_it_is_refused(
        self, app: FormationApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The batch claims each case's code in its transaction, as a registration does (it claimed none)."""
        run_import(app, self.ledger(tmp_path / "first.csv", self.WRONG.replace(ENTERPRISE, self.OTHER)))
        other = organization_id(self.OTHER, "", "")
        checked = app._claimant

        def check_then_import(*read: Any) -> Any:
            found = checked(*read)
            monkeypatch.undo()
            assert run_import(app, self.ledger(tmp_path / "second.csv", self.OWNER)).registered == 1
            return found

        monkeypatch.setattr(app, "_claimant", check_then_import)
        with pytest.raises(RuleViolation) as refused:
            correct_code(app, other, ENTERPRISE)
        assert refused.value.rule == "credit_code_taken"
        assert (app.holder(ENTERPRISE), app.case(other).credit_code) == (organization_id(ENTERPRISE, "", ""),
                                                                         self.OTHER)


def correct_code(app: FormationApplication, org_id: UUID, code: str) -> None:
    app.perform(org_id, parse_action({"action": "correct_facts", "corrects": 1, "changes": {"credit_code": code}}),
                "importer", TODAY)


class TestEnglishXlsx:
    def test_good_rows_become_cases_and_each_bad_row_gets_its_line_and_reason(
        self, app: FormationApplication, tmp_path: Path
    ) -> None:
        summary = run_import(app, write_english_xlsx(tmp_path / "ledger.xlsx"))

        assert summary.report() == ENGLISH_REJECTED
        assert (summary.rows, summary.registered, summary.members_added) == (9, 3, 3)
        harbour = app.case(organization_id("91440403MA4W60001L", "", ""))
        assert (harbour.region_code, harbour.employees, harbour.above_scale, harbour.founded_on) == (
            "440403003001", 260, True, date(2009, 4, 1))  # a region code typed as a number still reads as digits
        assert [(m.name, m.status.value, m.relation_transferred) for m in harbour.members.values()] == [
            ("Li Ming", "formal", True), ("He Li", "probationary", False)]
        farm = app.case(organization_id(None, "440403003002", "Baijiao Sea Bass Farm"))
        assert [m.education for m in farm.members.values()] == ["primary_or_less"]

    def test_importing_the_same_file_again_changes_nothing(self, app: FormationApplication, tmp_path: Path) -> None:
        path = write_english_xlsx(tmp_path / "ledger.xlsx")
        run_import(app, path, batch=False)
        before = events(app)

        again = run_import(app, path, batch=False)

        assert (events(app), again.registered, again.members_added) == (before, 0, 0)
        assert (again.organizations_already_there, again.members_already_there) == (3, 3)


class TestReading:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_csv_encodings_excel_writes_read_the_same(self, tmp_path: Path, encoding: str) -> None:
        rows, ignored = read_ledger(write_chinese_csv(tmp_path / "台帐.csv", encoding))
        assert [line for line, _ in rows] == list(range(3, 19))
        assert rows[0][1]["name"] == "斗门区井岸镇华盛电子有限公司" and rows[0][1]["employees"] == "120"
        assert ignored == ["序号", "备注"]

    def test_a_file_without_a_known_header_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "other.csv"
        path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
        with pytest.raises(ValueError, match="no header row"):
            read_ledger(path)

    def test_progress_is_reported_every_n_rows_and_at_the_end(self, tmp_path: Path) -> None:
        seen: list[tuple[int, int]] = []
        import_ledger(write_chinese_csv(tmp_path / "台帐.csv"), OneByOne(ApplicationCommands(
            FormationApplication(), "importer", TODAY)), TODAY, progress=lambda d, t: seen.append((d, t)), every=5)
        assert seen == [(5, 16), (10, 16), (15, 16), (16, 16)]

    def test_the_format_document_names_every_header(self) -> None:
        doc = (Path(__file__).parents[1] / "docs" / "ledger-format.md").read_text(encoding="utf-8")
        missing = [h for name, aliases in COLUMNS.items() for h in (f"`{name}`", *aliases) if h not in doc]
        assert missing == []


def test_rows_can_come_in_any_order(tmp_path: Path) -> None:
    """Members before their organization's row are still added to it."""
    path = tmp_path / "order.csv"
    rows: Sequence[str] = ["姓名,统一社会信用代码,性别,出生日期,学历,党员类型,组织关系是否转入,单位名称,区划代码,行业,"
                           "从业人员数,成立日期",
                           f"黄海,{ENTERPRISE},男,1979-04-04,本科,正式党员,是,,,,,",
                           f",{ENTERPRISE},,,,,,斗门区井岸镇华盛电子有限公司,440403002001,C,60,2015-03-01"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = FormationApplication()
    summary = import_ledger(path, ApplicationCommands(app, "importer", TODAY), TODAY)
    assert (summary.registered, summary.members_added, summary.report()) == (1, 1, [])
    assert [m.name for m in app.case(organization_id(ENTERPRISE, "", "")).members.values()] == ["黄海"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [({"subtype": "律师事务所"}, ("social", "intermediary")), ({"kind": "社会团体"}, ("social", "social_association")),
     ({"kind": "企业", "subtype": "外商投资"}, ("economic", "foreign_invested")),
     ({"kind": "economic", "subtype": "individual"}, ("economic", "individual")),
     ({"subtype": "民办非企业单位"}, ("social", "private_non_enterprise")),
     ({"kind": "私营企业"}, ("economic", "private")),
     ({"kind": "企业"}, ("economic", "private")), ({"kind": "社会组织"}, ("social", "social_association"))],
)
def test_a_row_names_its_subtype_in_chinese_or_english(cells: dict[str, str], expected: tuple[str, str]) -> None:
    row = organization_row({"name": "某单位", "region_code": "440403002001", "industry": "L", "employees": "5",
                            "founded_on": "2015-03-01", **cells}, TODAY)
    assert isinstance(row, Registration) and (row.kind, row.subtype) == expected


def test_a_subtype_of_another_kind_is_refused_naming_the_column() -> None:
    row = organization_row({"name": "某单位", "kind": "企业", "subtype": "基金会", "region_code": "440403002001",
                            "industry": "L", "employees": "5", "founded_on": "2015-03-01"}, TODAY)
    assert isinstance(row, list) and [p.split(":")[0] for p in row] == ["subtype"]
    assert "单位性质" in COLUMNS["subtype"]


class TestIdNumbers:
    """Issue 18: the import takes ID numbers (Chinese and English headers) and refuses a bad one per row."""

    HEADER = "类型,单位名称,统一社会信用代码,区划代码,行业,从业人员数,成立日期,党员姓名,性别,出生年月,学历,党员类型,"\
             "组织关系是否转入,身份证号\n"
    LIU = "440403198503151230"  # born 1985-03-15
    CHEN = "440403199001010029"  # born 1990-01-01
    ROWS = (
        f"单位,斗门区某电器有限公司,{ENTERPRISE},440403002001,C,50,2015-03-01,,,,,,,",
        f"单位,斗门区某五金有限公司,{ASSOCIATION},440403002001,S,8,2018-05-01,,,,,,,",
        f"党员,,{ENTERPRISE},,,,,刘洋,男,1985.03,大专,正式党员,是,{LIU}",  # line 4: the day from the ID number
        f"党员,,{ENTERPRISE},,,,,陈红,女,1990-01-01,本科,正式党员,是,{CHEN[:17]}1",  # wrong check character
        f"党员,,{ENTERPRISE},,,,,陈洪,女,1990-01-02,本科,正式党员,是,{CHEN}",  # another birth date
        f"党员,,{ENTERPRISE},,,,,刘阳,男,1985-03-15,大专,正式党员,否,{LIU.lower()}",  # the same person again
        f"党员,,{ASSOCIATION},,,,,刘洋,男,,大专,正式党员,是,{LIU}",  # his relation is already in the first
    )
    REJECTED = (
        "line 5: id_number: citizen ID number has a wrong check character: 440403********0021 would end in 9 "
        "(ISO 7064 MOD 11-2)",
        "line 6: id_number: the citizen ID number 440403********0029 gives the birth date 1990-01-01, the record "
        "gives 1990-01-02: they must be the same",
        "line 7: person_recorded_twice: the citizen ID number 440403********1230 is already recorded in this "
        "organization, for P1",
        "line 8: relation_elsewhere: the organizational relation of P1 sits in another organization of the "
        "system: it is transferred in here only after it was transferred out there",
    )

    @pytest.mark.parametrize("batch", [True, False], ids=["batch", "one_by_one"])
    def test_id_numbers_are_imported_and_a_bad_one_is_refused_per_row_naming_the_field(
        self, app: FormationApplication, tmp_path: Path, batch: bool
    ) -> None:
        path = tmp_path / "台帐.csv"
        path.write_text(self.HEADER + "\n".join(self.ROWS) + "\n", encoding="utf-8")

        summary = run_import(app, path, batch)

        assert summary.report() == list(self.REJECTED)
        assert all(self.LIU not in line and self.CHEN not in line for line in summary.report())
        firm = app.case(organization_id(ENTERPRISE, "", ""))
        assert [(m.name, m.birth_date, m.id_number) for m in firm.members.values()] == [
            ("刘洋", date(1985, 3, 15), self.LIU)]
        assert app.case(organization_id(ASSOCIATION, "", "")).members == {}

    @pytest.mark.parametrize("header", ["公民身份号码", "身份证号", "id_number"])
    def test_the_id_number_column_is_read_under_its_names(self, tmp_path: Path, header: str) -> None:
        path = tmp_path / "ledger.csv"
        path.write_text(f"credit_code,member_name,{header}\n{ENTERPRISE},Liu Yang,{self.LIU}\n", encoding="utf-8")
        (_, cells), = read_ledger(path)[0]
        assert cells["id_number"] == self.LIU

    def test_an_id_number_typed_as_a_number_is_refused_with_what_to_do(self) -> None:
        cells = {"credit_code": ENTERPRISE, "member_name": "刘洋", "gender": "男", "education": "大专",
                 "member_status": "正式党员", "relation_transferred": "是", "id_number": float(self.LIU)}
        problems = member_row(cells, TODAY)
        assert isinstance(problems, list) and problems[0].startswith("id_number: a citizen ID number typed into a "
                                                                     "number cell has lost its last digits")
