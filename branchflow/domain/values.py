"""Value objects of the domain: codes, regions, industries, people, dates.

Pure (no I/O, no clock): whatever depends on "today" takes it as an argument, or, inside
pydantic models, from the validation context key ``"today"``
(``Model.model_validate(data, context={"today": day})``).

Every parse/check function raises ``PydanticCustomError`` (a ``ValueError``) with an English
message; inside a model the same message appears in the 422 error for the field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal, cast, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

TODAY_CONTEXT_KEY: Final = "today"
OrganizationKind = Literal["economic", "social"]


def _today_from(info: ValidationInfo) -> date | None:
    today = info.context.get(TODAY_CONTEXT_KEY) if isinstance(info.context, dict) else None
    if isinstance(today, datetime):
        return today.date()
    return today if isinstance(today, date) else None


def _date_between(value: date, earliest: date, today: date | None, what: str) -> date:
    if value < earliest:
        raise PydanticCustomError(what.replace(" ", "_"), f"{what} {value} is before {earliest}")
    if today is not None and value > today:
        raise PydanticCustomError(
            what.replace(" ", "_"), f"{what} {value} is in the future (today is {today})"
        )
    return value


# --- Unified social credit code (统一社会信用代码, GB 32100-2015) ---------------------------------

CREDIT_CODE_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
# fmt: off
REGISTRATION_AUTHORITIES: Final[dict[str, str]] = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "工商/市场监管", "A": "中央军委改革和编制办公室", "N": "农业",
    "Y": "其他",
}
# fmt: on


def _credit_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("credit_code", "unified social credit code " + message)


def _check_charset(text: str) -> None:
    bad = [f"{ch!r} at position {i}" for i, ch in enumerate(text, 1) if ch not in CREDIT_CODE_CHARSET]
    if bad:
        raise _credit_error(
            f"has invalid characters ({', '.join(bad)}); allowed are 0-9 and A-Y except I, O, S, V, Z"
        )


def _check_shape(text: str, length: int) -> None:
    if len(text) != length:
        raise _credit_error(f"must be {length} characters, got {len(text)}")
    _check_charset(text)
    if not text[2:8].isdigit():
        raise _credit_error(f"positions 3-8 (administrative division code) must be digits, got {text[2:8]!r}")


def credit_code_check_character(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a credit code."""
    first17 = first17.strip().upper()
    if len(first17) != 17:
        raise _credit_error(f"body must be 17 characters, got {len(first17)}")
    _check_charset(first17)
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def make_credit_code(first17: str) -> str:
    """A valid credit code: the given 17 characters plus their check character."""
    first17 = first17.strip().upper()
    _check_shape(first17, 17)
    return first17 + credit_code_check_character(first17)


def parse_credit_code(value: str) -> str:
    """The normalized (stripped, upper-case) code, or an error saying what is wrong."""
    code = value.strip().upper()
    _check_shape(code, 18)
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise _credit_error(f"has a wrong check character: expected {expected!r}, got {code[17]!r}")
    return code


def is_valid_credit_code(code: str) -> bool:
    try:
        parse_credit_code(code)
    except ValueError:
        return False
    return True


def credit_code_kind(code: str) -> OrganizationKind | None:
    """'economic' for market-regulation registrations (9), 'social' for civil affairs (5), else None."""
    authority = parse_credit_code(code)[0]
    return "economic" if authority == "9" else "social" if authority == "5" else None


CREDIT_CODE_PATTERN: Final = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
# The check character is beyond a pattern: the schema names the format, which clients (and the fuzzer) know.
CreditCode = Annotated[str, AfterValidator(parse_credit_code),
                       Field(json_schema_extra={"pattern": CREDIT_CODE_PATTERN, "format": "credit-code"})]


# --- Region codes (GB/T 2260 + township + village: 12 digits) ----------------------------------

RegionLevel = Literal["province", "city", "county", "street", "community"]
REGION_LEVELS: Final[dict[int, RegionLevel]] = dict(zip((2, 4, 6, 9, 12), get_args(RegionLevel), strict=True))
_PREFIX_LENGTHS: Final = tuple(REGION_LEVELS)


# The same rules for the OpenAPI schema, so that a client (or a fuzzer) knows which strings are region codes.
REGION_PREFIX_PATTERN: Final = r"^(?:0[1-9]|[1-9][0-9])(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?$"
REGION_CODE_PATTERN: Final = r"^(?:0[1-9]|[1-9][0-9])[0-9]{10}$"


def parse_region_prefix(value: str) -> str:
    """A region prefix: 2, 4, 6, 9 or 12 digits, province part not '00'."""
    prefix = value.strip()
    if not prefix:
        raise PydanticCustomError("region_code", "region code must not be empty")
    if not (prefix.isascii() and prefix.isdigit()):
        raise PydanticCustomError("region_code", f"region code must contain only digits, got {prefix!r}")
    if len(prefix) not in REGION_LEVELS:
        raise PydanticCustomError(
            "region_code", f"region code must have 2, 4, 6, 9 or 12 digits, got {len(prefix)}"
        )
    if prefix.startswith("00"):
        raise PydanticCustomError(
            "region_code", f"region code {prefix!r} has province part '00', which does not exist"
        )
    return prefix


def parse_region_code(value: str) -> str:
    """A full 12-digit region code (province, city, county, township/street, village/community)."""
    code = parse_region_prefix(value)
    if len(code) != 12:
        raise PydanticCustomError("region_code", f"region code must have 12 digits, got {len(code)}")
    return code


RegionCode = Annotated[str, AfterValidator(parse_region_code),
                       Field(json_schema_extra={"pattern": REGION_CODE_PATTERN})]
RegionPrefix = Annotated[str, AfterValidator(parse_region_prefix),
                         Field(json_schema_extra={"pattern": REGION_PREFIX_PATTERN})]


def region_level(prefix: str) -> RegionLevel:
    return REGION_LEVELS[len(parse_region_prefix(prefix))]


def child_prefix_length(prefix: str) -> int | None:
    """Length of the prefixes one level down (2→4→6→9→12), None for a community."""
    index = _PREFIX_LENGTHS.index(len(parse_region_prefix(prefix)))
    return _PREFIX_LENGTHS[index + 1] if index + 1 < len(_PREFIX_LENGTHS) else None


def region_prefixes(code: str) -> list[str]:
    """All prefixes of a 12-digit code, province first, the code itself last."""
    code = parse_region_code(code)
    return [code[:n] for n in _PREFIX_LENGTHS]


def in_region(code: str, prefix: str) -> bool:
    return parse_region_code(code).startswith(parse_region_prefix(prefix))


# --- Industry (GB/T 4754 sections) -------------------------------------------------------------

IndustrySection = Literal[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T"
]
# fmt: off
INDUSTRY_NAMES: Final[dict[IndustrySection, str]] = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业", "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业", "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业", "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业",
    "P": "教育", "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
# fmt: on
_SECTIONS: Final = frozenset(get_args(IndustrySection))


def parse_industry(value: object) -> IndustrySection:
    # Only text can be a section: a list or an object would not even hash for the lookup.
    section = value.strip().upper() if isinstance(value, str) else None
    if section not in _SECTIONS:
        raise PydanticCustomError(
            "industry", f"industry must be a GB/T 4754 section letter A-T, got {value!r}"
        )
    return cast(IndustrySection, section)


Industry = Annotated[IndustrySection, BeforeValidator(parse_industry)]


# --- Organizations -----------------------------------------------------------------------------


class EconomicSubtype(StrEnum):
    private = "private"
    individual = "individual"
    foreign_invested = "foreign_invested"
    other = "other"


class SocialSubtype(StrEnum):
    social_association = "social_association"
    private_non_enterprise = "private_non_enterprise"
    foundation = "foundation"
    intermediary = "intermediary"
    trade_association = "trade_association"
    learned_society = "learned_society"


# An organization's subtype (api.md's values), one of its kind's: `registration.subtype_problem` checks the pair.
Subtype = Literal[
    "private", "individual", "foreign_invested", "other",
    "social_association", "private_non_enterprise", "foundation", "intermediary", "trade_association",
    "learned_society",
]
SUBTYPES: Final[dict[str, tuple[str, ...]]] = {
    "economic": tuple(EconomicSubtype), "social": tuple(SocialSubtype),
}
assert set(get_args(Subtype)) == set(EconomicSubtype) | set(SocialSubtype)

# fmt: off
SUBTYPE_LABELS: Final[dict[EconomicSubtype | SocialSubtype, str]] = {
    EconomicSubtype.private: "私营企业", EconomicSubtype.individual: "个体工商户",
    EconomicSubtype.foreign_invested: "外商投资企业", EconomicSubtype.other: "其他",
    SocialSubtype.social_association: "社会团体", SocialSubtype.private_non_enterprise: "民办非企业单位",
    SocialSubtype.foundation: "基金会", SocialSubtype.intermediary: "中介机构",
    SocialSubtype.trade_association: "行业协会", SocialSubtype.learned_society: "学会",
}
# fmt: on


# --- Dates -------------------------------------------------------------------------------------

EARLIEST_BUSINESS_DATE: Final = date(1949, 10, 1)
ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def calendar_date(value: object) -> object:
    """Only a date or its text YYYY-MM-DD: pydantic would read a number (0, "1700000000") as a Unix time."""
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE.fullmatch(value.strip())):
        return value.strip() if isinstance(value, str) else value
    raise PydanticCustomError("date_format", "a date must be written YYYY-MM-DD, got {value}", {"value": repr(value)})


CalendarDate = Annotated[date, BeforeValidator(calendar_date)]
"""A date in a body or a query: any date, written YYYY-MM-DD."""


def business_date(value: date, *, today: date) -> date:
    """A date the system accepts: from 1949-10-01 up to and including ``today``."""
    return _date_between(value, EARLIEST_BUSINESS_DATE, today, "date")


def _business_date_in_context(value: date, info: ValidationInfo) -> date:
    return _date_between(value, EARLIEST_BUSINESS_DATE, _today_from(info), "date")


BusinessDate = Annotated[date, BeforeValidator(calendar_date), AfterValidator(_business_date_in_context)]
"""A business date in a model; the future check applies when the context gives ``today``."""


# --- People ------------------------------------------------------------------------------------

Gender = Literal["male", "female"]


class Education(StrEnum):
    """Education levels, declared from lowest to highest; ``<`` etc. compare by level."""

    primary_or_less = "primary_or_less"
    junior_middle = "junior_middle"
    senior_middle = "senior_middle"  # including vocational secondary (中专、中技、职高)
    junior_college = "junior_college"
    bachelor = "bachelor"
    postgraduate = "postgraduate"

    @property
    def rank(self) -> int:
        return list(Education).index(self)

    def __lt__(self, other: str) -> bool:
        return self.rank < other.rank if isinstance(other, Education) else str.__lt__(self, other)

    def __le__(self, other: str) -> bool:
        return self.rank <= other.rank if isinstance(other, Education) else str.__le__(self, other)

    def __gt__(self, other: str) -> bool:
        return self.rank > other.rank if isinstance(other, Education) else str.__gt__(self, other)

    def __ge__(self, other: str) -> bool:
        return self.rank >= other.rank if isinstance(other, Education) else str.__ge__(self, other)


# fmt: off
EDUCATION_LABELS: Final[dict[Education, str]] = {
    Education.primary_or_less: "小学及以下", Education.junior_middle: "初中",
    Education.senior_middle: "高中、中专", Education.junior_college: "大专",
    Education.bachelor: "大学本科", Education.postgraduate: "研究生",
}
# fmt: on


def is_junior_middle_or_less(education: Education | str) -> bool:
    # Stored members keep the level as text; compare by level, never alphabetically.
    return Education(education) <= Education.junior_middle


def age_on(birth_date: date, day: date) -> int:
    """Whole years on ``day``; someone born on 29 February turns a year older on 1 March."""
    if day < birth_date:
        raise ValueError(f"day {day} is before the birth date {birth_date}")
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


AgeBand = Literal["under_35", "35_to_45", "46_to_60", "over_60"]
AGE_BANDS: Final[tuple[AgeBand, ...]] = get_args(AgeBand)


def age_band(age: int) -> AgeBand:
    """Under 35, 35 to 45, 46 to 60, over 60 (all inclusive of whole years)."""
    if age < 0:
        raise ValueError(f"age must not be negative, got {age}")
    if age < 35:
        return "under_35"
    if age <= 45:
        return "35_to_45"
    return "46_to_60" if age <= 60 else "over_60"


EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)


# What a name may hold, as one pattern for the server's check and the OpenAPI schema alike (explicit ranges:
# JSON Schema's \w and \s are ASCII-only). No control character; no bidirectional control, which reorders what
# a reader sees ("\u202eabc" shows as "cba") so that a name could pose as another; and at least one visible
# character (not a space, a zero-width or joining character, a lone combining mark). Spaces around are stripped.
CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
BIDI: Final = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
SPACE: Final = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
INVISIBLE: Final = (CONTROL + BIDI + SPACE + r"\xad\u0300-\u036f\u115f\u1160\u180b-\u180f\u200b-\u200d"
                    r"\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0")
NAME_PATTERN: Final = rf"^[^{CONTROL}{BIDI}]*[^{INVISIBLE}][^{CONTROL}{BIDI}]*$"
TEXT_CONTROL: Final = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # control characters but tab and line breaks
TEXT_PATTERN: Final = rf"^[^{TEXT_CONTROL}]*$"  # free text: tabs and line breaks too
KEY_PATTERN: Final = rf"^[^{CONTROL}]+$"
_NAME = re.compile(NAME_PATTERN)
_BIDI = re.compile(f"[{BIDI}]")
_CONTROL = re.compile(f"[{CONTROL}]")


def readable_name(value: str, kind: str = "name_text") -> str:
    """A name people can read and tell apart (`NAME_PATTERN`), or an error saying what is wrong with it."""
    if _NAME.fullmatch(value):
        return value
    if _CONTROL.search(value):
        raise PydanticCustomError(kind, "a name must not contain control characters")
    if _BIDI.search(value):
        raise PydanticCustomError(kind, "a name must not contain bidirectional control characters "
                                        "(U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)")
    raise PydanticCustomError(kind, "a name must have at least one visible character")


def _matching(pattern: str, what: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("text", f"{what} must not contain control characters")
        return value

    return AfterValidator(check)


def parse_person_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= 50:
        raise PydanticCustomError("person_name", f"name must be 1 to 50 characters, got {len(name)}")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise PydanticCustomError("person_name", "name must not contain control characters")
    return readable_name(name, "person_name")


def _birth_date_in_context(value: date, info: ValidationInfo) -> date:
    return _date_between(value, EARLIEST_BIRTH_DATE, _today_from(info), "birth date")


PersonName = Annotated[str, AfterValidator(parse_person_name),
                       Field(json_schema_extra={"minLength": 1, "maxLength": 50, "pattern": NAME_PATTERN})]
# The example is the birth date of GB 11643's example ID number (id_numbers.py), so that a step's example with
# both is one person (an example is taken as valid data by clients and by the fuzz test).
BirthDate = Annotated[date, BeforeValidator(calendar_date), AfterValidator(_birth_date_in_context),
                      Field(json_schema_extra={"examples": ["1949-12-31"]})]


class Person(BaseModel):
    """A person (e.g. a party member). Validate with ``context={"today": day}`` to reject future births."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: PersonName
    gender: Gender
    birth_date: BirthDate
    education: Education

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


# --- Text --------------------------------------------------------------------------------------


def no_control_characters(value: str, allowed: str = "") -> str:
    # PostgreSQL cannot store NUL in text, and other control characters only hide things from readers.
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise PydanticCustomError("text", "text must not contain control characters")
    return value


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                  AfterValidator(readable_name),
                  Field(json_schema_extra={"pattern": NAME_PATTERN})]
"""A name of an organization or a party organization."""
Reason = Annotated[str, StringConstraints(max_length=2000), _matching(TEXT_PATTERN, "text"),
                   Field(json_schema_extra={"pattern": TEXT_PATTERN})]
"""Why a step was taken: free text over several lines."""
# Free text with something in it (what `str.strip()` leaves), for a reason a step requires; the step's own
# validator names the rule, this says it in the schema.
GIVEN_TEXT_PATTERN: Final = rf"^[^{TEXT_CONTROL}]*[^{TEXT_CONTROL}\t\n\r{SPACE}][^{TEXT_CONTROL}]*$"
GivenReason = Annotated[str, StringConstraints(max_length=2000), _matching(TEXT_PATTERN, "text"),
                        Field(json_schema_extra={"pattern": GIVEN_TEXT_PATTERN, "minLength": 1})]
"""A reason that must be given (a transfer given up)."""
Key = Annotated[str, StringConstraints(min_length=1, max_length=200), _matching(KEY_PATTERN, "a key"),
                Field(json_schema_extra={"pattern": KEY_PATTERN})]
# A responsible party committee's code in the registry (`branchflow committee add`): letters, digits, - _ .
CommitteeCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
"""An identifier a client chooses (a command id)."""
