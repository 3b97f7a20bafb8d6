"""Users, their role and region scope; API tokens are random, shown once and stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from enum import StrEnum

import psycopg
from pydantic import BaseModel

from branchflow.domain.values import parse_region_prefix

SCHEMA = """
CREATE TABLE IF NOT EXISTS branchflow_users (
    name        text PRIMARY KEY,
    role        text NOT NULL,
    region      text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
)
"""


class Role(StrEnum):
    ORGANIZER = "organizer"  # 组织员: registers organizations, advances cases
    SUPERVISOR = "supervisor"  # 组织部门: approves, watches boards, reads every case's history
    ADMIN = "admin"  # manages users


class User(BaseModel):
    name: str
    role: Role
    region: str  # a region prefix: the user acts only on cases whose region code starts with it

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region)


class UserExists(Exception):
    pass


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).digest()


def ensure_schema(conn: psycopg.Connection) -> None:
    conn.execute(SCHEMA)


def add_user(conn: psycopg.Connection, name: str, role: Role, region: str) -> str:
    """Creates the user and returns its token; only the token's hash is kept."""
    region = parse_region_prefix(region) if region else ""  # "" is the whole country
    token = secrets.token_urlsafe(32)
    ensure_schema(conn)
    try:
        conn.execute(
            "INSERT INTO branchflow_users (name, role, region, token_hash, created_at) VALUES (%s, %s, %s, %s, %s)",
            (name, role.value, region, token_hash(token), datetime.now(UTC)),
        )
    except psycopg.errors.UniqueViolation:
        raise UserExists(f"a user named {name!r} already exists") from None
    return token


def authenticate(conn: psycopg.Connection, token: str) -> User | None:
    digest = token_hash(token)
    row = conn.execute(
        "SELECT name, role, region, token_hash FROM branchflow_users WHERE token_hash = %s", (digest,)
    ).fetchone()
    # The lookup is by hash, so timing reveals nothing of the token; compare again in constant time anyway.
    if row is None or not hmac.compare_digest(bytes(row[3]), digest):
        return None
    return User(name=row[0], role=Role(row[1]), region=row[2])


def find_user(conn: psycopg.Connection, name: str) -> User | None:
    ensure_schema(conn)
    row = conn.execute("SELECT name, role, region FROM branchflow_users WHERE name = %s", (name,)).fetchone()
    return User(name=row[0], role=Role(row[1]), region=row[2]) if row is not None else None


def has_users(conn: psycopg.Connection) -> bool:
    ensure_schema(conn)
    return conn.execute("SELECT EXISTS (SELECT 1 FROM branchflow_users)").fetchone() == (True,)
