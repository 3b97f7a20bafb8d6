"""What every page shares: templates, the signed-in person, CSRF-checked forms, and errors as pages.

Failures answer as pages with the API's status codes (api.md): 403 outside the role or region scope, 404
unknown id, 409 a rule forbids the step, 422 malformed input; a page that needs a session sends the person
to sign in instead of answering 401.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

import psycopg
from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData, UploadFile

from branchflow.api.pages import labels
from branchflow.api.pages.sessions import COOKIE, PageSession, find_session, same_secret
from branchflow.api.services import services
from branchflow.api.users import User
from branchflow.domain.errors import CaseNotFound
from branchflow.projections import queue_counts
from branchflow.workflows.failures import WorkflowUnavailable

HERE = Path(__file__).parent
MAX_FORM_BYTES = 64 * 1024

# Everything the pages load comes from this server: no inline script or style, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATUS_TITLES = {
    400: "请求有误", 403: "无权访问", 404: "没有找到", 409: "规则不允许", 422: "填写有误", 503: "暂时无法办理",
}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def yes_no(value: object) -> str:
    return "是" if value else "否"


TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(("html",)),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
TEMPLATES.globals.update(L=labels, label=labels.label, region_label=labels.region_label)
TEMPLATES.filters.update(percent=percent, day=day, yes_no=yes_no)


class NotSignedIn(Exception):
    pass


def signed_in(request: Request) -> PageSession:
    session_id = request.cookies.get(COOKIE)
    session = None
    if session_id:
        with services(request).pool.connection() as conn:
            session = find_session(conn, session_id)
    if session is None:
        raise NotSignedIn
    request.state.page_session = session
    return session


SignedIn = Annotated[PageSession, Depends(signed_in)]


def overdue_count(request: Request, user: User) -> int | None:
    """The header's notice: the person's overdue items; none shown when the database does not answer (an
    error page must still render)."""
    try:
        with services(request).pool.connection(timeout=2) as conn:
            return queue_counts(conn, user.region, date.today(), user.committee).overdue
    except psycopg.Error:  # a pool timeout is one too
        return None


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    session: PageSession | None = getattr(request.state, "page_session", None)
    user = session.user if session else None
    html = TEMPLATES.get_template(template).render(
        session=session, user=user, path=request.url.path,
        overdue_notice=overdue_count(request, user) if user is not None else None, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, detail: object) -> HTMLResponse:
    return render(request, "error.html", status=status, title=STATUS_TITLES.get(status, "出错了"),
                  code=status, detail=str(detail))


def local_path(target: str | None, default: str = "/board") -> str:
    """Only a path on this server (never `//host` or a full address) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


class PageRoute(APIRoute):
    """Answers a page's failures with a page (the API's handlers answer JSON)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/login?next={quote(target)}")
            except HTTPException as e:
                return error_page(request, e.status_code, e.detail)
            except CaseNotFound as e:
                return error_page(request, 404, e)
            except RequestValidationError as e:
                fields = "；".join(".".join(str(p) for p in err["loc"][1:]) for err in e.errors())
                return error_page(request, 422, f"地址中的参数有误：{fields}")
            except WorkflowUnavailable as e:
                return error_page(request, 503, e)

        return page_handler


async def checked_form(request: Request, session: PageSession) -> FormData:
    """The posted form, after its CSRF token is checked against the session's."""
    form = await posted_form(request)
    if not same_secret(session.csrf, _text(form.get("csrf"))):
        raise HTTPException(403, "表单已失效（缺少或不符的安全令牌），请刷新页面后重新提交")
    return form


async def posted_form(request: Request) -> FormData:
    """An url-encoded form body (every form here is one; no file uploads)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "表单来自其他网站，已拒绝")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(422, "表单内容过长")
    pairs: list[tuple[str, str | UploadFile]] = list(
        parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return FormData(pairs)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def query_values(request: Request, *names: str) -> dict[str, str]:
    """The non-empty query parameters among `names` (an empty form field means "any")."""
    return {n: v.strip() for n in names if (v := request.query_params.get(n)) is not None and v.strip()}


def scope_path(user: User, region: str) -> list[str]:
    """The regions from the user's scope down to `region`, for the breadcrumb (2, 4, 6, 9, 12 digits)."""
    return [region[:n] for n in (2, 4, 6, 9, 12) if len(user.region) <= n <= len(region)]
