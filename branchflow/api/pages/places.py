"""Regions and committees on the pages: a region typed by its name, the provinces to start from, the names of
a breadcrumb, the committees to filter by."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from branchflow.api.pages import labels
from branchflow.api.pages.web import render
from branchflow.api.services import services
from branchflow.api.users import User
from branchflow.projections.committees import Committee, committees
from branchflow.projections.regions import Region, region_names, search_regions


def region_by_name(request: Request, user: User, text: str) -> str:
    """The code of the region named `text` within the person's scope: an exact name first (the higher level
    first: 斗门区 before a 斗门镇 inside it), else the only region whose name contains it; 422 otherwise."""
    with services(request).pool.connection() as conn:
        found = search_regions(conn, user.region, text)
    exact = [r for r in found if r.name == text]
    if exact or len(found) == 1:
        return (exact or found)[0].code
    if not found:
        raise HTTPException(422, f"辖区内没有名为“{text}”的地区")
    names = "、".join(f"{r.name}（{r.code}）" for r in found[:10])
    raise HTTPException(422, f"“{text}”可指多个地区，请选择：{names}")


def choose_region(request: Request, title: str, action: str) -> HTMLResponse:
    """For a person whose scope is the whole country: the provinces to start from, and a box for a name."""
    with services(request).pool.connection() as conn:
        provinces = search_regions(conn)
    return render(request, "choose_region.html", title=title, action=action, regions=provinces)


def named_path(request: Request, path: list[str]) -> list[tuple[str, str]]:
    """The breadcrumb's regions with their names (code, label)."""
    with services(request).pool.connection() as conn:
        names = region_names(conn, path)
    return [(code, labels.region_label(code, names.get(code))) for code in path]


def page_places(request: Request, region: str) -> dict[str, Any]:
    """What a board or list page offers beside its region: its name, names to type (the next level down) and
    the committees to filter by."""
    with services(request).pool.connection() as conn:
        names = region_names(conn, [region])
        suggestions: list[Region] = search_regions(conn, region)
        registry: list[Committee] = committees(conn)
    return {"region_name": names.get(region), "suggestions": suggestions, "committees": registry}
