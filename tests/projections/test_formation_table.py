"""The statistics table (建立党的基层组织情况): a small street of known subtypes and stages, every cell checked
today and as of two past year-ends; the seed's Doumen figures in it; as-of rows equal to a replay by hand."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from branchflow.domain.actions import FIVE_GOODS, TEN_HAVES
from branchflow.domain.application import FormationApplication
from branchflow.domain.errors import DomainError
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import SEED_THRESHOLDS, PartyOrgType
from branchflow.domain.stamp import Stamp
from branchflow.domain.values import SUBTYPES
from branchflow.projections import Projector, Scope, statistics, status_board
from branchflow.projections.as_of import EventSource, replayed_rows, rows_as_of
from branchflow.projections.formation_table import FIGURES, TableFigures, table_figures
from branchflow.projections.rows import case_row, values
from branchflow.projections.schema import CASES, CASES_AS_OF
from tests.domain.cases import organization, stamp
from tests.domain.test_formation_table import backdated_history

from .conftest import fresh_schema, projected, reader, save
from .test_statistics import doumen

STREET = "440403001"
END_2023, END_2024 = date(2023, 12, 31), date(2024, 12, 31)


def on(day: str, reason: str = "", actor: str = "organizer-1") -> Any:
    return stamp(date.fromisoformat(day), reason=reason, actor=actor)


def add(org: Organization, n: int, day: str, *, transferred: bool = True, status: str = "formal") -> None:
    for _ in range(n):
        org.add_member(f"Member {org.people_count + 1}", "female", date(1985, 1, 1), "bachelor", MemberStatus(status),
                       transferred, on(day))


def street() -> dict[str, Organization]:
    """Seven organizations whose every figure is known on 2023-12-31, 2024-12-31 and today (2025)."""
    def new(subtype: str, registered_on: str, **facts: Any) -> Organization:
        kind = next(k for k, subtypes in SUBTYPES.items() if subtype in subtypes)
        return organization(on=date.fromisoformat(registered_on), kind=kind, subtype=subtype,
                            region_code=f"{STREET}001", founded_on=date(2022, 1, 1), **facts)

    private = new("private", "2023-03-01", employees=120)  # uncovered with 3 members, then a branch of its own
    add(private, 3, "2023-05-01")
    private.request_formal_branch("Branch", PartyOrgType.BRANCH, on("2024-03-01"))
    private.approve_formal_branch(PartyOrgType.BRANCH, on("2024-04-01", actor="supervisor-1"))
    private.form_youth_league(on("2024-06-01"))
    private.rate_five_goods(dict.fromkeys(FIVE_GOODS, True), on("2024-09-01"))

    individual = new("individual", "2023-06-01", registered=False, employees=8)  # one member, relation elsewhere
    add(individual, 1, "2023-06-01", transferred=False)
    individual.affiliate("Village branch", on("2024-02-01"))
    # Recorded now, correcting the registration: what is known now counts for every date.
    individual.correct_facts(1, {"employees": 12}, on("2025-05-01", reason="counted again"))

    foreign = new("foreign_invested", "2024-02-01", employees=150)  # over 100, no members, an instructor
    foreign.assign_instructor("Instructor Li", on("2024-05-01"))

    law_firm = new("intermediary", "2023-01-10", registered=False, employees=20)  # a temporary branch
    add(law_firm, 3, "2023-02-01", transferred=False)
    law_firm.establish_temporary_branch("Temporary branch", on("2023-03-01"))
    law_firm.check_ten_haves(dict.fromkeys(TEN_HAVES, True), on("2023-06-01"))

    association, chamber = new("social_association", "2023-02-01"), new("trade_association", "2023-02-01")
    add(association, 2, "2023-04-01")
    add(chamber, 1, "2023-04-01", status="probationary")
    joint = JointBranchMembership("J1", "Joint branch", PartyOrgType.BRANCH, date(2024, 7, 1),
                                  [str(association.id), str(chamber.id)])
    for org in (association, chamber):
        org.join_joint_branch(joint, on("2024-07-01"))

    closed = new("private", "2023-01-01", employees=60)
    closed.close_case(on("2024-10-01"))
    return {"private": private, "individual": individual, "foreign": foreign, "law_firm": law_firm,
            "association": association, "chamber": chamber, "closed": closed}


# The counts by hand, per (kind, subtype) row: the cells not named are 0.
BY_HAND: dict[date | None, dict[tuple[str, str], dict[str, int]]] = {
    END_2023: {
        ("economic", "private"): {"organizations": 2, "should_have_none": 1, "should_have_none_3_plus": 1,
                                  "employees": 180, "members": 3},
        ("economic", "individual"): {"organizations": 1, "should_have_none": 1, "should_have_none_1_2": 1,
                                     "employees": 12, "members": 1, "members_not_transferred": 1},
        ("social", "intermediary"): {"organizations": 1, "temporary": 1, "employees": 20, "members": 3,
                                     "members_not_transferred": 3, "ten_haves_complete": 1},
        ("social", "social_association"): {"organizations": 1, "should_have_none": 1, "should_have_none_1_2": 1,
                                           "employees": 10, "members": 2},
        ("social", "trade_association"): {"organizations": 1, "should_have_none": 1, "should_have_none_1_2": 1,
                                          "employees": 10, "members": 1},
    },
    END_2024: {
        ("economic", "private"): {"organizations": 1, "branch": 1, "employees": 120, "members": 3,
                                  "youth_league": 1, "five_goods": 1},
        ("economic", "individual"): {"organizations": 1, "affiliated": 1, "employees": 12, "members": 1,
                                     "members_not_transferred": 1},
        ("economic", "foreign_invested"): {"organizations": 1, "should_have_none": 1,
                                           "should_have_none_no_members": 1, "instructor": 1, "employees": 150},
        ("social", "intermediary"): {"organizations": 1, "temporary": 1, "employees": 20, "members": 3,
                                     "members_not_transferred": 3, "ten_haves_complete": 1},
        ("social", "social_association"): {"organizations": 1, "joint_organizations": 1, "joint_branches": 1,
                                           "employees": 10, "members": 2},
        ("social", "trade_association"): {"organizations": 1, "joint_organizations": 1, "joint_branches": 1,
                                          "employees": 10, "members": 1},
    },
}
BY_HAND[None] = BY_HAND[END_2024]  # nothing that changes a figure happened in 2025 (the correction is of 2023)
# Joint branches count once, however many subtypes they span.
JOINT_BRANCHES = {END_2023: {"social": 0, None: 0}, END_2024: {"social": 1, None: 1}, None: {"social": 1, None: 1}}


def expected_rows(day: date | None) -> list[dict[str, Any]]:
    cells = BY_HAND[day]
    rows = []
    for kind, subtypes in SUBTYPES.items():
        parts = [dict.fromkeys(FIGURES, 0) | cells.get((kind, s), {}) for s in subtypes]
        total = {name: sum(p[name] for p in parts) for name in FIGURES}
        total["joint_branches"] = JOINT_BRANCHES[day].get(kind, 0)
        rows.append({"kind": kind, "subtype": None, **total})
        rows += [{"kind": kind, "subtype": s, **p} for s, p in zip(subtypes, parts, strict=True)]
    return rows


@pytest.fixture(scope="module")
def projected_street(database_url: str) -> Iterator[tuple[Any, dict[str, Organization]]]:
    orgs = street()
    with fresh_schema(database_url) as settings:
        app = FormationApplication(settings)
        runner = Projector(app=app)
        try:
            save(app, orgs.values())
            runner.catch_up()
            with reader(database_url, settings) as conn:
                yield conn, orgs
        finally:
            runner.close()
            app.close()


def figures_on(conn: psycopg.Connection[Any], day: date | None, region: str = STREET) -> TableFigures:
    if day is None:
        return table_figures(conn, Scope(region=region), date(2025, 6, 30))
    with rows_as_of(conn, day) as past:
        return table_figures(conn, Scope(region=region), day, cases=past.cases)


@pytest.mark.parametrize("day", [END_2023, END_2024, None], ids=["2023-12-31", "2024-12-31", "today"])
def test_every_cell_is_the_count_by_hand(projected_street: Any, day: date | None) -> None:
    conn, _ = projected_street
    table = figures_on(conn, day)
    found = [{"kind": r.kind, "subtype": r.subtype, **r.figures()} for r in table.rows]
    differences = [(f["kind"], f["subtype"], name, f[name], e[name])
                   for f, e in zip(found, expected_rows(day), strict=True) for name in f if f[name] != e[name]]
    assert differences == []
    grand = {name: sum(r[name] for r in expected_rows(day) if r["subtype"] is None) for name in FIGURES}
    assert table.total.figures() == grand | {"joint_branches": JOINT_BRANCHES[day][None]}
    assert (table.total.kind, table.total.subtype) == (None, None)


def test_todays_table_from_the_summary_rows_equals_a_count_of_the_cases_rows(projected_street: Any) -> None:
    conn, _ = projected_street
    for scope in (Scope(region=STREET), Scope(region=STREET, kind="social"),
                  Scope(region=STREET[:6], subtype="private"), Scope(region=STREET[:4], registered=False)):
        summed = table_figures(conn, scope, date(2025, 6, 30))
        assert summed == table_figures(conn, scope, date(2025, 6, 30), source="rows"), scope
        assert summed.total.organizations > 0


def test_the_board_the_statistics_and_the_ledger_read_the_past_the_same_way(projected_street: Any) -> None:
    conn, _ = projected_street
    with rows_as_of(conn, END_2023) as past:
        board = status_board(conn, Scope(region=STREET), past.cases)
        stats = statistics(conn, Scope(region=STREET), END_2023, past.cases, past.members)
    assert board.total == 6 and board.formed == 0 and board.organization_covered == 1  # the temporary branch
    assert stats.party_organizations.temporary == 1 and stats.party_organizations.branch == 0
    assert (stats.members.total, stats.members.not_transferred) == (10, 4)
    today = statistics(conn, Scope(region=STREET), date(2025, 6, 30))
    assert today.party_organizations.branch == 1 and today.party_organizations.joint == 1
    assert (today.members.total, today.members.not_transferred) == (10, 4)
    social = statistics(conn, Scope(region=STREET, kind="social"), date(2025, 6, 30))  # the board's filters
    assert (social.members.total, social.party_organizations.joint, social.party_organizations.branch) == (6, 1, 0)


def test_a_case_registered_after_the_date_is_not_in_its_table(projected_street: Any) -> None:
    conn, orgs = projected_street
    with rows_as_of(conn, date(2024, 1, 31)) as past:
        ids = {r[0] for r in conn.execute(f"SELECT id FROM {past.cases}").fetchall()}
    assert orgs["foreign"].id not in ids and orgs["private"].id in ids


def test_a_joint_branch_whose_members_all_left_counts_as_no_joint_branch(database_url: str) -> None:
    """domain.md "Party organizations that lose their members": a joint branch whose organizations have no
    formal member left is not formed for any of them; the table counted it among the joint branches while
    none of its organizations counted as a joint organization (review finding F2)."""
    first, second = (organization(on=date(2023, 1, 1), region_code=f"{STREET}002", name=f"Neighbour {i}")
                     for i in range(2))
    for org in (first, second):
        add(org, 2, "2023-02-01")
    joint = JointBranchMembership("J9", "Joint branch", PartyOrgType.BRANCH, date(2024, 7, 1),
                                  [str(first.id), str(second.id)])
    for org in (first, second):
        org.join_joint_branch(joint, on("2024-07-01"))
    for org in (first, second):
        for member in list(org.members):
            org.transfer_out(member, on("2025-03-01"))
    for org in (first, second):
        org.recount_joint_branch(0, [str(first.id), str(second.id)], on("2025-03-01"))
    with fresh_schema(database_url) as settings:
        app = FormationApplication(settings)
        runner = Projector(app=app)
        try:
            save(app, [first, second])
            runner.catch_up()
            with reader(database_url, settings) as conn:
                for day in (date(2024, 12, 31), None):
                    for source in ("auto", "rows"):
                        if day is None:
                            total = table_figures(conn, Scope(region=STREET), date(2025, 6, 30), source=source).total
                        else:
                            with rows_as_of(conn, day) as past:
                                total = table_figures(conn, Scope(region=STREET), day, cases=past.cases).total
                        expected = (2, 1) if day is not None else (0, 0)
                        assert (total.joint_organizations, total.joint_branches) == expected, (day, source)
                # The statistics' joint party organizations likewise, from the summaries and from the rows.
                assert statistics(conn, Scope(region=STREET), date(2025, 6, 30)).party_organizations.joint == 0
                assert statistics(conn, Scope(region=STREET, kind="economic"),
                                  date(2025, 6, 30)).party_organizations.joint == 0
                with rows_as_of(conn, date(2024, 12, 31)) as past:
                    assert statistics(conn, Scope(region=STREET), date(2024, 12, 31), past.cases,
                                      past.members).party_organizations.joint == 1
        finally:
            runner.close()
            app.close()


def test_group_by_committee_gives_a_row_per_responsible_committee(projected_street: Any) -> None:
    conn, _ = projected_street
    table = table_figures(conn, Scope(region=STREET), date(2025, 6, 30), "committee", CASES)
    assert [(r.responsible_committee, r.organizations) for r in table.rows] == [(None, 6)]
    assert table.total.organizations == 6


def test_doumens_seed_figures_are_in_the_table(database_url: str) -> None:
    for conn in projected(database_url, doumen()):
        total = table_figures(conn, Scope(region="440403"), date(2025, 6, 30)).total
        assert (total.committee, total.general_branch, total.branch, total.members) == (10, 9, 193, 1566)


# --- as of any date: the rows replayed from the store equal the rows the case had on that day -----------


def random_history(rng: random.Random, serial: int) -> tuple[Organization, list[tuple[date, tuple[Any, ...]]]]:
    """A case stepped through random steps on non-decreasing dates; after each step, its row then."""
    day = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 400))
    org = organization(on=day, region_code=f"{STREET}{rng.randrange(1, 4):03d}", founded_on=date(2019, 1, 1),
                       employees=rng.choice([5, 60, 150]), name=f"Random {serial}")
    seen = [(day, values(case_row(org, SEED_THRESHOLDS)))]
    verbs: list[Callable[[Stamp], object]] = [
        lambda s: org.add_member(f"Member {org.people_count}", "male", date(1980, 1, 1), "bachelor",
                                 rng.choice([MemberStatus.FORMAL, MemberStatus.PROBATIONARY]), rng.random() < 0.6, s),
        lambda s: org.transfer_in(rng.choice([m.id for m in org.members.values()] or ["P0"]), s),
        lambda s: org.transfer_out(rng.choice([m.id for m in org.members.values()] or ["P0"]), s),
        lambda s: org.assign_instructor("Li", s), lambda s: org.withdraw_instructor(s),
        lambda s: org.report_headcount(rng.choice([10, 80, 200]), False, s),
        lambda s: org.affiliate("Village", s), lambda s: org.establish_temporary_branch("Temp", s),
        lambda s: org.request_formal_branch("Branch", None, s),
        lambda s: org.approve_formal_branch(None, s), lambda s: org.dissolve_branch(s),
        lambda s: org.close_case(s) if rng.random() < 0.2 else None,
    ]
    for _ in range(rng.randrange(0, 12)):
        day += timedelta(days=rng.choice([0, 1, 30, 200]))
        try:
            rng.choice(verbs)(stamp(day))
        except (DomainError, KeyError):
            continue
        seen.append((day, values(case_row(org, SEED_THRESHOLDS))))
    return org, seen


def test_rows_as_of_any_date_equal_the_rows_the_cases_had_then(database_url: str) -> None:
    """The periods' rows as of a date equal the rows each case had after that day's last step (cases stepped
    in date order) and a replay of every case's events up to the day (also cases stepped out of date order,
    with corrections of earlier facts): the case rows and the member rows, projected page by page."""
    rng = random.Random(15)
    histories = [random_history(rng, i) for i in range(60)]
    backdated = [backdated_history(rng, i) for i in range(40)]
    days = sorted({date(2020, 1, 1) + timedelta(days=rng.randrange(0, 1600)) for _ in range(8)})
    with fresh_schema(database_url) as settings:
        app = FormationApplication(settings)
        runner = Projector(app=app, page_size=7)  # cases cut across pages: periods continued, and recomputed
        try:
            assert app.thresholds == SEED_THRESHOLDS
            save(app, [org for org, _ in histories] + backdated, per_save=3)
            runner.catch_up()
            with reader(database_url, settings) as conn:
                for day in days:
                    # The row after the day's last step, for each case registered by then.
                    expected = sorted(then[-1] for then in ([row for d, row in seen if d <= day]
                                                            for _, seen in histories) if then)
                    with rows_as_of(conn, day) as past:
                        found = {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}").fetchall())
                                 for t in (past.cases, past.members)}
                    with replayed_rows(conn, EventSource.of(app), "", day) as past:
                        replayed = {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}").fetchall())
                                    for t in (past.cases, past.members)}
                    assert list(found.values()) == list(replayed.values()), day
                    mine = {o.id for o, _ in histories}
                    assert [r for r in found[CASES_AS_OF] if r[0] in mine] == expected, day
                    assert len(expected) > 0 or day < date(2020, 2, 1)
        finally:
            runner.close()
            app.close()
