"""Reading the statistical bureau's table of region names (统计用区划代码) for `branchflow regions import`.

The table travels in a few shapes, all taken: columns `code,name` or the bureau's `code,urban-rural
code,name`; 12-digit codes padded with zeros (440403001000 is the street 440403001) or the short prefixes
themselves (2, 4, 6, 9, 12 digits; a 6-digit GB/T 2260 code 440400 is the city 4404); a header row or none;
UTF-8 (with or without a byte-order mark) or GBK; commas, tabs or semicolons.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from branchflow.domain.values import REGION_LEVELS


@dataclass
class RegionTable:
    names: dict[str, str] = field(default_factory=dict)  # code (a 2–12 digit prefix) -> name
    rejected: list[str] = field(default_factory=list)  # "line N: why"


def decoded(raw: bytes) -> str:
    """UTF-8 when it is, else GB18030 (a superset of GBK and GB2312, the bureau's own encodings)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def region_prefix(code: str) -> str | None:
    """The prefix a code names: trailing zero groups dropped from a padded code; None if it names none."""
    if not (code.isascii() and code.isdigit()):
        return None
    if len(code) == 12:
        for length in (2, 4, 6, 9):
            if code[length:].strip("0") == "":
                return code[:length]
        return code
    if len(code) == 6:  # a GB/T 2260 code: 440000 the province, 440400 the city (a county is never xx00)
        return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    return code if len(code) in REGION_LEVELS else None


def read_region_table(path: Path) -> RegionTable:
    text = decoded(path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    table = RegionTable()
    for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        code, name = cells[0], next((c for c in reversed(cells[1:]) if c and not c.isdigit()), "")
        prefix = region_prefix(code)
        if prefix is None:
            if number == 1:
                continue  # a header row
            table.rejected.append(f"line {number}: {code!r} is not a region code of 2, 4, 6, 9 or 12 digits")
        elif prefix.startswith("00"):
            table.rejected.append(f"line {number}: {code!r} has province part '00', which does not exist")
        elif not name:
            table.rejected.append(f"line {number}: no name for {code}")
        elif not name.isprintable():
            table.rejected.append(f"line {number}: the name of {code} contains control characters")
        elif len(name) > 100:
            table.rejected.append(f"line {number}: the name of {code} is longer than 100 characters")
        else:
            table.names[prefix] = name
    return table
