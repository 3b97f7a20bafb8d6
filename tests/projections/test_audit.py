"""The audit trail and the case rows follow the events: every event type, per case and across cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from branchflow.domain.application import FormationApplication
from branchflow.domain.id_numbers import masked, masked_in
from branchflow.domain.organization import Organization
from branchflow.projections import Projector, audit_trail
from branchflow.projections.rows import case_row, case_row_from_db
from tests.domain.cases import add_members, organization, stamp
from tests.domain.every_event import VERBS

from .conftest import save


class TestEveryEvent:
    def test_each_case_row_is_what_the_domain_derives_from_the_replayed_aggregate(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        orgs = {name: build() for name, build in VERBS.items()}
        save(app, orgs.values())
        projector.catch_up()
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            rows = {r["id"]: case_row_from_db(r) for r in cur.execute("SELECT * FROM cases")}
        assert len(rows) == len(orgs)
        for name, org in orgs.items():
            replayed = app.case(org.id)
            assert rows[org.id] == case_row(replayed, app.thresholds), name
            # The trail lists many cases: its ID numbers are masked (MemberAdded, ApplicantRecorded carry one).
            history = [{**e, "data": masked_in(e["data"])} for e in
                       (e.model_dump(mode="json") for e in app.history(org.id))]
            trail = audit_trail(conn, case_id=org.id).items
            shown = [e.model_dump(mode="json", exclude={"case_id", "case_name", "region_code"}) for e in trail]
            assert shown == history, name
            assert trail[-1].type == name
        added = audit_trail(conn, case_id=orgs["MemberAdded"].id).items[-1]
        assert added.data["id_number"] == masked("440403198001011238") == "440403********1238"


class TestTheTrailAcrossCases:
    def test_by_actor_region_and_business_dates_in_recorded_order(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        doumen = organization(region_code="440403001001", on=date(2024, 3, 1))
        xiangzhou = organization(region_code="440402001001", on=date(2024, 3, 2))
        save(app, [doumen, xiangzhou])
        doumen.assign_instructor("Li", stamp(date(2024, 4, 1), "sent by the district", "supervisor-9"))
        add_members(xiangzhou, 1, on=date(2024, 5, 1))
        save(app, [xiangzhou, doumen])
        projector.catch_up()

        everything = audit_trail(conn, "4404")
        assert everything.total == 4
        assert [(e.case_name, e.type) for e in everything.items] == [
            (doumen.name, "Registered"), (xiangzhou.name, "Registered"), (xiangzhou.name, "MemberAdded"),
            (doumen.name, "InstructorAssigned")]
        by_supervisor = audit_trail(conn, "44", actor="supervisor-9").items
        assert [(e.type, e.reason, e.data) for e in by_supervisor] == [
            ("InstructorAssigned", "sent by the district", {"name": "Li"})]
        assert [e.type for e in audit_trail(conn, "440403").items] == ["Registered", "InstructorAssigned"]
        april = audit_trail(conn, "4404", since=date(2024, 3, 2), until=date(2024, 4, 30)).items
        assert [(e.case_name, e.type) for e in april] == [(xiangzhou.name, "Registered"),
                                                         (doumen.name, "InstructorAssigned")]
        second_page = audit_trail(conn, "4404", page=2, page_size=3)
        assert second_page.total == 4 and [e.type for e in second_page.items] == ["InstructorAssigned"]

    def test_a_case_moved_to_another_region_takes_its_whole_trail_along(
        self, app: FormationApplication, projector: Projector, conn: psycopg.Connection[Any]
    ) -> None:
        org = organization(region_code="440403001001")
        add_members(org, 2)
        save(app, [org])
        projector.catch_up()
        moved: Organization = app.case(org.id)
        moved.correct_facts(1, {"region_code": "440402001001"}, stamp(reason="entered in the wrong district"))
        save(app, [moved])
        projector.catch_up()

        assert audit_trail(conn, "440403").total == 0
        trail = audit_trail(conn, "440402").items
        assert [e.type for e in trail] == ["Registered", "MemberAdded", "MemberAdded", "FactsCorrected"]
        assert {e.region_code for e in trail} == {"440402001001"}
        members = conn.execute("SELECT DISTINCT region_code FROM members").fetchall()
        assert members == [("440402001001",)]
