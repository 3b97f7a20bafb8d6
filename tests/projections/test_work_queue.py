"""The work queue equals what the cases' own obligations say, over the demo district, and keeps its order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from branchflow.api.intake.demo import load_demo, plan_demo
from branchflow.api.intake.targets import ApplicationCommands
from branchflow.domain.application import FormationApplication
from branchflow.domain.case import case_view
from branchflow.domain.obligations import obligations
from branchflow.domain.organization import Organization
from branchflow.domain.rules import SEED_THRESHOLDS
from branchflow.projections import Projector, one_transfer_away, queue_counts, work_queue
from tests.domain.cases import add_members, organization, stamp, with_formal_branch

from .conftest import fresh_schema, reader, save

TODAY = date(2026, 11, 30)
DISTRICT = "440403"


@pytest.fixture(scope="module")
def demo(database_url: str) -> Iterator[tuple[list[Organization], psycopg.Connection[Any]]]:
    with fresh_schema(database_url) as settings:
        application = FormationApplication(settings)
        runner = Projector(app=application)
        try:
            load_demo(ApplicationCommands(application, "demo", TODAY), TODAY)  # refusals are test_demo's concern
            runner.catch_up()
            orgs = [application.case(c.org_id) for c in plan_demo(TODAY).cases]
            with reader(database_url, settings) as connection:
                yield orgs, connection
        finally:
            runner.close()
            application.close()


def everything(conn: psycopg.Connection[Any], region: str, **filters: Any) -> list[Any]:
    return work_queue(conn, region, TODAY, page_size=500, **filters).items + work_queue(
        conn, region, TODAY, page=2, page_size=500, **filters).items


def test_the_queue_is_every_obligation_of_every_demo_case(
    demo: tuple[list[Organization], psycopg.Connection[Any]],
) -> None:
    orgs, conn = demo
    expected = set()
    for org in orgs:
        view = case_view(org, TODAY, SEED_THRESHOLDS)  # the case page's obligations
        for o in view.obligations:
            late = o.overdue or (o.due_on is not None and o.due_on < TODAY)
            expected.add((org.id, o.rule, o.subject, o.due_on, late))
    found = everything(conn, DISTRICT)
    assert len(found) == len(expected) > 200
    assert {(i.organization_id, i.rule, i.subject, i.due_on, i.overdue) for i in found} == expected
    assert work_queue(conn, DISTRICT, TODAY).total == len(expected)


def test_overdue_first_then_by_due_date(demo: tuple[list[Organization], psycopg.Connection[Any]]) -> None:
    _, conn = demo
    found = everything(conn, DISTRICT)
    keys = [(not i.overdue, i.due_on or date.min) for i in found]
    assert keys == sorted(keys)
    assert found[0].overdue and not found[-1].overdue
    counts = queue_counts(conn, DISTRICT, TODAY)
    assert counts.overdue == sum(i.overdue for i in found) > 0
    soon = TODAY + timedelta(days=30)
    assert counts.due_soon == sum(1 for i in found if not i.overdue and i.due_on is not None and i.due_on <= soon)


def test_filters_by_street_rule_and_overdue(demo: tuple[list[Organization], psycopg.Connection[Any]]) -> None:
    _, conn = demo
    street = f"{DISTRICT}002"
    whole = everything(conn, DISTRICT)
    assert {i.organization_id for i in everything(conn, street)} == {
        i.organization_id for i in whole if i.region_code.startswith(street)}
    rule = "members_need_party_organization"
    assert everything(conn, DISTRICT, rule=rule) == [i for i in whole if i.rule == rule] != []
    assert everything(conn, DISTRICT, overdue=True) == [i for i in whole if i.overdue]
    assert everything(conn, DISTRICT, overdue=False) == [i for i in whole if not i.overdue]


def test_each_item_names_the_steps_that_discharge_it(
    demo: tuple[list[Organization], psycopg.Connection[Any]],
) -> None:
    orgs, conn = demo
    by_id = {org.id: org for org in orgs}
    for item in everything(conn, DISTRICT, rule="members_need_party_organization"):
        org = by_id[item.organization_id]
        assert item.actions and set(item.actions) <= set(case_view(org, TODAY, SEED_THRESHOLDS).next_actions)
    talks = everything(conn, DISTRICT, rule="talk_to_applicant")
    assert talks and all(i.actions == ["talk_to_applicant"] and "(P" in i.detail for i in talks)


def test_a_met_obligation_leaves_the_queue(
    app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any],
) -> None:
    org = organization(region_code="440403001001", founded_on=date(2024, 1, 15))
    add_members(org, 2)
    save(app, [org])
    projector.catch_up()
    assert [(i.rule, i.due_on) for i in work_queue(conn, "440403001", TODAY).items] == [
        ("members_need_party_organization", date(2024, 12, 31))]
    assert [r.rule for r in obligations(org)] == ["members_need_party_organization"]
    org.affiliate("中共白藤一村社区委员会", stamp())
    save(app, [org])
    projector.catch_up()
    assert work_queue(conn, "440403001", TODAY).total == 0


def test_organizations_one_transfer_away_from_a_branch_of_their_own(
    app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any],
) -> None:
    street = "440403002"
    near = organization(region_code=f"{street}001", responsible_committee="ZH-LAW")  # three formal, two elsewhere
    add_members(near, 1)
    add_members(near, 2, transferred=False)
    other = organization(region_code=f"{street}004", responsible_committee="ZH-TAX")  # the same, another committee
    add_members(other, 3, transferred=False)
    formed = with_formal_branch(organization(region_code=f"{street}005"), members=3)  # a branch of its own already
    add_members(formed, 2, transferred=False)
    far = organization(region_code=f"{street}002")  # only two formal members present
    add_members(far, 2, transferred=False)
    probation = organization(region_code=f"{street}002")  # probationary members do not count
    add_members(probation, 1)
    add_members(probation, 2, status="probationary", transferred=False)
    there = organization(region_code=f"{street}003")  # three transferred in: a branch of its own is due, not this
    add_members(there, 3)
    save(app, [near, far, probation, there, other, formed])
    projector.catch_up()
    found = one_transfer_away(conn, street)
    assert found.total == 2
    assert [(i.organization_id, i.formal_members, i.transferred_in) for i in found.items] == [
        (near.id, 3, 1), (other.id, 3, 0)]
    # A committee's users see its own cases alone (access.CommitteeScope narrows every list to them).
    assert [i.organization_id for i in one_transfer_away(conn, street, committee="ZH-LAW").items] == [near.id]
    assert one_transfer_away(conn, street, committee="ZH-NONE").total == 0
    assert one_transfer_away(conn, f"{street}001").total == 1
    near.transfer_in("P2", stamp())
    near.transfer_in("P3", stamp())
    save(app, [near])
    projector.catch_up()
    assert [i.organization_id for i in one_transfer_away(conn, street).items] == [other.id]


def test_where_the_union_is_configured_the_queue_asks_for_it_beside_the_youth_league(database_url: str) -> None:
    org = with_formal_branch(organization(region_code="440403003001"), on=date(2026, 6, 1))
    with fresh_schema(database_url) as settings:
        application = FormationApplication({**settings, "BRANCHFLOW_THRESHOLD_UNION_WITHIN_MONTHS": "4"})
        runner = Projector(app=application)
        try:
            save(application, [org])
            runner.catch_up()
            with reader(database_url, settings) as conn:
                found = [(i.rule, i.due_on, i.actions) for i in work_queue(conn, "440403003", TODAY).items]
                assert found == [("form_union", date(2026, 10, 1), ["form_union"]),
                                 ("form_youth_league", date(2026, 12, 1), ["form_youth_league"])]
                org.form_union(stamp(date(2026, 7, 1)), application.thresholds)
                save(application, [org])
                runner.catch_up()
                assert [i.rule for i in work_queue(conn, "440403003", TODAY).items] == ["form_youth_league"]
        finally:
            runner.close()
            application.close()
