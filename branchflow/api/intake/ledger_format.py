"""The work ledger's format (docs/ledger-format.md): headers, cells, and the commands each row becomes."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from branchflow.domain.actions import AddMember, parse_action
from branchflow.domain.id_numbers import embedded_birth_date, parse_id_number
from branchflow.domain.registration import DEFAULT_SUBTYPE, Registration
from branchflow.domain.values import (
    EDUCATION_LABELS,
    INDUSTRY_NAMES,
    SUBTYPE_LABELS,
    SUBTYPES,
    Education,
    credit_code_kind,
    parse_credit_code,
)

# --- the format ------------------------------------------------------------------------------------

# Canonical field (also its English header) -> the Chinese headers organizers use for it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "row_type": ("类型", "行类型", "记录类型"),
    "name": ("单位名称", "组织名称", "企业名称", "名称"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "kind": ("单位类型", "组织类型", "单位类别", "组织类别"),  # 组织类别: the exported ledger's
    "subtype": ("单位性质", "细分类型", "企业类型", "社会组织类型", "登记类型", "subtype"),
    "registered": ("是否登记", "登记情况"),
    "region_code": ("区划代码", "行政区划代码"),
    "industry": ("行业", "所属行业", "行业门类"),
    "employees": ("从业人员数", "从业人员", "职工人数", "员工人数"),
    "above_scale": ("是否规模以上", "规模以上"),
    "founded_on": ("成立日期", "成立时间"),
    "superior_party_org": ("隶属党组织", "党组织隶属关系"),
    "owner_is_member": ("业主是否党员", "出资人是否党员"),
    "member_name": ("党员姓名", "姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月"),
    "education": ("学历", "文化程度"),
    "member_status": ("党员类型", "党员身份"),
    "relation_transferred": ("组织关系是否转入", "关系是否转入"),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "身份证"),
}
_HEADERS = {alias: name for name, aliases in COLUMNS.items() for alias in (name, *aliases)}
_ROW_TYPES = {"单位": "organization", "组织": "organization", "两新组织": "organization",
              "organization": "organization", "党员": "member", "member": "member"}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "已登记", "已转入", "规上"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "未登记", "未转入", "规下"}
# A subtype's words: its value, its label (SUBTYPE_LABELS) and what ledgers write for it.
_SUBTYPE_WORDS: dict[str, tuple[str, ...]] = {
    "private": ("私营", "私营企业", "民营企业", "私营有限责任公司", "私营股份有限公司", "私人独资企业", "合伙企业"),
    "individual": ("个体", "个体户", "个体工商户", "个体经营"),
    "foreign_invested": ("外商投资", "外资", "外资企业", "外商投资企业", "外商独资企业", "中外合资企业",
                         "中外合作企业", "港澳台投资企业", "港澳台商投资企业"),
    "other": ("其他", "其他企业"),
    "social_association": ("社会团体", "社团"),
    "private_non_enterprise": ("民办非企业单位", "民非", "社会服务机构"),
    "foundation": ("基金会",),
    "intermediary": ("中介机构", "中介组织", "律师事务所", "会计师事务所", "税务师事务所", "审计师事务所",
                     "资产评估机构"),
    "trade_association": ("行业协会", "商会", "行业协会商会"),
    "learned_society": ("学会", "研究会"),
}
_SUBTYPES = {**{label: subtype.value for subtype, label in SUBTYPE_LABELS.items()},
             **{word: subtype for subtype, words in _SUBTYPE_WORDS.items() for word in (subtype, *words)}}
_KIND_OF_SUBTYPE = {subtype: kind for kind, subtypes in SUBTYPES.items() for subtype in subtypes}
# A kind's words; a subtype's words name its kind too (单位类型 = 社会团体 is a social organization).
_KINDS = {"economic": ("economic", "企业", "经济组织", "新经济组织", "非公有制企业", "非公企业"),
          "social": ("social", "社会组织", "新社会组织")}
_KIND_WORDS = {**{word: _KIND_OF_SUBTYPE[subtype] for word, subtype in _SUBTYPES.items() if word != "其他"},
               **{alias: kind for kind, aliases in _KINDS.items() for alias in aliases}}
_GENDER = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male", "f": "female"}
_STATUS = {"正式党员": "formal", "正式": "formal", "formal": "formal",
           "预备党员": "probationary", "预备": "probationary", "probationary": "probationary"}
_EDUCATION = {**{label: e.value for e, label in EDUCATION_LABELS.items()}, **{e.value: e.value for e in Education},
              "小学": "primary_or_less", "文盲": "primary_or_less", "高中": "senior_middle", "中专": "senior_middle",
              "中技": "senior_middle", "职高": "senior_middle", "技校": "senior_middle", "专科": "junior_college",
              "高职": "junior_college", "本科": "bachelor", "大学": "bachelor", "硕士": "postgraduate",
              "博士": "postgraduate", "硕士研究生": "postgraduate", "博士研究生": "postgraduate"}
_ORG_FIELDS = ("name", "credit_code", "kind", "subtype", "registered", "region_code", "industry", "employees",
               "above_scale", "founded_on", "superior_party_org", "owner_is_member")
_MEMBER_FIELDS = {"member_name": "name", "gender": "gender", "birth_date": "birth_date", "education": "education",
                  "member_status": "status", "relation_transferred": "relation_transferred", "id_number": "id_number"}
Cells = dict[str, Any]


def _header_key(text: object) -> str | None:
    """A header cell's field: case, spaces, '*' and bracketed notes such as （人） do not matter."""
    return _HEADERS.get(re.sub(r"[（(][^）)]*[）)]|[\s*]", "", str(text or "")).lower())


def read_ledger(path: Path) -> tuple[list[tuple[int, Cells]], list[str]]:
    """The rows under the header row (title rows above it are skipped), each with its line as Excel shows it,
    and the headers that were not understood. XLSX (first sheet) or CSV in UTF-8 (BOM or not) or GB18030."""
    data = path.read_bytes()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError(f"{path}: an old Excel .xls file; save it as .xlsx or CSV")
    table = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    header = next((i for i, (_, cells) in enumerate(table[:20]) if _is_header(cells)), None)
    if header is None:
        raise ValueError(f"{path}: no header row with 单位名称/name or 统一社会信用代码/credit_code in its first rows")
    fields = [_header_key(c) for c in table[header][1]]
    ignored = [str(c).strip() for c, f in zip(table[header][1], fields, strict=True) if f is None and not _blank(c)]
    rows = [(line, {f: v for f, v in zip(fields, values, strict=False) if f is not None and not _blank(v)})
            for line, values in table[header + 1:]]
    return [(line, cells) for line, cells in rows if cells], ignored


def _is_header(cells: Sequence[Any]) -> bool:
    fields = {_header_key(c) for c in cells} - {None}
    return len(fields) >= 2 and bool({"name", "credit_code"} & fields)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(data: bytes) -> list[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    sheet.reset_dimensions()  # some writers store a wrong sheet size, which read-only mode would trust
    return list(enumerate(sheet.iter_rows(values_only=True), start=1))


def _csv_rows(data: bytes) -> list[tuple[int, Sequence[Any]]]:
    try:  # Excel saves "CSV UTF-8" with a BOM, plain "CSV" in the system's code page: GB18030 (GBK) in China
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    delimiter = max(",\t;", key=text[:4096].count)
    return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))


# --- cells to command fields -----------------------------------------------------------------------


class CellError(ValueError):
    pass


def cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a numeric Excel cell
    return str(value).strip()


def _lookup(table: dict[str, str], what: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if (found := table.get(text := cell_text(value), table.get(text.lower()))) is None:
            raise CellError(f"unknown {what} {text!r}; use one of {', '.join(sorted(set(table)))}")
        return found
    return convert


def _bool(value: object) -> bool:
    if (text := cell_text(value).lower()) in _TRUE | _FALSE:
        return text in _TRUE
    raise CellError(f"expected 是 or 否 (yes/no), got {cell_text(value)!r}")


def _int(value: object) -> int:
    with suppress(ValueError):
        if (number := float(cell_text(value).replace(",", ""))).is_integer():
            return int(number)
    raise CellError(f"expected a whole number, got {cell_text(value)!r}")


_DATE = re.compile(r"(?:(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)|(\d{4})(\d{2})(\d{2}))"
                   r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")  # a time after the date, as Excel exports it, is ignored


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    with suppress(ValueError):
        if match := _DATE.fullmatch(cell_text(value)):
            year, month, day = (int(g) if g else 1 for g in (match[1] or match[4], match[2] or match[5],
                                                               match[3] or match[6]))
            return date(year, month, day)  # 出生年月 without a day: the first of the month
    raise CellError(f"expected a date such as 2015-03-01, 2015/3/1 or 2015年3月1日, got {cell_text(value)!r}")


def _month_only(value: object) -> bool:
    """出生年月: a year and month without a day (read as the 1st)."""
    match = None if isinstance(value, date) else _DATE.fullmatch(cell_text(value))
    return match is not None and match[3] is None and match[6] is None


def _id_number(value: object) -> str:
    if isinstance(value, int | float):  # Excel keeps 15 significant digits of a number: the last ones are lost
        raise CellError("a citizen ID number typed into a number cell has lost its last digits; format the column "
                        "as text and type it again")
    return cell_text(value)


def _industry(value: object) -> str:
    text = cell_text(value)
    if re.match(r"[A-Za-z](?![A-Za-z])", text):
        return text[:1].upper()  # "C", "C 制造业", "C制造业"
    return {n: letter for letter, n in INDUSTRY_NAMES.items()}.get(text, text)  # "制造业"; else refused later


CONVERTERS: dict[str, Callable[[object], object]] = {
    "row_type": _lookup(_ROW_TYPES, "row type"), "registered": _bool, "employees": _int, "above_scale": _bool,
    "kind": _lookup(_KIND_WORDS, "kind"), "subtype": _lookup(_SUBTYPES, "subtype"),
    "founded_on": _date, "owner_is_member": _bool, "industry": _industry, "gender": _lookup(_GENDER, "gender"),
    "birth_date": _date, "education": _lookup(_EDUCATION, "education"),
    "member_status": _lookup(_STATUS, "member status"), "relation_transferred": _bool, "id_number": _id_number,
}


def _converted(cells: Cells) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in cells.items():
        try:
            values[name] = CONVERTERS.get(name, cell_text)(raw)
        except CellError as error:
            problems.append(f"{name}: {error}")
    return values, problems


def _problems(error: ValidationError, problems: list[str], names: dict[str, str] | None = None) -> list[str]:
    """`field: message` per error, named as in the ledger, after the problems already found in the cells."""
    reported = {p.split(":")[0] for p in problems}
    for e in error.errors():
        # The field is the last name in the location (a step's begins with its action); a model-level rule
        # names its field in its type.
        loc = next((p for p in reversed(e["loc"]) if isinstance(p, str)), e["type"])
        if (name := (names or {}).get(loc, loc)) not in reported:
            problems.append(f"{name}: {'required' if e['type'] == 'missing' else e['msg']}")
    return problems


def organization_row(cells: Cells, today: date) -> Registration | list[str]:
    values, problems = _converted(cells)
    if "registered" not in cells:
        values["registered"] = "credit_code" in values  # 是否登记 left blank: registered if it has a code
    if "subtype" not in cells and (word := cell_text(cells.get("kind", ""))) in _SUBTYPES and word != "其他":
        values["subtype"] = _SUBTYPES[word]  # 单位类型 = 律师事务所: an intermediary
    if "kind" not in cells and "subtype" in values:
        values["kind"] = _KIND_OF_SUBTYPE[values["subtype"]]
    if "kind" not in cells and "credit_code" in values:
        with suppress(ValueError):  # a bad code is reported by the registration
            values["kind"] = credit_code_kind(values["credit_code"])  # 9 enterprise, 5 social organization
    if "subtype" not in values and values.get("kind") in DEFAULT_SUBTYPE:
        values["subtype"] = DEFAULT_SUBTYPE[values["kind"]]  # a ledger without subtypes: the kind's commonest
    facts = {k: v for k, v in values.items() if k in _ORG_FIELDS and v is not None}
    try:
        registration = Registration.model_validate(facts, context={"today": today})
    except ValidationError as error:
        return _problems(error, problems)
    return problems or registration


def member_row(cells: Cells, today: date) -> tuple[AddMember, str | None] | list[str]:
    """The step and the organization's credit code, if the row gives one."""
    values, problems = _converted(cells)
    code = values.get("credit_code")
    try:
        code = parse_credit_code(code) if code else None
    except ValueError as error:
        problems.append(f"credit_code: {error}")
    if not code and "name" not in values:
        problems.append("name: the member's organization needs its credit_code or its name")
    if (born := _born(values, cells)) is not None:
        values["birth_date"] = born
    body = {"action": "add_member", **{step: values[f] for f, step in _MEMBER_FIELDS.items() if f in values}}
    try:
        step = parse_action(body, today)
    except ValidationError as error:
        return _problems(error, problems, {step: f for f, step in _MEMBER_FIELDS.items()})
    assert isinstance(step, AddMember)
    return problems or (step, code)


def _born(values: dict[str, Any], cells: Cells) -> date | None:
    """The birth date a valid ID number gives, where the row has none or only its year and month (出生年月) and
    they agree: the ledger's 1980.05 is the 1st by default, the ID number knows the day. Otherwise the row's
    own date stands, and a different one is refused naming id_number."""
    with suppress(ValueError):
        embedded = embedded_birth_date(parse_id_number(values.get("id_number")))
        given = values.get("birth_date")
        if embedded is not None and (given is None or (_month_only(cells.get("birth_date")) and isinstance(
                given, date) and (given.year, given.month) == (embedded.year, embedded.month))):
            return embedded
    return None
