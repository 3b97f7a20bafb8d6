"""The demo's place: 珠海市斗门区, its streets and communities, and each street's territorial committee."""

from __future__ import annotations

from uuid import UUID

DEMO_NAMESPACE = UUID("a4d3f1c2-5b6e-4f70-8a9b-0c1d2e3f4a5b")
DISTRICT = ("440403", "斗门区")  # 珠海市斗门区
# Street codes are the demo's own (statistical codes are assigned by each province); names are real.
STREETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("白藤街道", ("白藤一村社区", "白藤二村社区", "白藤三村社区", "白藤四村社区")),
    ("井岸镇", ("西埔社区", "新青社区", "城南社区", "尖峰社区", "霞山社区")),
    ("白蕉镇", ("新沙社区", "白蕉社区", "盖山村", "成裕村")),
    ("斗门镇", ("斗门村", "小濠涌村", "大濠涌村", "八甲村")),
    ("乾务镇", ("乾务村", "马山村", "虎山村", "荔山村")),
    ("莲洲镇", ("莲江村", "东湾村", "石龙村", "粉洲村")),
)


def demo_region_names() -> list[tuple[str, str]]:
    """The demo's streets and communities with their names, for the names' table (`branchflow demo` saves
    them): the district's own name ships with branchflow."""
    names = []
    for s, (street, communities) in enumerate(STREETS, start=1):
        names.append((f"{DISTRICT[0]}{s:03d}", street))
        names += [(f"{DISTRICT[0]}{s:03d}{c:03d}", community) for c, community in enumerate(communities, start=1)]
    return names


def street_committee_code(street: int) -> str:
    return f"DM-{street:03d}"


def demo_committees() -> list[tuple[str, str, str]]:
    """(code, name, street) of the demo streets' territorial committees, each case's responsible committee."""
    return [(street_committee_code(s), f"中共{DISTRICT[1]}{street}委员会", f"{DISTRICT[0]}{s:03d}")
            for s, (street, _) in enumerate(STREETS, start=1)]
