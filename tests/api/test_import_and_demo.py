"""`branchflow import` and `branchflow demo` as commands, against the running stack, seen through the API."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from branchflow.api.intake.ledger_import import import_ledger
from branchflow.api.intake.targets import ApplicationCommands
from branchflow.api.users import Role
from branchflow.domain.application import FormationApplication
from branchflow.runtime.postgres import postgres_env
from tests.api.conftest import Stack

HEADER = ["类型", "单位名称", "统一社会信用代码", "单位类型", "是否登记", "区划代码", "行业", "从业人员数",
          "是否规模以上", "成立日期", "党员姓名", "性别", "出生年月", "学历", "党员类型", "组织关系是否转入"]
STREET = "440403107"
ROWS = [
    ["单位", "井岸镇华盛电子有限公司", "91440403MA4W12345X", "企业", "是", f"{STREET}001", "C 制造业", "120", "是",
     "2015/3/1", "", "", "", "", "", ""],
    ["单位", "井岸镇坏码电子有限公司", "91440403MA4W12345T", "企业", "是", f"{STREET}001", "C", "30", "否",
     "2016/3/1", "", "", "", "", "", ""],
    ["单位", "新青社区老乡互助会", "", "社会组织", "否", f"{STREET}002", "S", "12", "否", "2019年5月1日",
     "", "", "", "", "", ""],
    ["党员", "", "91440403MA4W12345X", "", "", "", "", "", "", "",
     "王芳", "女", "1988.05", "大学本科", "正式党员", "是"],
    ["党员", "新青社区老乡互助会", "", "", "", "", "", "", "", "",
     "李强", "男", "1962-03-15", "初中", "正式党员", "否"],
    ["单位", "负数人数公司", "", "企业", "否", f"{STREET}003", "C", "-3", "否", "2020-01-01", "", "", "", "", "", ""],
]


def test_an_import_reports_bad_rows_by_line_and_a_second_import_changes_nothing(stack: Stack, tmp_path: Path) -> None:
    ledger = tmp_path / "台帐.csv"
    with ledger.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, *ROWS])
    first = stack.cli("import", str(ledger))
    assert first.returncode == 0, first.stderr
    rejected = [line for line in first.stdout.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in rejected] == ["line 3", "line 7"]
    assert "credit_code" in rejected[0] and "employees" in rejected[1]

    supervisor = stack.token(Role.SUPERVISOR, STREET)
    stack.projected(supervisor)
    with stack.client(supervisor) as api:
        cases = api.get("/organizations", params={"region": STREET}).json()
        assert cases["total"] == 2
        by_name = {c["name"]: c for c in cases["items"]}
        assert by_name["井岸镇华盛电子有限公司"]["formal_members"] == 1
        events = {c["id"]: len(api.get(f"/organizations/{c['id']}/history").json()) for c in cases["items"]}

        again = stack.cli("import", str(ledger))
        assert again.returncode == 0, again.stderr
        assert "0 organizations registered, 0 members added" in again.stdout
        assert {i: len(api.get(f"/organizations/{i}/history").json()) for i in events} == events
        # The imported cases have their workflows: a step goes through as through the API.
        step = api.post(f"/organizations/{next(iter(events))}/actions",
                        json={"action": "assign_instructor", "name": "陈指导员"})
        assert step.status_code == 200, step.text


def test_the_demo_fills_a_district_with_cases_at_every_stage(stack: Stack) -> None:
    done = stack.cli("demo", "--size", "60", "--seed", "7")
    assert done.returncode == 0, done.stderr
    assert "0 refused" in done.stdout
    supervisor = stack.token(Role.SUPERVISOR, "440403")
    stack.projected(supervisor)
    with stack.client(supervisor) as api:
        board = api.get("/boards/status", params={"region": "440403"}).json()
        assert all(board["by_stage"][stage] > 0 for stage in
                   ("NO_MEMBERS", "DEVELOPING_MEMBERS", "TEMPORARY_BRANCH", "FORMAL_BRANCH"))
        assert len(board["children"]) >= 3
        # The demo ships its streets' names (and their committees, each case's responsible committee).
        named = {c["region"]: c["region_name"] for c in board["children"]}
        assert [named.get(f"440403{s:03d}") for s in range(1, 7)] == [
            "白藤街道", "井岸镇", "白蕉镇", "斗门镇", "乾务镇", "莲洲镇"]
        committees = api.get("/boards/status", params={"region": "440403002", "group_by": "committee"}).json()
        assert [(c["committee"], c["committee_name"]) for c in committees["by_committee"]] == [
            ("DM-002", "中共斗门区井岸镇委员会")]


def test_an_import_stopped_before_its_workflows_started_finishes_when_run_again(stack: Stack, tmp_path: Path) -> None:
    ledger = tmp_path / "台帐.csv"
    with ledger.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, [
            "单位", "斗门镇停电科技有限公司", "", "企业", "否", f"{STREET}004", "C", "60", "否", "2018-06-01",
            "", "", "", "", "", ""]])
    # The batch committed to the event store, then the import stopped: no workflow was started.
    app = FormationApplication(postgres_env(stack.database_url))
    try:
        assert import_ledger(ledger, ApplicationCommands(app, "import", date.today()), date.today()).registered == 1
    finally:
        app.close()
    again = stack.cli("import", str(ledger))
    assert again.returncode == 0, again.stderr
    assert "0 organizations registered" in again.stdout
    organizer = stack.token(Role.ORGANIZER, STREET)
    stack.projected(organizer)
    with stack.client(organizer) as api:
        [case] = api.get("/organizations", params={"region": f"{STREET}004"}).json()["items"]
        instructor = {"action": "assign_instructor", "name": "陈指导员"}
        step = api.post(f"/organizations/{case['id']}/actions", json=instructor)
        assert step.status_code == 200, step.text
