"""Registering an organization: the facts recorded per organization, checked once for every door."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from branchflow.domain.actions import parse_action
from branchflow.domain.registration import Registration

from .cases import credit_code, facts


def errors(**overrides: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        Registration.model_validate(facts(**overrides), context={"today": date(2024, 6, 1)})
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in raised.value.errors()]


def test_the_facts_of_an_organization_are_kept() -> None:
    r = Registration.model_validate(facts(name="  Acme Ltd. ", industry="c", reason="ledger", command_id="r-1"))
    assert r.name == "Acme Ltd." and r.industry == "C"
    assert set(r.facts()) == {"name", "credit_code", "kind", "subtype", "registered", "region_code", "industry",
                              "employees", "above_scale", "founded_on", "superior_party_org", "owner_is_member",
                              "responsible_committee"}


def test_a_new_registration_names_its_subtype() -> None:
    without = facts()
    del without["subtype"]
    with pytest.raises(ValidationError) as raised:
        Registration.model_validate(without)
    assert [e["loc"] for e in raised.value.errors()] == [("subtype",)]


def test_the_subtype_is_one_of_its_kinds() -> None:
    assert errors(subtype="foundation") == [
        ("subtype", "subtype foundation is not one of a economic organization's: private, individual, "
                    "foreign_invested, other")]
    assert errors(subtype="partnership")[0][0] == "subtype"
    social = Registration.model_validate(facts(kind="social", subtype="intermediary"))
    assert (social.subtype, social.responsible_committee) == ("intermediary", None)


def test_a_registered_organization_has_a_credit_code() -> None:
    assert errors(credit_code=None) == [("credit_code", "credit_code is required for a registered organization")]


def test_an_unregistered_organization_has_none() -> None:
    assert errors(registered=False, credit_code=credit_code()) == [
        ("credit_code", "an unregistered organization has no credit_code")]
    assert Registration.model_validate(facts(registered=False)).credit_code is None


def test_the_credit_code_tells_an_enterprise_from_a_social_organization() -> None:
    assert [field for field, _ in errors(kind="social", credit_code=credit_code("economic"))] == ["credit_code"]
    assert Registration.model_validate(facts(kind="social", credit_code=credit_code("social"))).kind == "social"


@pytest.mark.parametrize(
    ("field", "value"),
    [("region_code", "4404030010"), ("industry", "U"), ("employees", -3), ("kind", "state_owned"),
     ("founded_on", "2024-06-02"), ("founded_on", "1949-09-30"), ("name", ""), ("credit_code", "123"),
     # PostgreSQL cannot store NUL in text: control characters are refused at every door, import included.
     ("name", "互助会\x00"), ("superior_party_org", "\x1b[31m")],
)
def test_a_wrong_fact_is_refused_naming_its_field(field: str, value: object) -> None:
    assert [name for name, _ in errors(**{field: value})] == [field]


def test_unknown_facts_are_refused() -> None:
    assert errors(owner="Mr. Wang") == [("owner", "Extra inputs are not permitted")]


def test_control_characters_in_ids_are_refused_but_line_breaks_in_reasons_are_kept() -> None:
    with pytest.raises(ValidationError, match="command_id"):
        parse_action({"action": "close_case", "command_id": "a\x00"})
    assert parse_action({"action": "close_case", "reason": "第一行\n第二行"}).reason == "第一行\n第二行"
