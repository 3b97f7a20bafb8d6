"""The case list: organizers' work queues by filter, in pages that neither skip nor repeat a case."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from branchflow.domain.application import FormationApplication
from branchflow.domain.rules import Method, Stage
from branchflow.projections import CaseFilters, Projector, case_list
from tests.domain.cases import add_members, organization, stamp, with_formal_branch

from .conftest import save

STREET = "440403001"


@pytest.fixture
def cases(app: FormationApplication, projector: Projector) -> None:
    orgs = [
        with_formal_branch(organization(name="A formed", region_code=f"{STREET}001", employees=150)),
        organization(name="B large uncovered", region_code=f"{STREET}002", employees=150),
        organization(name="C just over 100", region_code=f"{STREET}002", employees=101),
        organization(name="D exactly 100", region_code=f"{STREET}003", employees=100),
        organization(name="E instructor", region_code=f"{STREET}003", employees=300),
        organization(name="F closed", region_code=f"{STREET}003", employees=500),
        organization(name="G elsewhere", region_code="440402001001", employees=150),
    ]
    orgs[4].assign_instructor("Instructor Li", stamp())
    orgs[5].close_case(stamp())
    add_members(orgs[3], 1)
    save(app, orgs)
    projector.catch_up()


def names(conn: psycopg.Connection[Any], page: int = 1, page_size: int = 50, **filters: Any) -> list[str]:
    return [c.name for c in case_list(conn, CaseFilters(**filters), page, page_size).items]


@pytest.mark.usefixtures("cases")
class TestWorkQueues:
    def test_over_100_employees_and_not_covered(self, conn: psycopg.Connection[Any]) -> None:
        queue = case_list(conn, CaseFilters(region=STREET, min_employees=101, organization_covered=False))
        assert [c.name for c in queue.items] == ["B large uncovered", "C just over 100", "E instructor", "F closed"]
        assert queue.total == 4
        assert names(conn, region=STREET, min_employees=101, organization_covered=False,
                     stage=Stage.NO_MEMBERS) == ["B large uncovered", "C just over 100"]

    def test_each_filter(self, conn: psycopg.Connection[Any]) -> None:
        assert names(conn, region=STREET, stage=Stage.CLOSED) == ["F closed"]
        assert names(conn, region=STREET, method=Method.DISPATCHED) == ["E instructor"]
        assert names(conn, region=STREET, formed=True) == ["A formed"]
        assert names(conn, region=STREET, work_covered=True) == ["A formed", "E instructor"]
        # an instructor covers the work, not the organization: E is still a blank spot (over 100)
        assert names(conn, region=STREET, blank_spot=True) == ["B large uncovered", "C just over 100",
                                                               "D exactly 100", "E instructor"]
        assert names(conn, region="4404", kind="social") == []
        assert len(names(conn, region="4404")) == 7
        assert names(conn, region=f"{STREET}003", overdue=False) == ["D exactly 100", "E instructor", "F closed"]

    def test_pages_are_stable_and_cover_every_case_once(self, conn: psycopg.Connection[Any]) -> None:
        pages = [case_list(conn, CaseFilters(region="4404"), page, 3) for page in (1, 2, 3)]
        assert [p.total for p in pages] == [7, 7, 7]
        seen = [c.name for p in pages for c in p.items]
        assert seen == names(conn, region="4404") and len(set(seen)) == 7
        assert seen[0] == "G elsewhere"  # region-code order: 440402... before 440403...

    def test_a_bad_page_is_refused(self, conn: psycopg.Connection[Any]) -> None:
        with pytest.raises(ValueError, match="page"):
            case_list(conn, CaseFilters(region="4404"), 0)
