"""The FastAPI application: routes, error answers and OpenAPI (served at /openapi.json and /docs)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from branchflow.api import cases, docs, joint_branches, jurisdiction, reports, work_queue
from branchflow.api.errors import ERROR_RESPONSES, install_error_handlers
from branchflow.api.headers import PrivateAnswers
from branchflow.api.limits import RequestGuard, only_declared_query_parameters
from branchflow.api.methods import AllowEveryMethod
from branchflow.api.pages import install as install_pages
from branchflow.api.pages.sessions import ensure_sessions
from branchflow.api.users import ensure_schema, first_admin
from branchflow.runtime.bootstrap import Services
from branchflow.runtime.up import Doors

DESCRIPTION = """branchflow tracks how each "two new" organization moves along the party-organization formation
path — no members → developing members → temporary branch → formal branch. Every call needs
`Authorization: Bearer TOKEN`. Errors: 401 no valid token; 403 outside your role or region scope; 404 unknown
id; 409 a rule forbids the step (`rule` names it); 413 a body over 256 KiB; 422 malformed input (`errors` name the
fields); 503 Temporal or the database did not answer: retry with the same `command_id` (`retry` is true)."""


def create_app(services: Services) -> FastAPI:
    # /docs is our own page (docs.py): FastAPI's Swagger UI and ReDoc load their assets from a CDN.
    app = FastAPI(title="branchflow", version="0.1.0", description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(RequestGuard)  # body size and NUL characters, for the API and the pages alike
    app.add_middleware(PrivateAnswers)  # no-store and nosniff on every answer, also the guard's own
    app.add_middleware(AllowEveryMethod, fastapi=app)
    for module in (cases, joint_branches, reports, jurisdiction, work_queue):
        app.include_router(module.router, responses=ERROR_RESPONSES,
                           dependencies=[Depends(only_declared_query_parameters)])
    app.include_router(docs.router)
    install_pages(app)  # the Chinese web pages (branchflow/pages), beside the API
    # Built now, once: FastAPI builds the schema lazily, and requests checking their query parameters
    # against it from several threads at once failed while it was half built (BENCHMARKS.md).
    app.openapi()
    return app


def opened(services: Services) -> FastAPI:
    """The application on a database that may be new: with the users table made first, a token is refused
    (401) before any user exists instead of failing on the missing table."""
    with services.pool.connection() as conn:
        ensure_schema(conn)
        ensure_sessions(conn)
    return create_app(services)


# What `branchflow up` and `branchflow api` open over the parts they run (the runtime takes them from here).
DOORS = Doors(prepare=first_admin, web=opened)
