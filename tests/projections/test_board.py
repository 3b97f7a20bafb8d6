"""The status board counts by domain.md "Counting", on cases whose right answer is known in advance."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from bench.synthetic import CityBuilder
from branchflow.domain.application import FormationApplication
from branchflow.domain.obligations import is_blank_spot, obligations, overdue
from branchflow.domain.organization import Organization
from branchflow.domain.records import JointBranchMembership
from branchflow.domain.rules import PartyOrgType, Stage, formed, organization_covered, stage, work_covered
from branchflow.domain.values import region_prefixes
from branchflow.projections import Projector, Scope, status_board
from branchflow.projections.board import region_counts
from tests.domain.cases import add_members, organization, stamp, with_formal_branch

from .conftest import projected, save

DOUMEN, XIANGZHOU = "440403", "440402"


def board(conn: psycopg.Connection[Any], region: str, **filters: Any) -> Any:
    return status_board(conn, Scope(region=region, **filters))


class TestTheSeedsFigures:
    def test_doumens_above_scale_enterprises_give_97_percent_formation_and_100_percent_coverage(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        enterprises = []
        for i in range(100):
            org = organization(region_code=f"{DOUMEN}{1 + i % 4:03d}{1 + i % 7:03d}", above_scale=True,
                               employees=60)
            if i < 97:
                with_formal_branch(org)
            else:
                org.assign_instructor("Instructor Wang", stamp())  # work-covered, not organization-covered
            enterprises.append(org)
        others = (
            [organization(region_code=f"{DOUMEN}001001") for _ in range(20)]  # not above scale
            + [organization(region_code=f"{DOUMEN}002001", kind="social", above_scale=True) for _ in range(5)]
            + [organization(region_code=f"{XIANGZHOU}001001", above_scale=True) for _ in range(10)]
        )
        save(app, enterprises + others)
        projector.catch_up()

        figures = board(conn, DOUMEN, kind="economic", above_scale=True)

        assert figures.total == 100 and figures.formed == 97 and figures.work_covered == 100
        assert figures.formation_rate == 0.97
        assert figures.coverage_rate == 1.0
        assert figures.organization_coverage_rate == 0.97
        assert figures.by_stage[Stage.FORMAL_BRANCH] == 97 and figures.by_stage[Stage.DEVELOPING_MEMBERS] == 3
        assert figures.blank_spots == 0  # an instructor means development is under way
        assert [c.region for c in figures.children] == [f"{DOUMEN}00{s}" for s in "1234"]
        assert sum(c.total for c in figures.children) == 100
        # without the filters the district's other 25 organizations count too
        assert board(conn, DOUMEN).total == 125

    def test_beijings_2649_communities_with_a_party_organization_and_122_without(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        street = "110105001"
        orgs = []
        for i in range(2649 + 122):
            org = organization(region_code=f"{street}{1 + i % 40:03d}")
            add_members(org, 1)
            if i < 2649:
                org.affiliate("Community party committee", stamp())
            orgs.append(org)
        save(app, orgs)
        projector.catch_up()

        figures = board(conn, "11")

        assert (figures.total, figures.organization_covered) == (2771, 2649)
        assert figures.organization_coverage_rate == 2649 / 2771
        assert figures.blank_spots == 122  # members and no party organization
        assert figures.formed == 0 and figures.formation_rate == 0.0
        assert [c.region for c in figures.children] == ["1101"]
        assert board(conn, street).children[0].total == 70  # 2771 cases over 40 communities, the first gets 70


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """Cases with every stage, blank spot and figure (see each test for the count by hand)."""
    street, other_street, xiangzhou = f"{DOUMEN}001", f"{DOUMEN}002", f"{XIANGZHOU}001"
    orgs = {
        "formed": with_formal_branch(organization(region_code=f"{street}001", founded_on=date(2019, 5, 1))),
        "temporary": organization(region_code=f"{street}001", registered=False, kind="social"),
        "affiliated": organization(region_code=f"{street}002", industry="F"),
        "instructor": organization(region_code=f"{street}002", employees=60, above_scale=True),
        "nothing": organization(region_code=f"{street}003"),
        "members_only": organization(region_code=f"{street}003", industry="F"),
        "closed_formed": with_formal_branch(organization(region_code=f"{street}003")),
        "large_uncovered": organization(region_code=f"{other_street}001", employees=120, above_scale=True),
        "joint_a": organization(region_code=f"{street}004"),
        "joint_b": organization(region_code=f"{street}005"),
        "xiangzhou_formed": with_formal_branch(organization(region_code=f"{xiangzhou}001")),
        "xiangzhou_closed": organization(region_code=f"{xiangzhou}002"),
        "guangzhou": organization(region_code="440103001001"),
    }
    add_members(orgs["temporary"], 3, transferred=False)
    orgs["temporary"].establish_temporary_branch("Temporary branch", stamp())
    add_members(orgs["affiliated"], 1)
    orgs["affiliated"].affiliate("Village branch", stamp())
    orgs["instructor"].assign_instructor("Instructor Li", stamp())
    add_members(orgs["members_only"], 1)
    orgs["closed_formed"].close_case(stamp())
    orgs["xiangzhou_closed"].close_case(stamp())
    due = next(o for o in obligations(orgs["large_uncovered"]) if o.rule == "party_organization_required")
    assert due.due_on is not None
    orgs["large_uncovered"].escalate(due.rule, due.subject, due.due_on, stamp(actor="system"))
    joint = JointBranchMembership("joint-1", "Joint branch", PartyOrgType.BRANCH, date(2024, 3, 1),
                                  [str(orgs["joint_a"].id), str(orgs["joint_b"].id)])
    for name in ("joint_a", "joint_b"):
        add_members(orgs[name], 2)
        orgs[name].join_joint_branch(joint, stamp())
    yield from projected(database_url, orgs.values())


class TestCounting:
    @pytest.fixture
    def conn(self, city: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
        return city

    def test_a_city_counts_open_cases_by_stage_and_coverage_and_leaves_closed_ones_out_of_every_rate(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        figures = board(conn, "4404")

        # Open: formed, temporary, affiliated, instructor, nothing, members_only, large_uncovered, joint_a,
        # joint_b, xiangzhou_formed = 10; closed: closed_formed, xiangzhou_closed (in by_stage only).
        assert figures.total == 10
        assert figures.by_stage == {Stage.NO_MEMBERS: 2, Stage.DEVELOPING_MEMBERS: 3, Stage.TEMPORARY_BRANCH: 1,
                                    Stage.FORMAL_BRANCH: 4, Stage.CLOSED: 2}
        assert (figures.formed, figures.organization_covered, figures.work_covered) == (4, 6, 7)
        assert (figures.formation_rate, figures.organization_coverage_rate, figures.coverage_rate) == (0.4, 0.6, 0.7)
        assert figures.blank_spots == 2  # members_only (members, no organization), large_uncovered (>100)
        assert figures.overdue == 1  # large_uncovered's escalated deadline still stands

    def test_a_city_sees_its_districts_and_a_district_its_streets_and_the_children_add_up(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        figures = board(conn, "4404")
        xiangzhou, doumen = figures.children
        assert (xiangzhou.region, xiangzhou.total, xiangzhou.by_stage[Stage.CLOSED]) == (XIANGZHOU, 1, 1)
        assert xiangzhou.formation_rate == 1.0
        assert (doumen.region, doumen.total, doumen.formed, doumen.blank_spots, doumen.overdue) == (DOUMEN, 9, 3, 2, 1)
        for name in ("total", "formed", "organization_covered", "work_covered", "blank_spots", "overdue"):
            assert getattr(figures, name) == sum(getattr(c, name) for c in figures.children)

        streets = board(conn, DOUMEN).children
        assert [(s.region, s.total) for s in streets] == [(f"{DOUMEN}001", 8), (f"{DOUMEN}002", 1)]
        communities = board(conn, f"{DOUMEN}001").children
        assert [(c.region[-3:], c.total, c.by_stage[Stage.CLOSED]) for c in communities] == [
            ("001", 2, 0), ("002", 2, 0), ("003", 2, 1), ("004", 1, 0), ("005", 1, 0)]
        community = board(conn, f"{DOUMEN}001003")
        assert community.children == [] and community.total == 2

    def test_a_region_whose_cases_are_all_closed_has_no_rates(
        self, conn: psycopg.Connection[Any]
    ) -> None:
        figures = board(conn, f"{XIANGZHOU}001002")
        assert figures.total == 0 and figures.by_stage[Stage.CLOSED] == 1
        assert figures.formation_rate is None and figures.organization_coverage_rate is None
        assert figures.coverage_rate is None
        empty = board(conn, "4405")
        assert empty.total == 0 and empty.children == [] and empty.coverage_rate is None

    def test_filters_narrow_every_figure(self, conn: psycopg.Connection[Any]) -> None:
        assert board(conn, "4404", kind="social").total == 1  # the temporary branch
        assert board(conn, "4404", registered=False).by_stage[Stage.TEMPORARY_BRANCH] == 1
        industry_f = board(conn, "4404", industry="F")  # affiliated, members_only
        assert (industry_f.total, industry_f.organization_covered, industry_f.blank_spots) == (2, 1, 1)
        above = board(conn, "4404", above_scale=True)  # instructor, large_uncovered
        assert (above.total, above.work_covered, above.coverage_rate) == (2, 1, 0.5)
        founded_2019 = board(conn, "4404", founded_year=2019)  # the default founding is in 2015
        assert (founded_2019.total, founded_2019.formed) == (1, 1)
        assert [c.region for c in founded_2019.children] == [DOUMEN]
        assert board(conn, DOUMEN, kind="economic", industry="F", above_scale=False).total == 2


class TestAnyRegionAndFilter:
    def test_the_board_equals_a_count_by_hand_of_the_same_aggregates(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        orgs = [org for batch in CityBuilder(seed=7).batches(400) for org in batch]
        save(app, orgs)
        projector.catch_up()
        rng = random.Random(3)
        regions = sorted({p for org in orgs for p in region_prefixes(org.region_code)})
        choices: list[dict[str, Any]] = [{}, {"kind": "economic"}, {"above_scale": True}, {"industry": "C"},
                                         {"registered": False}, {"founded_year": 2010},
                                         {"kind": "social", "above_scale": False}, {"subtype": "private"},
                                         {"kind": "social", "subtype": "foundation"}]
        for region in [*rng.sample(regions, 40), "44", "4404"]:
            filters = rng.choice(choices)
            scope = Scope(region=region, **filters)
            assert board(conn, region, **filters).model_dump(
                exclude={"children", "region", "region_name", "by_industry", "by_committee"}) == _by_hand(orgs, scope)
            by_industry = status_board(conn, scope, by_industry=True).by_industry or {}
            for section, figures in by_industry.items():  # the second axis: each section as a filter would count
                narrowed = scope.model_copy(update={"industry": section})
                assert figures.model_dump(exclude={"region", "region_name"}) == _by_hand(orgs, narrowed)
            assert sum(f.total for f in by_industry.values()) == _by_hand(orgs, scope)["total"]
            length = min(len(region) + 3, 12) if len(region) >= 6 else len(region) + 2
            assert region_counts(conn, scope, length) == region_counts(conn, scope, length, source="rows")


def _by_hand(orgs: list[Organization], scope: Scope) -> dict[str, Any]:
    """domain.md "Counting", applied to the aggregates with the domain's own rules."""
    chosen = [
        o for o in orgs if o.region_code.startswith(scope.region)
        and all(getattr(scope, f) in (None, getattr(o, f))
                for f in ("kind", "subtype", "industry", "above_scale", "registered"))
        and scope.founded_year in (None, o.founded_on.year)
    ]
    open_cases = [o for o in chosen if o.closed_on is None]
    total = len(open_cases)
    counts = {
        "formed": sum(formed(o) for o in open_cases),
        "organization_covered": sum(organization_covered(o) for o in open_cases),
        "work_covered": sum(work_covered(o) for o in open_cases),
        "responsibility_covered": sum(o.responsible_committee is not None for o in open_cases),
    }
    return {
        "total": total,
        "by_stage": {s: sum(stage(o) is s for o in chosen) for s in Stage},
        **counts,
        "formation_rate": counts["formed"] / total if total else None,
        "organization_coverage_rate": counts["organization_covered"] / total if total else None,
        "coverage_rate": counts["work_covered"] / total if total else None,
        "blank_spots": sum(is_blank_spot(o) for o in open_cases),
        "overdue": sum(bool(overdue(o)) for o in open_cases),
        "responsibility_rate": counts["responsibility_covered"] / total if total else None,
        "responsibility_blank_spots": total - counts["responsibility_covered"],
    }
