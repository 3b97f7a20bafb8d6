"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.reliability.fuzz_hooks) for what a JSON Schema cannot say.

The schema names the format `credit-code` (GB 32100's check character) and business dates run up to today;
these values are drawn for them. Some rules depend on other values, on today or on stored data, so a part of a
request drawn as valid by the schema is brought within them before it is sent, and only then: a business date
taken from an answer (a due date) is not after today; a registration is dated on or after its founding and
lies in the fuzzing user's scope (`FUZZ_REGION`: else it is 403 and the stateful phase's links reach no case);
a responsible committee is one in the registry (the fuzz test registers `FUZZ_COMMITTEE`, an industry
committee, which answers for a case anywhere); a citizen ID number has its check character and the person's
birth date (GB 11643). A part drawn as invalid is sent as drawn.

With `FUZZ_CALLS` set, every call is written to that file as a line `phase method path status`, so that the test
can see which operations each phase reached.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from branchflow.domain.id_numbers import check_character, embedded_birth_date
from branchflow.domain.values import CREDIT_CODE_CHARSET, make_credit_code

# Authority "Y" (其他) fits either kind of organization, so a drawn code never contradicts the body's `kind`.
CREDIT_CODES = st.builds(
    lambda body, rest: make_credit_code("Y1" + body + rest),
    st.text("0123456789", min_size=6, max_size=6), st.text(CREDIT_CODE_CHARSET, min_size=9, max_size=9))

schemathesis.openapi.format("credit-code", CREDIT_CODES)

# Business dates run from 1949-10-01 to today (birth dates from 1900, so these fit them too); a JSON Schema
# cannot name "today", and a date outside is refused with 422 as the schema cannot show.
schemathesis.openapi.format("date", st.dates(date(1949, 10, 1), date.today()).map(date.isoformat))

COMMITTEE = os.environ.get("FUZZ_COMMITTEE", "FUZZ-INDUSTRY")
REGION = os.environ.get("FUZZ_REGION", "")  # the fuzzing user's scope: its registrations land in it
CALLS = os.environ.get("FUZZ_CALLS")


def drawn_valid(case: schemathesis.Case[Any], where: ParameterLocation, part: object) -> dict[str, Any] | None:
    """A part of the case (its body, its query) when it was drawn as valid by the schema."""
    drawn = case.meta.components.get(where) if case.meta is not None else None
    return part if isinstance(part, dict) and drawn is not None and drawn.mode is GenerationMode.POSITIVE else None


def up_to_today(values: dict[str, Any]) -> None:
    """Business dates after today, which the stateful phase takes from answers (an obligation's due date), are
    today: `format: date` cannot say "up to today" and the strategy above covers only the dates drawn."""
    today = date.today().isoformat()
    for key, value in values.items():
        if isinstance(value, str) and len(value) == 10 and value > today and (key.endswith("_on") or key in (
                "as_of", "compare", "until")):
            values[key] = today


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
    if (query := drawn_valid(case, ParameterLocation.QUERY, case.query)) is not None:
        up_to_today(query)
    if (body := drawn_valid(case, ParameterLocation.BODY, case.body)) is None or case.method.upper() != "POST":
        return case
    up_to_today(body)
    if case.path.endswith("/organizations"):  # a registration
        founded, registered = body.get("founded_on"), body.get("occurred_on")
        if isinstance(founded, str) and isinstance(registered, str) and registered < founded:
            body["founded_on"], body["occurred_on"] = registered, founded
        if isinstance(code := body.get("region_code"), str) and len(code) > len(REGION):
            body["region_code"] = REGION + code[len(REGION):]  # so that the stateful phase's links reach the case
    for holder in [body, *(v for v in body.values() if isinstance(v, dict))]:  # a correction's `changes` too
        if isinstance(holder.get("responsible_committee"), str):
            holder["responsible_committee"] = COMMITTEE
        if isinstance(number := holder.get("id_number"), str) and len(number) == 18:
            holder["id_number"] = id_number(number, holder.get("birth_date"))
    return case


def id_number(drawn: str, birth_date: object) -> str:
    """The drawn number (its issuing region and sequence) made valid: the step's birth date where it gives one,
    else the drawn one where it is a real date, and the check character over the first 17."""
    born = birth_date.replace("-", "") if isinstance(birth_date, str) else (
        drawn[6:14] if embedded_birth_date(drawn) is not None else "19800101")
    first17 = drawn[:6] + born + drawn[14:17]
    return first17 + check_character(first17)


@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], response: Any) -> None:
    if CALLS is not None:
        phase = case.meta.phase.name.value if case.meta is not None else "none"
        with open(CALLS, "a", encoding="utf-8") as calls:
            calls.write(f"{phase} {case.method.upper()} {case.operation.path} {response.status_code}\n")
