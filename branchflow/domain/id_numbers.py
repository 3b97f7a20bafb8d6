"""Citizen ID numbers (公民身份号码, GB 11643-1999): checked, compared, and masked wherever people are listed.

18 characters: a 6-digit region code (where the number was issued), the 8-digit birth date, a 3-digit sequence
(odd for men, even for women) and a check character over the first 17 by ISO 7064 MOD 11-2. An ID number is
personal data (domain.md "People are recorded once"): it is stored in the case's events and shown in full only
to users whose scope covers the case; everywhere else (lists, the audit trail, logs, messages, exports) it is
`masked`. Error messages never repeat a number in full.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from branchflow.domain.errors import RuleViolation

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
CHECK_CHARACTERS: Final = "10X98765432"  # by the weighted sum mod 11
ID_NUMBER_PATTERN: Final = r"^[1-9][0-9]{5}[0-9]{8}[0-9]{3}[0-9Xx]$"
_SHAPE: Final = re.compile(ID_NUMBER_PATTERN)
# Anything that looks like an ID number inside other text (a search attribute, a log line): 17 digits and a
# check character not glued to more digits.
_INSIDE: Final = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
ID_NUMBER_BIRTH_DATE = "id_number_birth_date"  # the rule: the number's birth date is the recorded one


def check_character(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def masked(id_number: str) -> str:
    """`440403********123X`: the region and the last four, as lists and exports may show it."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:] if len(id_number) > 10 else "*" * len(id_number)


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("id_number", "citizen ID number " + message)


def embedded_birth_date(id_number: str) -> date | None:
    """The birth date positions 7-14 give, None when they are not a real date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def parse_id_number(value: object) -> str:
    """The number as stored (a lowercase x as X), or a `PydanticCustomError` saying what is wrong with it."""
    if not isinstance(value, str):
        raise _error("must be text of 18 characters")
    text = value.upper()  # no stripping: the schema's pattern is what is taken (a ledger's cells are stripped)
    if len(text) != 18:
        raise _error(f"must be 18 characters (GB 11643), got {len(text)}")
    if not _SHAPE.fullmatch(text):
        raise _error("must be 17 digits and a check character (0-9 or X), the region code not starting with 0")
    if embedded_birth_date(text) is None:
        raise _error(f"positions 7-14 must be a real birth date (YYYYMMDD), got {text[6:14]}")
    if text[17] != check_character(text[:17]):
        raise _error(f"has a wrong check character: {masked(text)} would end in {check_character(text[:17])} "
                     "(ISO 7064 MOD 11-2)")
    return text


def is_valid_id_number(value: str) -> bool:
    try:
        parse_id_number(value)
    except ValueError:
        return False
    return True


def contains_id_number(text: str) -> bool:
    """Whether a valid ID number appears anywhere in `text` (verify looks for leaks with it)."""
    return any(is_valid_id_number(m) for m in _INSIDE.findall(text))


def birth_date_problem(id_number: str | None, birth_date: date) -> RuleViolation | None:
    """The recorded birth date must be the one the ID number carries."""
    if id_number is None or (embedded := embedded_birth_date(id_number)) == birth_date:
        return None
    shown = embedded.isoformat() if embedded else "no real date"
    return RuleViolation(ID_NUMBER_BIRTH_DATE, f"the citizen ID number {masked(id_number)} gives the birth date "
                         f"{shown}, the record gives {birth_date.isoformat()}: they must be the same")


def matching_birth_date(id_number: str | None, info: ValidationInfo) -> str | None:
    """A step's `id_number` field validator: 422 naming the field when the step's birth date is another one
    (the aggregate refuses the same with 409, for the doors that bypass the models)."""
    birth_date = info.data.get("birth_date")
    if id_number is not None and isinstance(birth_date, date) and (
            problem := birth_date_problem(id_number, birth_date)) is not None:
        raise PydanticCustomError(ID_NUMBER_BIRTH_DATE, problem.message)
    return id_number


def masked_in(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data (the history, the audit trail) with its ID number masked, also inside a correction."""
    if not any(key == "id_number" or isinstance(value, dict) for key, value in data.items()):
        return data
    return {key: masked(value) if key == "id_number" and isinstance(value, str)
            else masked_in(value) if isinstance(value, dict) else value for key, value in data.items()}


IdNumber = Annotated[str, BeforeValidator(parse_id_number),
                     Field(description="公民身份号码 (GB 11643-1999), optional: 18 characters, the check character "
                                       "verified (a lowercase x is taken as X), its birth date the recorded one",
                           json_schema_extra={"pattern": ID_NUMBER_PATTERN, "minLength": 18, "maxLength": 18,
                                              "examples": ["11010519491231002X"]})]
"""An optional citizen ID number in a step's body."""
