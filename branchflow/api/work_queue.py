"""我的待办 (api.md `GET /work-queue`): every open obligation and deadline in the caller's scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from branchflow.api.access import committee_of, queue_region, scoped_region
from branchflow.api.auth import CurrentUser
from branchflow.api.services import services
from branchflow.api.use_cases import QueueQuery
from branchflow.domain.values import RegionPrefix
from branchflow.projections import OneTransferAway, WorkQueue, one_transfer_away, work_queue
from branchflow.projections.work_queue import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1", tags=["work queue"])


@router.get("/work-queue", response_model=WorkQueue, summary="My work queue: open obligations, overdue first")
def get_work_queue(request: Request, user: CurrentUser, query: Annotated[QueueQuery, Query()]) -> WorkQueue:
    region = queue_region(user, query.region, query.street)
    with services(request).pool.connection() as conn:
        return work_queue(conn, region, date.today(), rule=query.rule, overdue=query.overdue, page=query.page,
                          committee=user.committee,
                          page_size=query.page_size)


@router.get("/boards/one-transfer-away", response_model=OneTransferAway,
            summary="Organizations one transfer away from a branch of their own (3+ formal members present, "
                    "fewer than 3 transferred in)")
def get_one_transfer_away(
    request: Request, user: CurrentUser, region: RegionPrefix | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> OneTransferAway:
    app = services(request).application
    with services(request).pool.connection() as conn:
        return one_transfer_away(conn, scoped_region(user, region), app.thresholds, limit=limit,
                                 committee=committee_of(user))
