"""Names of regions and responsible committees (api.md `GET /regions`, `GET /committees`): what people type and
read instead of codes, and which committee answers for a case (谁主管、谁负责)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from branchflow.api.auth import CurrentUser
from branchflow.api.services import services
from branchflow.projections.committees import Committee, committees
from branchflow.projections.regions import SEARCH_LIMIT, Region, search_regions

router = APIRouter(prefix="/api/v1", tags=["regions and committees"])

Digits = Annotated[str, Query(pattern=r"^[0-9]{0,12}$", description="a region code prefix (2 to 12 digits)")]
Text = Annotated[str | None, Query(min_length=1, max_length=50, pattern=r"^[^\x00]+$",
                                   description="part of a name, or a code's start")]


@router.get("/regions", response_model=list[Region], summary="Region names: a region's next level, or a search")
def regions(request: Request, user: CurrentUser, prefix: Digits = "", q: Text = None) -> list[Region]:
    """Without `q`, the regions one level below `prefix` (the provinces without a prefix); with `q`, the
    regions under `prefix` whose name contains `q` or whose code starts with it (at most 50, higher levels
    first). Names are not confined to the caller's scope: they are public, the cases are not."""
    with services(request).pool.connection() as conn:
        return search_regions(conn, prefix, q, SEARCH_LIMIT)



@router.get("/committees", response_model=list[Committee], summary="The responsible party committees")
def list_committees(request: Request, user: CurrentUser) -> list[Committee]:
    """Every committee of the registry (`branchflow committee add`), in code order: territorial ones (街道党工委,
    乡镇党委) and industry ones (行业党委), each with the region it sits in."""
    with services(request).pool.connection() as conn:
        return committees(conn)
