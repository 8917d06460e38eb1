"""Who is calling: a bearer token or the session cookie (which also needs the CSRF header on writes)."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import HTTPConnection

from meetings.auth import authenticate
from meetings.db import reading
from meetings.errors import Forbidden, NotAuthenticated
from meetings.permissions import Actor

SESSION_COOKIE = "cauhop_session"
CSRF_COOKIE = "cauhop_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate_request(conn: HTTPConnection, engine: Engine, now: datetime) -> Actor:
    """The calling user. Cookie sessions must echo the CSRF token on any unsafe method."""
    token = bearer_token(conn)
    by_cookie = token is None
    token = token or conn.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated(
            "log in first: send 'Authorization: Bearer <token>' or the session cookie", "login_first"
        )
    with reading(engine) as session:
        found = authenticate(session, token, now=now)
    method = conn.scope.get("method", "GET")
    if by_cookie and method not in SAFE_METHODS:
        sent = conn.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, found.csrf_token):
            raise Forbidden("missing or wrong X-CSRF-Token header (send the value of the cauhop_csrf cookie)")
    return found.actor
