"""The web pages for organizers and supervisors (Simplified Chinese), served beside the API by `branchflow up`.

Everything is rendered on the server (Jinja2 templates, SVG charts) with a little CSS and JavaScript of our
own under /static/pages: the pages work with no internet connection. Page handlers call the same functions
as the API (the workflow client, the event-sourced application, the projections' queries) under the same
role and region rules; a session is a server-side record behind an HttpOnly, SameSite=Strict cookie, and
every form carries the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from branchflow.api.pages import board, case, cases, login, reports, work_queue

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Adds the pages and their static files to the API's application."""
    for module in (login, work_queue, board, cases, case, reports):
        app.include_router(module.router)
    app.mount("/static/pages", StaticFiles(directory=STATIC), name="pages-static")
