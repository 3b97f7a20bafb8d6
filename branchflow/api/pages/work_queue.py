"""我的待办: the organizer's landing page, every open obligation of the person's scope, overdue first.

It reads the projection as `GET /api/v1/work-queue` does, with the same filters and scope rule; each item
links to its case page with the discharging step's form open.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from branchflow.api.access import may_take, queue_region
from branchflow.api.errors import FieldError
from branchflow.api.pages.board import link, page_region, scope_errors
from branchflow.api.pages.places import choose_region
from branchflow.api.pages.web import PageRoute, SignedIn, error_page, query_values, render
from branchflow.api.services import services
from branchflow.api.use_cases import Page, QueueQuery, last_page
from branchflow.domain.work_queue import DISCHARGED_BY
from branchflow.projections import queue_counts, work_queue
from branchflow.projections.regions import region_names

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FILTERS = ("region", "street", "rule", "overdue")
PAGE_SIZE = 30


def step_link(organization_id: object, action: str | None) -> str:
    """The case page with the step's form open (and scrolled to)."""
    if action is None:
        return f"/cases/{organization_id}"
    return f"/cases/{organization_id}?step={action}#step-{action}"


@router.get("/work-queue")
def work_queue_page(request: Request, session: SignedIn, page: Page = 1) -> HTMLResponse:
    values = query_values(request, *FILTERS)
    region = page_region(session, values.get("region"), request)
    if not region:
        return choose_region(request, "我的待办", "/work-queue")
    try:
        query = QueueQuery.model_validate({**values, "region": region, "page": page, "page_size": PAGE_SIZE})
        scope = queue_region(session.user, query.region, query.street)
    except ValidationError as e:
        return error_page(request, 422, scope_errors(e))
    except FieldError as e:
        raise HTTPException(422, f"街道代码有误：{e.message}") from None
    today = date.today()
    with services(request).pool.connection() as conn:
        found = work_queue(conn, scope, today, rule=query.rule, overdue=query.overdue, page=page,
                           page_size=PAGE_SIZE, committee=session.user.committee)
        counts = queue_counts(conn, scope, today, session.user.committee)
        names = region_names(conn, [scope, *(i.region_code for i in found.items)])  # the heading's too
    filters = query.model_dump(include=set(FILTERS), exclude_none=True)
    last = last_page(found.total, PAGE_SIZE)
    return render(
        request, "work_queue.html", title="我的待办", found=found, counts=counts, filters=filters, scope=scope,
        rules=list(DISCHARGED_BY), page=page, last=last, step_link=step_link, names=names,
        # Only the steps the user's role may take are buttons: an approval is a supervisor's (else a 403).
        mine=lambda actions: [a for a in actions if may_take(session.user, a)],
        page_link=lambda n: link("/work-queue", **filters, page=n),
        overdue_link=link("/work-queue", **{**filters, "overdue": True}),
    )
