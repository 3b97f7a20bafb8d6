"""Users, their role and region scope; API tokens are random, shown once and stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import psycopg
from pydantic import BaseModel

from branchflow.domain.values import no_control_characters, parse_region_prefix, readable_name
from branchflow.projections.creation import create_one_at_a_time

SCHEMA = """
CREATE TABLE IF NOT EXISTS branchflow_users (
    name        text PRIMARY KEY,
    role        text NOT NULL,
    region      text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);
-- Issue 14: tokens expire and can be revoked. Users made before have no expiry (NULL) until revoked.
ALTER TABLE branchflow_users ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE branchflow_users ADD COLUMN IF NOT EXISTS revoked_at timestamptz;
-- Issue 16: a user scoped by a responsible committee (条) instead of a region (块); NULL for a region's user.
ALTER TABLE branchflow_users ADD COLUMN IF NOT EXISTS committee text
"""
# A token is good while it is neither revoked nor expired (for the page sessions' join too).
VALID = "u.revoked_at IS NULL AND (u.expires_at IS NULL OR u.expires_at > now())"
TOKEN_LIFETIME = timedelta(days=365)


class Role(StrEnum):
    ORGANIZER = "organizer"  # 组织员: registers organizations, advances cases
    SUPERVISOR = "supervisor"  # 组织部门: approves, watches boards, reads every case's history
    ADMIN = "admin"  # manages users


class User(BaseModel):
    name: str
    role: Role
    region: str  # a region prefix: the user acts only on cases whose region code starts with it (access.py)
    # A committee's code: the user acts only on the cases that committee answers for, wherever they are
    # (`region` is then the committee's own region, where its lists start).
    committee: str | None = None


class UserExists(Exception):
    pass


# A token's form: `bf1_<user key>_<secret>`. The user key is public and random (16 hex digits, new with each
# token): it lets the throttle count wrong secrets per user without naming anyone; the secret is 256 random
# bits. The stored hash is of the whole token. Tokens made before it (the secret alone) keep working.
TOKEN_FORM = re.compile(r"bf1_([0-9a-f]{16})_")


def new_token() -> str:
    return f"bf1_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


def token_user_key(token: str) -> str | None:
    """The user key a token claims (any caller can claim any), None for a token of the old form."""
    found = TOKEN_FORM.match(token)
    return found.group(1) if found else None


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Presented:
    """A token as a caller presents it, hashed once (issue 19: the look-up and the throttle's three questions all
    want the hash, and a request hashed it three times); the token's text is kept by neither."""

    digest: bytes
    user_key: str | None

    @classmethod
    def of(cls, token: str) -> Presented:
        return cls(token_hash(token), token_user_key(token))


def ensure_schema(conn: psycopg.Connection) -> None:
    """The users' table; run once when a process starts (`up`, `api`, every command), not per call; one part at
    a time (projections/creation.py)."""
    create_one_at_a_time(conn, SCHEMA)


def user_name(name: str) -> str:
    """A user's name as it is recorded on every event the user writes: readable, one line, not empty."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValueError(f"a user's name must be 1 to 100 characters, got {len(name)}")
    return readable_name(no_control_characters(name))


def add_user(conn: psycopg.Connection, name: str, role: Role, region: str,
             lifetime: timedelta | None = TOKEN_LIFETIME, committee: str | None = None) -> str:
    """Creates the user and returns its token, valid for `lifetime` (None: until revoked); only its hash is kept.

    Only supervisors and admins may have the whole country ("") as their scope: an organizer works in a region.
    A user of a `committee` (its code; `region` is then the committee's region) acts on that committee's cases."""
    name = user_name(name)
    region = parse_region_prefix(region) if region.strip() else ""  # "" is the whole country
    if role is Role.ORGANIZER and not region and committee is None:
        raise ValueError("an organizer needs a region (--region PREFIX): the whole country is no organizer's scope")
    token = new_token()
    now = datetime.now(UTC)
    try:
        conn.execute(
            "INSERT INTO branchflow_users (name, role, region, token_hash, created_at, expires_at, committee) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (name, role.value, region, token_hash(token), now, _expires_at(now, lifetime), committee),
        )
    except psycopg.errors.UniqueViolation:
        raise UserExists(f"a user named {name!r} already exists") from None
    return token


def _expires_at(now: datetime, lifetime: timedelta | None) -> datetime | None:
    return now + lifetime if lifetime else None  # None (or zero): a token that does not expire


def revoke_user(conn: psycopg.Connection, name: str) -> bool:
    """Ends the user's token now (and with it every page session opened with it); False if no such user."""
    revoked = conn.execute("UPDATE branchflow_users SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL",
                           (name,))
    return revoked.rowcount == 1


def rotate_token(conn: psycopg.Connection, name: str, lifetime: timedelta | None = TOKEN_LIFETIME) -> str | None:
    """A new token for the user (of the new form), valid for `lifetime`; the old one ends now, and with it every
    page session opened with it. A revoked user gets a token again. None if there is no such user."""
    token = new_token()
    rotated = conn.execute(
        "UPDATE branchflow_users SET token_hash = %s, expires_at = %s, revoked_at = NULL WHERE name = %s",
        (token_hash(token), _expires_at(datetime.now(UTC), lifetime), name))
    return token if rotated.rowcount == 1 else None


def find_user(conn: psycopg.Connection, name: str) -> User | None:
    """The user of that name whose token is good (not revoked, not expired), for commands run as a user
    (`branchflow import --user`, `branchflow queue`)."""
    row = conn.execute(f"SELECT name, role, region, committee FROM branchflow_users AS u WHERE name = %s AND {VALID}",
                       (name,)).fetchone()
    return None if row is None else User(name=row[0], role=Role(row[1]), region=row[2], committee=row[3])


def authenticate(conn: psycopg.Connection, token: Presented) -> User | None:
    digest = token.digest
    row = conn.execute(
        f"SELECT name, role, region, token_hash, committee FROM branchflow_users AS u "
        f"WHERE token_hash = %s AND {VALID}", (digest,)).fetchone()
    # The lookup is by hash, so timing reveals nothing of the token; compare again in constant time anyway.
    if row is None or not hmac.compare_digest(bytes(row[3]), digest):
        return None
    return User(name=row[0], role=Role(row[1]), region=row[2], committee=row[4])


def first_admin(conn: psycopg.Connection) -> str | None:
    """Readies the users table (before it, every token would fail instead of answering 401); on a database
    with no user yet, adds the admin (the whole country) and answers its token."""
    ensure_schema(conn)
    return None if has_users(conn) else add_user(conn, "admin", Role.ADMIN, "")


def has_users(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM branchflow_users)").fetchone() == (True,)
