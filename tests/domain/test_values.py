"""The domain's value objects, as a specification."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from branchflow.domain.values import (
    AGE_BANDS,
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_WEIGHTS,
    EDUCATION_LABELS,
    INDUSTRY_NAMES,
    SUBTYPE_LABELS,
    BusinessDate,
    CreditCode,
    EconomicSubtype,
    Education,
    Industry,
    Person,
    RegionCode,
    RegionPrefix,
    SocialSubtype,
    age_band,
    age_on,
    business_date,
    child_prefix_length,
    credit_code_check_character,
    credit_code_kind,
    in_region,
    is_junior_middle_or_less,
    is_valid_credit_code,
    make_credit_code,
    parse_credit_code,
    parse_industry,
    parse_region_prefix,
    region_level,
    region_prefixes,
)


class Organization(BaseModel):
    """A stand-in for a request body: errors must name the field."""

    credit_code: CreditCode
    region: RegionCode
    scope: RegionPrefix = "44"
    industry: Industry
    founded: BusinessDate = date(2000, 1, 1)


def errors_of(**fields: object) -> list[tuple[str, str]]:
    data = {"credit_code": "914403001922038216", "region": "440305001001", "industry": "I"} | fields
    with pytest.raises(ValidationError) as raised:
        Organization.model_validate(data, context={"today": date(2024, 6, 1)})
    return [(str(error["loc"][0]), error["msg"]) for error in raised.value.errors()]


# --- Unified social credit code ----------------------------------------------------------------

REAL_CODES = [
    "91350100M000100Y43",  # the example commonly cited with GB 32100
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert parse_credit_code(code) == code
    assert credit_code_check_character(code[:17]) == code[17]


def test_the_weights_are_powers_of_three_mod_31() -> None:
    assert CREDIT_CODE_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert CREDIT_CODE_CHARSET == "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_a_check_value_of_31_becomes_0() -> None:
    # all zeros: sum 0, 31 - 0 = 31 -> 0
    assert credit_code_check_character("0" * 17) == "0"


def test_the_computed_check_character_of_a_made_up_body() -> None:
    assert make_credit_code("91110108102456000") == "91110108102456000B"
    assert not is_valid_credit_code("911101081024560000")


def test_a_credit_code_with_a_wrong_check_character_is_rejected() -> None:
    with pytest.raises(ValueError, match="wrong check character: expected '3', got '4'"):
        parse_credit_code("91350100M000100Y44")


def test_a_credit_code_is_upper_cased_and_stripped() -> None:
    assert parse_credit_code("  9144030071526726xg\n") == "9144030071526726XG"
    assert Organization(
        credit_code=" 9144030071526726xg", region="440305001001", industry="I"
    ).credit_code == ("9144030071526726XG")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "must be 18 characters, got 0"),
        ("91350100M000100Y4", "must be 18 characters, got 17"),
        ("91350100M000100Y433", "must be 18 characters, got 19"),
        ("91350100M0001O0Y43", "invalid characters ('O' at position 14)"),
        ("91350100MI00100Y43", "invalid characters ('I' at position 10)"),
        ("9135010SM000100Y43", "invalid characters ('S' at position 8)"),
        ("91350100M00010VZ43", "'V' at position 15, 'Z' at position 16"),
        ("9135010AM000100Y43", "positions 3-8 (administrative division code) must be digits"),
    ],
)
def test_a_malformed_credit_code_is_rejected_saying_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_credit_code(code)
    assert not is_valid_credit_code(code)


def test_a_credit_code_error_names_the_field() -> None:
    [(field, message)] = errors_of(credit_code="91350100M000100Y44")
    assert field == "credit_code"
    assert message == "unified social credit code has a wrong check character: expected '3', got '4'"


def test_the_registration_authority_tells_the_kind_of_organization() -> None:
    assert credit_code_kind("914403001922038216") == "economic"
    assert credit_code_kind(make_credit_code("53100000500021676")) == "social"
    assert credit_code_kind(make_credit_code("12100000400000000")) is None
    assert credit_code_kind(make_credit_code("Y1440300000000000")) is None


def test_a_credit_code_body_needs_digits_for_the_division_code() -> None:
    with pytest.raises(ValueError, match="positions 3-8"):
        make_credit_code("91A50100M000100Y4")
    with pytest.raises(ValueError, match="17 characters"):
        make_credit_code("91350100M000100Y")


charset = st.sampled_from(CREDIT_CODE_CHARSET)
digit = st.sampled_from("0123456789")
bodies = st.tuples(
    st.text(charset, min_size=2, max_size=2),
    st.text(digit, min_size=6, max_size=6),
    st.text(charset, min_size=9, max_size=9),
).map("".join)


@given(st.text(charset, min_size=17, max_size=17))
def test_the_check_character_makes_the_weighted_sum_divisible_by_31(first17: str) -> None:
    check = credit_code_check_character(first17)
    values = [CREDIT_CODE_CHARSET.index(ch) for ch in first17]
    total = sum(v * w for v, w in zip(values, CREDIT_CODE_WEIGHTS, strict=True))
    assert (total + CREDIT_CODE_CHARSET.index(check)) % 31 == 0


@given(bodies)
def test_any_well_formed_body_makes_a_valid_credit_code(first17: str) -> None:
    code = make_credit_code(first17)
    assert code[:17] == first17
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())


@given(bodies, st.integers(0, 17), charset)
def test_changing_any_single_character_of_a_valid_code_makes_it_invalid(
    first17: str, position: int, replacement: str
) -> None:
    code = make_credit_code(first17)
    if code[position] == replacement:
        return
    assert not is_valid_credit_code(code[:position] + replacement + code[position + 1 :])


# --- Region codes ------------------------------------------------------------------------------


def test_a_region_code_has_twelve_digits_and_each_prefix_names_a_level() -> None:
    code = "440403001002"
    assert region_prefixes(code) == ["44", "4404", "440403", "440403001", "440403001002"]
    assert [region_level(p) for p in region_prefixes(code)] == [
        "province",
        "city",
        "county",
        "street",
        "community",
    ]
    assert [child_prefix_length(p) for p in region_prefixes(code)] == [4, 6, 9, 12, None]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("4404030010O2", "only digits"),
        ("44-403", "only digits"),
        ("４４", "only digits"),  # full-width digits
        ("44040", "2, 4, 6, 9 or 12 digits, got 5"),
        ("4404030010021", "2, 4, 6, 9 or 12 digits, got 13"),
        ("000000000000", "province part '00'"),
    ],
)
def test_a_malformed_region_code_is_rejected(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_region_prefix(value)
    assert (field := errors_of(region=value)[0])[0] == "region" and message in field[1]


def test_a_region_code_must_be_complete_but_a_scope_may_be_any_level() -> None:
    assert errors_of(region="440403") == [("region", "region code must have 12 digits, got 6")]
    assert Organization(
        credit_code=REAL_CODES[1], region="440403001002", scope="440403", industry="C"
    ).scope == ("440403")


def test_a_code_is_in_the_regions_of_its_prefixes_only() -> None:
    assert in_region("440403001002", "44")
    assert in_region("440403001002", "440403001")
    assert in_region("440403001002", "440403001002")
    assert not in_region("440403001002", "4405")
    assert not in_region("440403001002", "440403002")
    with pytest.raises(ValueError):
        in_region("440403001002", "440")


region_codes = st.text(digit, min_size=12, max_size=12).filter(lambda c: not c.startswith("00"))


@given(region_codes, st.data())
def test_region_prefixes_and_in_region_agree(code: str, data: st.DataObject) -> None:
    length = data.draw(st.sampled_from([2, 4, 6, 9, 12]))
    prefix = data.draw(
        st.one_of(st.just(code[:length]), st.text(digit, min_size=length, max_size=length)).filter(
            lambda p: not p.startswith("00")
        )
    )
    assert in_region(code, prefix) == (prefix in region_prefixes(code))
    assert all(in_region(code, p) for p in region_prefixes(code))


# --- Industry ----------------------------------------------------------------------------------


def test_industry_is_a_section_letter_from_a_to_t() -> None:
    assert list(INDUSTRY_NAMES) == list("ABCDEFGHIJKLMNOPQRST")
    assert INDUSTRY_NAMES["C"] == "制造业"
    assert INDUSTRY_NAMES["I"] == "信息传输、软件和信息技术服务业"
    assert parse_industry(" c ") == "C"
    assert Organization(credit_code=REAL_CODES[1], region="440403001002", industry="i").industry == "I"


@pytest.mark.parametrize("value", ["U", "u", "", "CC", "1", "制造业", 3])
def test_an_unknown_industry_is_rejected(value: object) -> None:
    [(field, message)] = errors_of(industry=value)
    assert field == "industry"
    assert message.startswith("industry must be a GB/T 4754 section letter A-T")


# --- Organizations -----------------------------------------------------------------------------


def test_every_subtype_has_a_chinese_label() -> None:
    assert set(SUBTYPE_LABELS) == set(EconomicSubtype) | set(SocialSubtype)
    assert SUBTYPE_LABELS[SocialSubtype.private_non_enterprise] == "民办非企业单位"


# --- Dates -------------------------------------------------------------------------------------


TODAY = date(2024, 6, 1)


def test_business_dates_run_from_the_founding_of_the_prc_to_today() -> None:
    assert business_date(date(1949, 10, 1), today=TODAY) == date(1949, 10, 1)
    assert business_date(TODAY, today=TODAY) == TODAY
    with pytest.raises(ValueError, match="date 1949-09-30 is before 1949-10-01"):
        business_date(date(1949, 9, 30), today=TODAY)
    with pytest.raises(ValueError, match=r"date 2024-06-02 is in the future \(today is 2024-06-01\)"):
        business_date(date(2024, 6, 2), today=TODAY)


def test_a_business_date_in_a_model_uses_today_from_the_context() -> None:
    assert errors_of(founded="2024-06-02") == [
        ("founded", "date 2024-06-02 is in the future (today is 2024-06-01)")
    ]
    assert errors_of(founded="1900-01-01")[0][0] == "founded"


# --- People ------------------------------------------------------------------------------------


def test_education_levels_are_ordered_from_lowest() -> None:
    levels = list(Education)
    assert levels == sorted(levels, key=lambda e: e.rank)
    assert sorted(reversed(levels)) == levels
    assert Education.bachelor > Education.junior_college
    assert Education.postgraduate >= Education.primary_or_less
    assert Education.junior_middle < Education.senior_middle <= Education.senior_middle
    assert EDUCATION_LABELS[Education.junior_college] == "大专"
    assert set(EDUCATION_LABELS) == set(Education)


def test_junior_middle_or_less_is_the_seeds_low_education_group() -> None:
    low = {e for e in Education if is_junior_middle_or_less(e)}
    assert low == {Education.primary_or_less, Education.junior_middle}


def test_age_counts_whole_years_and_changes_on_the_birthday() -> None:
    born = date(1964, 6, 1)
    assert age_on(born, born) == 0
    assert age_on(born, date(2024, 5, 31)) == 59
    assert age_on(born, date(2024, 6, 1)) == 60
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(born, date(1964, 5, 31))


def test_someone_born_on_29_february_turns_older_on_1_march_in_common_years() -> None:
    born = date(2000, 2, 29)
    assert age_on(born, date(2023, 2, 28)) == 22
    assert age_on(born, date(2023, 3, 1)) == 23
    assert age_on(born, date(2024, 2, 28)) == 23
    assert age_on(born, date(2024, 2, 29)) == 24


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(dates, dates, dates)
def test_age_never_decreases_as_the_day_moves_on(born: date, a: date, b: date) -> None:
    born, first, later = sorted([born, a, b])
    assert 0 <= age_on(born, first) <= age_on(born, later)
    assert age_on(born, later) - age_on(born, first) <= (later - first).days // 365 + 1


@pytest.mark.parametrize(
    ("age", "band"),
    [(18, "under_35"), (34, "under_35"), (35, "35_to_45"), (45, "35_to_45"), (46, "46_to_60"),
     (60, "46_to_60"), (61, "over_60"), (101, "over_60")],
)  # fmt: skip
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band
    assert band in AGE_BANDS


def test_age_bands_cover_every_age_in_order() -> None:
    assert AGE_BANDS == ("under_35", "35_to_45", "46_to_60", "over_60")
    bands = [age_band(age) for age in range(0, 120)]
    assert sorted(set(bands), key=AGE_BANDS.index) == list(AGE_BANDS)
    assert bands == sorted(bands, key=AGE_BANDS.index)
    with pytest.raises(ValueError, match="negative"):
        age_band(-1)


MEMBER = {"name": "  张三 ", "gender": "female", "birth_date": "1960-03-15", "education": "junior_middle"}


def test_a_person_is_validated_and_frozen() -> None:
    person = Person.model_validate(MEMBER, context={"today": TODAY})
    assert person.name == "张三"
    assert person.education is Education.junior_middle
    assert person.age_on(TODAY) == 64
    assert age_band(person.age_on(TODAY)) == "over_60"
    with pytest.raises(ValidationError):
        person.name = "李四"  # type: ignore[misc]
    assert Person.model_validate(person.model_dump()) == person


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "   "}, "name", "name must be 1 to 50 characters, got 0"),
        ({"name": "张" * 51}, "name", "name must be 1 to 50 characters, got 51"),
        ({"name": "张\x00三"}, "name", "name must not contain control characters"),
        ({"name": "张\n三"}, "name", "name must not contain control characters"),
        ({"gender": "other"}, "gender", "Input should be 'male' or 'female'"),
        ({"education": "phd"}, "education", "Input should be 'primary_or_less'"),
        ({"birth_date": "1899-12-31"}, "birth_date", "birth date 1899-12-31 is before 1900-01-01"),
        ({"birth_date": "2024-06-02"}, "birth_date", "birth date 2024-06-02 is in the future"),
        ({"age": 64}, "age", "Extra inputs are not permitted"),
    ],
)
def test_an_invalid_person_is_rejected_naming_the_field(
    change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Person.model_validate(MEMBER | change, context={"today": TODAY})
    [error] = raised.value.errors()
    assert error["loc"] == (field,)
    assert error["msg"].startswith(message)


def test_a_name_of_fifty_characters_and_a_birth_today_are_accepted() -> None:
    person = Person.model_validate(
        MEMBER | {"name": "阿" * 50, "birth_date": TODAY}, context={"today": TODAY}
    )
    assert len(person.name) == 50
    assert person.age_on(TODAY + timedelta(days=366)) == 1
