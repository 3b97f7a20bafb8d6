"""我的待办 (api.md `GET /work-queue`): every open obligation and deadline in the caller's scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from branchflow.api.access import committee_of, queue_region, scoped_region
from branchflow.api.auth import TokenCaller
from branchflow.api.reads import Connection, answered
from branchflow.api.services import services
from branchflow.api.use_cases import QueueQuery
from branchflow.api.users import User
from branchflow.domain.values import RegionPrefix
from branchflow.projections import OneTransferAway, WorkQueue, one_transfer_away, work_queue
from branchflow.projections.work_queue import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1", tags=["work queue"])


@router.get("/work-queue", response_model=WorkQueue, summary="My work queue: open obligations, overdue first")
async def get_work_queue(request: Request, who: TokenCaller, query: Annotated[QueueQuery, Query()]) -> Response:
    def read(conn: Connection, user: User) -> WorkQueue:
        region = queue_region(user, query.region, query.street)
        return work_queue(conn, region, date.today(), rule=query.rule, overdue=query.overdue, page=query.page,
                          committee=user.committee, page_size=query.page_size)

    return await answered(request, who, read)


@router.get("/boards/one-transfer-away", response_model=OneTransferAway,
            summary="Organizations one transfer away from a branch of their own (3+ formal members present, "
                    "fewer than 3 transferred in)")
async def get_one_transfer_away(
    request: Request, who: TokenCaller, region: RegionPrefix | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> Response:
    thresholds = services(request).application.thresholds

    def read(conn: Connection, user: User) -> OneTransferAway:
        return one_transfer_away(conn, scoped_region(user, region), thresholds, limit=limit,
                                 committee=committee_of(user))

    return await answered(request, who, read)
