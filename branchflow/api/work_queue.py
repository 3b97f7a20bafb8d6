"""我的待办 (api.md `GET /work-queue`): every open obligation and deadline in the caller's scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from branchflow.api.auth import CurrentUser, scoped_region
from branchflow.api.errors import FieldError
from branchflow.api.services import services
from branchflow.api.users import User
from branchflow.domain.values import RegionPrefix
from branchflow.domain.work_queue import DISCHARGED_BY
from branchflow.projections import WorkQueue, work_queue
from branchflow.projections.work_queue import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1", tags=["work queue"])
MAX_PAGE = 100_000


class QueueQuery(BaseModel):
    """The queue's filters; `street` (9 digits) narrows the region, `rule` names one obligation."""

    model_config = ConfigDict(extra="forbid")

    region: RegionPrefix | None = None
    street: RegionPrefix | None = None
    rule: str | None = None
    overdue: bool | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("street")
    @classmethod
    def _a_street(cls, street: str | None) -> str | None:
        if street is not None and len(street) != 9:
            raise ValueError("a street (or township) code has 9 digits")
        return street

    @field_validator("rule")
    @classmethod
    def _a_rule(cls, rule: str | None) -> str | None:
        if rule is not None and rule not in DISCHARGED_BY:
            raise ValueError(f"unknown obligation; one of {', '.join(DISCHARGED_BY)}")
        return rule


def queue_region(user: User, region: str | None, street: str | None) -> str:
    """The narrowest of the user's scope, the region asked for and the street: a street outside the region
    asked for is malformed (422), one outside the user's scope forbidden (403)."""
    chosen = scoped_region(user, region)
    if street is None:
        return chosen
    if region is not None and not street.startswith(region):
        raise FieldError("street", f"street {street} is not in region {region}")
    if chosen.startswith(street):  # the user's own scope is narrower (a community's organizer)
        return chosen
    return scoped_region(user, street)


@router.get("/work-queue", response_model=WorkQueue, summary="My work queue: open obligations, overdue first")
def get_work_queue(request: Request, user: CurrentUser, query: Annotated[QueueQuery, Query()]) -> WorkQueue:
    region = queue_region(user, query.region, query.street)
    with services(request).pool.connection() as conn:
        return work_queue(conn, region, date.today(), rule=query.rule, overdue=query.overdue, page=query.page,
                          page_size=query.page_size)
