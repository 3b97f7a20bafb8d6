"""The application's commands and queries, on in-memory persistence (test_event_store.py runs on PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from branchflow.domain.actions import parse_action
from branchflow.domain.application import SYSTEM_ACTOR, FormationApplication, thresholds_from_env
from branchflow.domain.case import case_view
from branchflow.domain.errors import AlreadyRegistered, CaseNotFound, RuleViolation
from branchflow.domain.obligations import Obligation
from branchflow.domain.organization import organization_id
from branchflow.domain.rules import SEED_THRESHOLDS, Stage, Thresholds

from .cases import DAY, memory_application, register, registration

ADD = {"action": "add_member", "name": "Li Na", "gender": "female", "birth_date": "1988-08-08",
       "education": "bachelor", "status": "formal", "relation_transferred": True}
APPLY = {"action": "record_applicant", "name": "Wu Gang", "gender": "male", "birth_date": "2000-02-02",
         "education": "senior_middle"}


@pytest.fixture
def app() -> FormationApplication:
    return memory_application()


class TestRegistering:
    def test_registering_opens_a_case_named_by_the_credit_code(self, app: FormationApplication) -> None:
        r = registration(occurred_on=date(2024, 2, 1))
        org = app.register_organization(r, "organizer-1", DAY)
        assert org.id == organization_id(r.credit_code, r.region_code, r.name)
        assert (org.registered_on, org.version) == (date(2024, 2, 1), 1)
        (entry,) = app.history(org.id)
        assert (entry.type, entry.actor, entry.data["name"]) == ("Registered", "organizer-1", r.name)
        assert not {"originator_id", "originator_topic", "stamp", "timestamp"} & set(entry.data)

    def test_the_business_date_defaults_to_today(self, app: FormationApplication) -> None:
        assert app.register_organization(registration(), "organizer-1", DAY).registered_on == DAY

    def test_an_organization_is_registered_once(self, app: FormationApplication) -> None:
        r = registration()
        app.register_organization(r, "organizer-1", DAY)
        with pytest.raises(AlreadyRegistered):
            app.register_organization(r, "organizer-2", DAY)

    def test_an_unregistered_organization_is_named_by_region_and_name(self, app: FormationApplication) -> None:
        a = app.register_organization(registration(registered=False, name="Night market"), "o", DAY)
        b = app.register_organization(
            registration(registered=False, name="Night market", region_code="440403002001"), "o", DAY)
        assert a.id != b.id
        with pytest.raises(AlreadyRegistered):
            app.register_organization(registration(registered=False, name="Night market"), "o", DAY)

    def test_a_retried_registration_gives_the_first_answer(self, app: FormationApplication) -> None:
        r = registration(command_id="register-1")
        first = app.register_organization(r, "organizer-1", DAY)
        again = app.register_organization(r, "organizer-1", DAY)
        assert (again.id, again.version) == (first.id, 1) and len(app.history(first.id)) == 1


class TestPerforming:
    def test_a_step_is_applied_and_saved(self, app: FormationApplication) -> None:
        org_id = register(app)
        org = app.perform(org_id, parse_action(ADD | {"reason": "new hire"}), "organizer-1", DAY)
        assert org.version == 2 and app.case(org_id).version == 2
        entry = app.history(org_id)[-1]
        assert (entry.type, entry.sequence, entry.actor, entry.reason, entry.occurred_on) == (
            "MemberAdded", 2, "organizer-1", "new hire", DAY)
        assert entry.data["person_id"] == "P1" and "stamp" not in entry.data

    def test_the_same_command_id_twice_writes_one_set_of_events_and_gives_the_same_answer(
        self, app: FormationApplication
    ) -> None:
        org_id = register(app)
        first = app.perform(org_id, parse_action(ADD | {"command_id": "add-1"}), "organizer-1", DAY)
        again = app.perform(org_id, parse_action(ADD | {"command_id": "add-1"}), "organizer-1", DAY)
        assert again.version == first.version == 2
        assert list(again.members) == ["P1"] and len(app.history(org_id)) == 2

    def test_a_command_id_is_scoped_to_its_case(self, app: FormationApplication) -> None:
        a, b = register(app), register(app)
        app.perform(a, parse_action(ADD | {"command_id": "add-1"}), "organizer-1", DAY)
        app.perform(b, parse_action(ADD | {"command_id": "add-1"}), "organizer-1", DAY)
        assert app.case(b).version == 2

    def test_a_refused_step_writes_nothing(self, app: FormationApplication) -> None:
        org_id = register(app, 2)
        with pytest.raises(RuleViolation):
            app.perform(org_id, parse_action({"action": "request_formal_branch", "name": "B"}), "o", DAY)
        assert len(app.history(org_id)) == 3

    def test_an_unknown_case_is_not_found(self, app: FormationApplication) -> None:
        unknown = organization_id(None, "440403001001", "nobody")
        with pytest.raises(CaseNotFound):
            app.perform(unknown, parse_action(ADD), "o", DAY)
        with pytest.raises(CaseNotFound):
            app.history(unknown)

    def test_an_earlier_version_of_a_case_can_be_read(self, app: FormationApplication) -> None:
        org_id = register(app, 3)
        assert len(app.case(org_id, version=2).members) == 1


class TestEscalating:
    def test_a_passed_deadline_is_recorded_once(self, app: FormationApplication) -> None:
        org_id = register(app, 1)
        due = Obligation("members_need_party_organization", date(2024, 12, 31))
        app.escalate(org_id, due, date(2025, 1, 1), "escalate-1")
        app.escalate(org_id, due, date(2025, 1, 2), "escalate-2")
        history = app.history(org_id)
        assert [h.type for h in history].count("DeadlineEscalated") == 1
        assert (history[-1].actor, history[-1].occurred_on) == (SYSTEM_ACTOR, date(2025, 1, 1))
        assert case_view(app.case(org_id), date(2025, 1, 3), SEED_THRESHOLDS).obligations[0].overdue

    def test_an_obligation_without_a_date_or_a_closed_case_is_not_escalated(self, app: FormationApplication) -> None:
        org_id = register(app, employees=70)
        app.escalate(org_id, Obligation("develop_members", None), date(2025, 1, 1), "e-1")
        app.perform(org_id, parse_action({"action": "close_case"}), "o", DAY)
        app.escalate(org_id, Obligation("develop_members", date(2024, 12, 31)), date(2025, 1, 1), "e-2")
        assert [h.type for h in app.history(org_id)] == ["Registered", "CaseClosed"]


class TestThresholds:
    def test_thresholds_are_read_from_branchflow_threshold_settings(self) -> None:
        env = {"BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS": "4", "BRANCHFLOW_THRESHOLD_DEVELOP_MEMBERS_EMPLOYEES": "30",
               "OTHER": "1"}
        assert thresholds_from_env(env) == Thresholds(branch_members=4, develop_members_employees=30)
        assert thresholds_from_env({}) == SEED_THRESHOLDS

    @pytest.mark.parametrize("value", ["three", "2.5", ""])
    def test_a_threshold_that_is_not_a_whole_number_is_refused_naming_the_setting(self, value: str) -> None:
        with pytest.raises(ValueError, match="BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS"):
            thresholds_from_env({"BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS": value})

    def test_the_application_applies_its_configured_thresholds(self) -> None:
        app = memory_application(BRANCHFLOW_THRESHOLD_BRANCH_MEMBERS="4")
        org_id = register(app, 3)
        with pytest.raises(RuleViolation, match="needs 4 or more"):
            app.perform(org_id, parse_action({"action": "request_formal_branch", "name": "B"}), "o", DAY)
        view = case_view(app.case(org_id), DAY, app.thresholds)
        assert "request_formal_branch" not in view.next_actions


class TestCaseView:
    def test_the_case_as_people_see_it(self, app: FormationApplication) -> None:
        org_id = register(app, 2, employees=120)
        app.perform(org_id, parse_action({"action": "transfer_out", "member_id": "P1"}), "o", DAY)
        app.perform(org_id, parse_action(APPLY), "o", DAY)
        view = case_view(app.case(org_id), DAY, app.thresholds)
        assert (view.stage, view.formed, view.organization_covered, view.work_covered) == (
            Stage.DEVELOPING_MEMBERS, False, False, False)
        assert [m.id for m in view.members] == ["P2"] and view.formal_members == 1
        assert [(c.id, c.next_due_on) for c in view.candidates] == [("P3", date(2024, 4, 1))]
        assert [o.rule for o in view.obligations] == [
            "members_need_party_organization", "party_organization_required", "talk_to_applicant"]
        assert view.version == 5 and "record_applicant" in view.next_actions
