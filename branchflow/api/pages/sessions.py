"""Signed-in sessions of the pages: a random session id in an HttpOnly, SameSite=Strict cookie.

The server keeps only the id's hash, the hash of the API token the person signed in with (so a user whose
token is replaced is signed out everywhere) and the session's CSRF token, which every form carries in a
hidden field. Nothing in the cookie is the API token, and JavaScript cannot read the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from branchflow.api.users import VALID, Presented, Role, User, authenticate
from branchflow.projections.creation import create_one_at_a_time

COOKIE = "branchflow_session"
LOGIN_COOKIE = "branchflow_login"  # the sign-in form's CSRF value, before there is a session
LIFETIME = timedelta(hours=12)
MAX_PER_USER = 5  # sessions one user (one token) may have open at once

SCHEMA = """
CREATE TABLE IF NOT EXISTS branchflow_page_sessions (
    id_hash     bytea PRIMARY KEY,
    token_hash  bytea NOT NULL,
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
)
"""


@dataclass(frozen=True)
class PageSession:
    user: User
    csrf: str


def _id_hash(session_id: str) -> bytes:
    # Session ids carry 256 random bits: a fast hash is enough, and a leaked table holds no usable id.
    return hashlib.sha256(session_id.encode()).digest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def ensure_sessions(conn: psycopg.Connection[Any]) -> None:
    """The sessions' table, made when the web server starts (app.opened), one part at a time
    (projections/creation.py); it was made again at every sign-in."""
    create_one_at_a_time(conn, SCHEMA)


def open_session(conn: psycopg.Connection[Any], token: Presented) -> str | None:
    """A new session for the token's user, or None when the token is not valid; returns the session id."""
    if authenticate(conn, token) is None:
        return None
    now = datetime.now(UTC)
    conn.execute("DELETE FROM branchflow_page_sessions WHERE expires_at < %s", (now,))
    session_id, digest = new_secret(), token.digest
    conn.execute(
        "INSERT INTO branchflow_page_sessions (id_hash, token_hash, csrf, created_at, expires_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        (_id_hash(session_id), digest, new_secret(), now, now + LIFETIME),
    )
    # A user's oldest sessions end when a new one would pass the cap: a stolen token cannot open sessions
    # without bound, and the people signing in keep theirs.
    conn.execute(
        "DELETE FROM branchflow_page_sessions WHERE token_hash = %s AND id_hash NOT IN (SELECT id_hash FROM "
        "branchflow_page_sessions WHERE token_hash = %s ORDER BY created_at DESC LIMIT %s)",
        (digest, digest, MAX_PER_USER))
    return session_id


def find_session(conn: psycopg.Connection[Any], session_id: str) -> PageSession | None:
    try:
        row = conn.execute(
            "SELECT u.name, u.role, u.region, s.csrf, u.committee FROM branchflow_page_sessions AS s "
            f"JOIN branchflow_users AS u ON u.token_hash = s.token_hash AND {VALID} "
            "WHERE s.id_hash = %s AND s.expires_at > %s",
            (_id_hash(session_id), datetime.now(UTC)),
        ).fetchone()
    except psycopg.errors.UndefinedTable:  # nobody has signed in yet on this database
        return None
    if row is None:
        return None
    return PageSession(User(name=row[0], role=Role(row[1]), region=row[2], committee=row[4]), row[3])


def close_session(conn: psycopg.Connection[Any], session_id: str) -> None:
    conn.execute("DELETE FROM branchflow_page_sessions WHERE id_hash = %s", (_id_hash(session_id),))


def same_secret(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
