"""Names of regions (api.md `GET /regions`): what people type and read instead of codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from branchflow.api.auth import CurrentUser
from branchflow.api.services import services
from branchflow.projections.regions import SEARCH_LIMIT, Region, is_known_county, search_regions

router = APIRouter(prefix="/api/v1", tags=["regions and committees"])

Digits = Annotated[str, Query(pattern=r"^[0-9]{0,12}$", description="a region code prefix (2 to 12 digits)")]
Text = Annotated[str | None, Query(min_length=1, max_length=50, description="part of a name, or a code's start")]


@router.get("/regions", response_model=list[Region], summary="Region names: a region's next level, or a search")
def regions(request: Request, user: CurrentUser, prefix: Digits = "", q: Text = None) -> list[Region]:
    """Without `q`, the regions one level below `prefix` (the provinces without a prefix); with `q`, the
    regions under `prefix` whose name contains `q` or whose code starts with it (at most 50, higher levels
    first). Names are not confined to the caller's scope: they are public, the cases are not."""
    with services(request).pool.connection() as conn:
        return search_regions(conn, prefix, q, SEARCH_LIMIT)


def unknown_county(request: Request, region_code: str) -> str | None:
    """Why a new case may not be registered in this region: its county is not one the names' table knows (a
    typo in the county part would open a region nobody watches). Streets and communities may be unknown:
    not every admin imports them."""
    with services(request).pool.connection() as conn:
        if is_known_county(conn, region_code):
            return None
    return (f"county {region_code[:6]} of region code {region_code} is not a known county "
            "(province, city and county codes ship with branchflow: GB/T 2260)")
