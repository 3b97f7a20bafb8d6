"""The FastAPI application: routes, error answers and OpenAPI (served at /openapi.json and /docs)."""

from __future__ import annotations

from fastapi import FastAPI

from branchflow.api import cases, joint_branches, reports
from branchflow.api.errors import install_error_handlers
from branchflow.bootstrap import Services
from branchflow.pages import install as install_pages

DESCRIPTION = """branchflow tracks how each "two new" organization moves along the party-organization formation
path — no members → developing members → temporary branch → formal branch. Every call needs
`Authorization: Bearer TOKEN`. Errors: 401 no valid token; 403 outside your role or region scope; 404 unknown
id; 409 a rule forbids the step (`rule` names it); 422 malformed input (`errors` name the fields)."""


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="branchflow", version="0.1.0", description=DESCRIPTION)
    app.state.services = services
    install_error_handlers(app)
    app.include_router(cases.router)
    app.include_router(joint_branches.router)
    app.include_router(reports.router)
    install_pages(app)  # the Chinese web pages (branchflow/pages), beside the API
    return app
