"""People are recorded once (domain.md): citizen ID numbers (GB 11643-1999), one person per organization, and a
member's relation in one organization of the system at a time. A test per rule, named by it."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import Step, parse_action
from branchflow.domain.application import FormationApplication
from branchflow.domain.case import case_view
from branchflow.domain.errors import ConcurrentChange, RuleViolation
from branchflow.domain.id_numbers import check_character, contains_id_number, masked, masked_in, parse_id_number
from branchflow.domain.organization import Organization
from branchflow.domain.people import MemberStatus
from branchflow.domain.relations import Relation
from branchflow.domain.rules import SEED_THRESHOLDS

from .cases import DAY, memory_application, organization, register, stamp

BORN = date(1990, 5, 20)
KNOWN = "11010519491231002X"  # the standard's own example: born 1949-12-31, check character X


def id_number(born: date = BORN, sequence: int = 123, region: str = "440403") -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def add(org: Organization, name: str = "Li Lei", number: str | None = None, born: date = BORN,
        transferred: bool = True) -> str:
    return org.add_member(name, "male", born, "bachelor", MemberStatus.FORMAL, transferred, stamp(), id_number=number)


# --- the value ---------------------------------------------------------------------------------------------


def test_id_number_check_character_by_iso_7064_mod_11_2() -> None:
    assert check_character(KNOWN[:17]) == "X"
    assert parse_id_number(KNOWN) == KNOWN
    assert parse_id_number(id_number()) == id_number()
    for wrong in "0123456789X":
        if wrong != KNOWN[17]:
            with pytest.raises(ValueError, match="wrong check character"):
                parse_id_number(KNOWN[:17] + wrong)


def test_id_number_lowercase_x_is_normalised_to_x() -> None:
    assert parse_id_number("11010519491231002x") == KNOWN


@pytest.mark.parametrize(("text", "problem"), [
    (KNOWN[:17], "18 characters"), (KNOWN + "1", "18 characters"), ("01010519491231002X", "17 digits"),
    ("1101051949123100AX", "17 digits"), (id_number()[:6] + "19900230" + "1234", "real birth date"),
])
def test_id_number_has_18_characters_region_real_birth_date_and_sequence(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        parse_id_number(text)
    assert text not in str(refused.value)  # a message never repeats the number


def test_id_number_masked_as_first_6_and_last_4() -> None:
    assert masked("44040319900520123X") == "440403********123X"
    assert masked_in({"name": "Li", "id_number": KNOWN, "changes": {"id_number": KNOWN}}) == {
        "name": "Li", "id_number": "110105********002X", "changes": {"id_number": "110105********002X"}}
    assert contains_id_number(f"region 440403 {KNOWN}") and not contains_id_number(masked(KNOWN))


def test_id_number_birth_date_must_equal_the_recorded_birth_date() -> None:
    body = {"action": "add_member", "name": "Li Lei", "gender": "male", "birth_date": "1990-05-21",
            "education": "bachelor", "status": "formal", "relation_transferred": True, "id_number": id_number()}
    with pytest.raises(ValidationError) as invalid:
        parse_action(body)
    assert [(e["loc"][-1], e["type"]) for e in invalid.value.errors()] == [("id_number", "id_number_birth_date")]
    applicant = {k: v for k, v in body.items() if k not in {"status", "relation_transferred"}}
    with pytest.raises(ValidationError, match="id_number"):
        parse_action({**applicant, "action": "record_applicant"})
    org = organization()
    with pytest.raises(RuleViolation) as refused:  # the aggregate too, for doors past the models
        add(org, number=id_number(), born=date(1990, 5, 21))
    assert refused.value.rule == "id_number_birth_date" and id_number() not in refused.value.message
    with pytest.raises(RuleViolation, match="id_number_birth_date"):
        org.record_applicant("Li Lei", "male", date(1990, 5, 21), "bachelor", stamp(), id_number())


def test_a_corrected_birth_date_must_still_be_the_id_numbers() -> None:
    org = organization()
    person = add(org, number=id_number())
    with pytest.raises(RuleViolation, match="id_number_birth_date"):
        org.correct_member(person, 2, {"birth_date": date(1990, 5, 21)}, stamp())
    org.correct_member(person, 2, {"name": "Li Lei (corrected)"}, stamp())


# --- once per organization -----------------------------------------------------------------------------


def test_same_id_number_twice_in_one_organization_is_refused() -> None:
    org = organization()
    add(org, number=id_number())
    with pytest.raises(RuleViolation) as refused:  # another name, as a typo would give it
        org.record_applicant("Li Lie", "male", BORN, "bachelor", stamp(), id_number())
    assert refused.value.rule == "person_recorded_twice" and masked(id_number()) in refused.value.message
    with pytest.raises(RuleViolation, match="person_recorded_twice"):
        add(org, "Wang Wu", id_number())


def test_same_name_gender_and_birth_date_without_id_number_is_refused() -> None:
    org = organization()
    add(org, number=id_number())
    with pytest.raises(RuleViolation, match="person_recorded_twice"):
        add(org)  # no ID number given: name, gender and birth date decide
    other = organization()
    add(other)
    with pytest.raises(RuleViolation, match="person_recorded_twice"):
        add(other, number=id_number())


def test_two_id_numbers_are_two_people_whatever_their_names() -> None:
    org = organization()
    add(org, number=id_number(sequence=123))
    add(org, number=id_number(sequence=135))
    assert len(org.members) == 2


def test_a_person_left_may_be_recorded_again() -> None:
    org = organization()
    add(org, number=id_number())
    org.transfer_out("P1", stamp())
    assert add(org, number=id_number()) == "P2"


def test_the_id_number_goes_with_the_person_to_membership() -> None:
    from .cases import formal_ids, with_formal_branch

    org = with_formal_branch(organization(on=date(2022, 1, 10)), on=date(2022, 1, 10))
    person = org.record_applicant("Zhao Liu", "female", BORN, "bachelor", stamp(date(2022, 2, 1)), id_number())
    org.designate_activist(person, stamp(date(2022, 3, 1)))
    org.confirm_development_target(person, stamp(date(2023, 3, 1)))
    org.record_political_review(person, True, stamp(date(2023, 3, 10)))
    org.record_training(person, date(2023, 3, 11), date(2023, 3, 13), 24, stamp(date(2023, 3, 13)))
    org.admit_probationary(person, formal_ids(org)[:2], stamp(date(2023, 4, 1)))
    org.approve_probationary(person, stamp(date(2023, 5, 1), actor="supervisor-1"))
    assert org.members[person].id_number == id_number()
    with pytest.raises(RuleViolation, match="person_recorded_twice"):
        add(org, "Zhao Liu 2", id_number())


def test_case_view_masks_id_numbers() -> None:
    org = organization()
    add(org, number=id_number())
    org.record_applicant("Wang Wu", "male", date(1949, 12, 31), "bachelor", stamp(), KNOWN)
    view = case_view(org, DAY, SEED_THRESHOLDS)
    assert [m.id_number for m in view.members] == ["440403********1236"]
    assert [c.id_number for c in view.candidates] == ["110105********002X"]
    assert id_number() not in view.model_dump_json() and KNOWN not in view.model_dump_json()


# --- stored events ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("event", "version"), [("MemberAdded", 1), ("MemberAdded", 2), ("ApplicantRecorded", 1)])
def test_events_stored_before_id_numbers_still_load(event: str, version: int) -> None:
    app = memory_application()
    org_id = register(app, 1)
    app.perform(org_id, parse_action({"action": "record_applicant", "name": "Wang Wu", "gender": "male",
                                      "birth_date": "1990-05-20", "education": "bachelor"}), "o", DAY)
    (stored,) = [s for s in app.recorder.select_events(org_id) if s.topic.endswith(f"Organization.{event}")]
    state = app.mapper.transcoder.decode(stored.state)
    state.pop("id_number")
    if version == 1:
        state.pop("admitted_on", None)
    state["class_version"] = version
    old = app.mapper.to_domain_event(dataclasses.replace(stored, state=app.mapper.transcoder.encode(state)))
    assert old.id_number is None  # type: ignore[attr-defined]
    case = app.case(org_id)
    person = case.members.get("P1") if event == "MemberAdded" else case.candidates["P2"]
    assert person is not None and person.id_number is None


# --- one organization at a time --------------------------------------------------------------------------


def member(number: str | None, transferred: bool = False, name: str = "Li Lei") -> Step:
    body: dict[str, Any] = {"action": "add_member", "name": name, "gender": "male", "birth_date": BORN.isoformat(),
                            "education": "bachelor", "status": "formal", "relation_transferred": transferred}
    return parse_action(body | ({"id_number": number} if number else {}))


def act(app: FormationApplication, org_id: UUID, step: Step | dict[str, Any]) -> Organization:
    return app.perform(org_id, step if isinstance(step, Step) else parse_action(step), "organizer-1", DAY)


def test_a_relation_sits_in_one_organization_at_a_time() -> None:
    app = memory_application()
    a, b = register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    act(app, b, member(id_number()))  # working in B, the relation still in A: fine
    with pytest.raises(RuleViolation) as refused:
        act(app, b, {"action": "transfer_in", "member_id": "P1"})
    assert refused.value.rule == "relation_elsewhere" and str(a) not in refused.value.message
    assert app.holders_elsewhere(b, parse_action({"action": "transfer_in", "member_id": "P1"}), "o", DAY) == [a]
    act(app, a, {"action": "transfer_out", "member_id": "P1"})
    assert act(app, b, {"action": "transfer_in", "member_id": "P1"}).members["P1"].relation_transferred


def test_a_relation_is_not_entered_as_transferred_in_while_it_sits_elsewhere() -> None:
    app = memory_application()
    a, b = register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    with pytest.raises(RuleViolation, match="relation_elsewhere"):
        act(app, b, member(id_number(), transferred=True, name="Li Lei (typo)"))
    assert app.case(b).members == {}


def test_without_id_numbers_namesakes_of_other_organizations_are_not_held_up() -> None:
    """Across cases only ID numbers tell people apart (relations.py): the same name, gender and birth date in
    two organizations may be two people."""
    app = memory_application()
    a, b = register(app), register(app)
    act(app, a, member(None, transferred=True))
    assert act(app, b, member(None, transferred=True)).members["P1"].relation_transferred


def test_closing_a_case_lets_its_relations_go_and_reopening_takes_back_the_free_ones() -> None:
    app = memory_application()
    a, b = register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    act(app, a, member(id_number(sequence=135), transferred=True, name="Wang Wu"))
    act(app, a, {"action": "close_case"})
    act(app, b, member(id_number(), transferred=True))  # free since A closed
    app.perform(a, parse_action({"action": "reopen_case", "reason": "closed by mistake"}), "supervisor-1", DAY)
    free, gone = (app.relation(f"id/{id_number(sequence=s)}") for s in (135, 123))
    assert free is not None and free.organization_id == str(a)
    assert gone is not None and gone.organization_id == str(b)


def test_two_cases_transferring_one_relation_in_at_once_cannot_both_win() -> None:
    """B's step reads the registry, C's commits meanwhile; B's save collides on the relation's version and
    writes nothing (ConcurrentChange); retried, B is refused."""

    class Interleaved(FormationApplication):
        competing: UUID | None = None

        def relations_moved(self, org: Organization, before: dict[str, str], taken: dict[str, str] | None = None
                            ) -> list[Relation]:
            moved = super().relations_moved(org, before, taken)
            if (other := self.competing) is not None:
                self.competing = None
                self.perform(other, parse_action({"action": "transfer_in", "member_id": "P1"}), "o", DAY)
            return moved

    app = Interleaved(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    a, b, c = register(app), register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    act(app, b, member(id_number()))
    act(app, c, member(id_number()))
    act(app, a, {"action": "transfer_out", "member_id": "P1"})
    app.competing = c
    with pytest.raises(ConcurrentChange):
        act(app, b, {"action": "transfer_in", "member_id": "P1"})
    assert not app.case(b).members["P1"].relation_transferred and app.case(c).members["P1"].relation_transferred
    with pytest.raises(RuleViolation, match="relation_elsewhere"):
        act(app, b, {"action": "transfer_in", "member_id": "P1"})


def test_a_stored_case_with_one_id_number_twice_is_named_and_namesakes_with_two_are_not() -> None:
    from branchflow.domain.breaches import broken_rules

    org = organization()  # written past today's guard, as old code could have
    org._member_added("P1", "Li Lei", "male", BORN, "bachelor", "formal", True, None, stamp(), id_number())
    org._member_added("P2", "Li Lie", "male", BORN, "bachelor", "formal", True, None, stamp(), id_number())
    org._member_added("P3", "Li Lei", "male", BORN, "bachelor", "formal", True, None, stamp(),
                      id_number(sequence=135))
    assert [(b.rule, b.detail.split(" are")[0]) for b in broken_rules(org)] == [
        ("person_recorded_twice", "P2 and P1")]
    assert all(id_number() not in b.detail for b in broken_rules(org))


def test_an_id_number_given_later_by_correction_is_checked_like_a_new_one() -> None:
    org = organization()
    person, other = add(org), add(org, "Wang Wu", id_number(sequence=135))
    with pytest.raises(RuleViolation, match="id_number_birth_date"):
        org.correct_member(person, 2, {"id_number": KNOWN}, stamp())
    with pytest.raises(RuleViolation, match="person_recorded_twice"):
        org.correct_member(person, 2, {"id_number": id_number(sequence=135)}, stamp())
    org.correct_member(person, 2, {"id_number": id_number()}, stamp())
    assert org.members[person].id_number == id_number() and org.members[other].id_number != id_number()
    org.correct_member(person, 2, {"birth_date": date(1949, 12, 31), "id_number": KNOWN}, stamp())  # both at once
    with pytest.raises(ValidationError, match="id_number"):  # the step checks the value itself (422)
        parse_action({"action": "correct_member", "member_id": person, "corrects": 2,
                      "changes": {"id_number": KNOWN[:17] + "1"}})


def test_an_id_number_given_by_correction_places_the_relation_it_names() -> None:
    app = memory_application()
    a, b = register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    act(app, b, member(None, transferred=True))
    correction = {"action": "correct_member", "member_id": "P1", "corrects": 2, "changes": {"id_number": id_number()}}
    with pytest.raises(RuleViolation, match="relation_elsewhere"):
        act(app, b, correction)
    act(app, a, {**correction, "changes": {"id_number": None}})  # entered in the wrong case: taken away there
    assert act(app, b, correction).members["P1"].id_number == id_number()
    held = app.relation(f"id/{id_number()}")
    assert held is not None and held.organization_id == str(b)


def test_verify_names_a_relation_two_cases_hold_and_one_the_registry_lost() -> None:
    from branchflow.domain.relations import placed
    from branchflow.runtime.verify import relations_disagree

    app = memory_application()
    a, b, c = register(app), register(app), register(app)
    act(app, a, member(id_number(), transferred=True))
    act(app, a, {"action": "close_case"})
    act(app, b, member(id_number(), transferred=True))
    app.perform(a, parse_action({"action": "reopen_case", "reason": "closed by mistake"}), "supervisor-1", DAY)
    org_c = app.case(c)
    org_c.add_member("Zhao Liu", "female", BORN, "bachelor", MemberStatus.FORMAL, True, stamp(),
                     id_number=id_number(sequence=246))
    app.save(org_c)  # past the application, as a bug would: no relation recorded
    held: dict[str, list[tuple[UUID, str]]] = {}
    for case_id in (a, b, c):
        for key, member_id in placed(app.case(case_id)).items():
            held.setdefault(key, []).append((case_id, member_id))
    differences, warnings = relations_disagree(held, app.relation)
    assert warnings == [f"case {b}: breaks relation_elsewhere — transfer P1 out here or in case {a}, where the same "
                        "member's relation is held too"]
    assert differences == [f"case {c}: the relation of P1 is held here, the registry of relations places it nowhere"]
    assert not any(id_number() in line for line in differences + warnings)


def test_a_snapshot_taken_before_id_numbers_still_loads() -> None:
    app = memory_application()
    org = organization()
    add(org)
    org.record_applicant("Wang Wu", "male", BORN, "bachelor", stamp())
    snapshot = Organization.Snapshot.take(org)
    stored = app.mapper.to_stored_event(snapshot)
    text = stored.state.decode()
    assert text.count('"id_number": null') + text.count('"id_number":null') == 2
    # As snapshots were written before the field: the people's records without it.
    older = text.replace(', "id_number": null', "").replace(',"id_number":null', "").encode()
    old = app.mapper.to_domain_event(dataclasses.replace(stored, state=older))
    assert isinstance(old, Organization.Snapshot)
    restored = old.mutate(None)
    assert isinstance(restored, Organization)
    assert restored.members["P1"].id_number is None and restored.candidates["P2"].id_number is None
