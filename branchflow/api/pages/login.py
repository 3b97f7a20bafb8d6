"""Signing in with the API token, and out.

Before there is a session the sign-in form is protected by a double-submit value: a random value in an
HttpOnly, SameSite=Strict cookie that the form's hidden field must repeat.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from branchflow.api import throttle
from branchflow.api.pages.sessions import (
    COOKIE,
    LIFETIME,
    LOGIN_COOKIE,
    close_session,
    find_session,
    new_secret,
    open_session,
    same_secret,
)
from branchflow.api.pages.web import (
    PageRoute,
    SignedIn,
    checked_form,
    local_path,
    posted_form,
    redirect,
    render,
)
from branchflow.api.services import services
from branchflow.api.users import Presented, Role

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def _form(request: Request, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    login_csrf = new_secret()
    response = render(request, "login.html", status=status, title="登录", csrf=login_csrf, next_path=next_path,
                      error=error)
    _cookie(request, response, LOGIN_COOKIE, login_csrf, 600)
    return response


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The landing page: an organizer's day is the work queue; others watch the board."""
    session = None
    if session_id := request.cookies.get(COOKIE):
        with services(request).pool.connection() as conn:
            session = find_session(conn, session_id)
    return redirect("/work-queue" if session is not None and session.user.role is Role.ORGANIZER else "/board")


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if session_id := request.cookies.get(COOKIE):
        with services(request).pool.connection() as conn:
            if find_session(conn, session_id) is not None:  # signed in already
                return redirect(local_path(next, "/"))
    return _form(request, local_path(next, "/"))


@router.post("/login")
async def login(request: Request) -> Response:
    form = await posted_form(request)
    next_path = local_path(str(form.get("next") or ""), "/")  # "/" lands each role on its own page
    if not same_secret(request.cookies.get(LOGIN_COOKIE, ""), str(form.get("csrf") or "")) or \
            not request.cookies.get(LOGIN_COOKIE):
        return _form(request, next_path, "登录表单已失效，请重新输入令牌后登录。", status=403)
    address = request.client.host if request.client else ""
    token = str(form.get("token") or "").strip()
    presented = Presented.of(token)
    if locked := throttle.GUARD.locked_for(address, presented):
        refused = _form(request, next_path, locked.page_message, status=429)
        refused.headers["Retry-After"] = str(locked.seconds)
        return refused
    with services(request).pool.connection() as conn:
        session_id = open_session(conn, presented) if token else None
    if session_id is None:
        throttle.GUARD.failed(address, presented)
        return _form(request, next_path, "令牌无效，请核对后重试。", status=401)
    throttle.GUARD.worked(presented)
    response = redirect(next_path)
    _cookie(request, response, COOKIE, session_id, int(LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, session: SignedIn) -> Response:
    await checked_form(request, session)
    with services(request).pool.connection() as conn:
        close_session(conn, request.cookies.get(COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
