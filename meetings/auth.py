"""Passwords (argon2) and sessions (random tokens, stored hashed): the authentication edge."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from meetings.clock import from_db
from meetings.config import DEFAULT_PASSWORDS
from meetings.errors import Forbidden, Invalid, NotAuthenticated
from meetings.models import AuthSession, User
from meetings.permissions import Actor, Role

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str, *, demo: bool) -> None:
    """Outside demo mode, default and short passwords are refused."""
    if demo:
        return
    if password.lower() in DEFAULT_PASSWORDS:
        raise Invalid(f"'{password}' is a default password, allowed only in demo mode; choose another")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _verify(user: User | None, password: str) -> bool:
    if user is None:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    user: User
    expires_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    session: Session, username: str, password: str, *, now: datetime, hours: int, demo: bool
) -> IssuedSession:
    user = session.exec(select(User).where(User.username == username)).first()
    if not _verify(user, password) or user is None or not user.active:
        raise NotAuthenticated("wrong username or password", "wrong_login")
    if not demo and password.lower() in DEFAULT_PASSWORDS:
        raise Forbidden(
            "this account still has a default password, which works only in demo mode; "
            "an administrator must set a new one (cauhop create-user --reset)",
            "default_password",
        )
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = now + timedelta(hours=hours)
    assert user.id is not None
    session.add(
        AuthSession(
            token_hash=token_digest(token),
            csrf_token=csrf,
            user_id=user.id,
            created_at=now,
            expires_at=expires,
        )
    )
    return IssuedSession(token, csrf, user, expires)


@dataclass(frozen=True)
class Authenticated:
    actor: Actor
    csrf_token: str


def authenticate(session: Session, token: str, *, now: datetime) -> Authenticated:
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).first()
    if row is None or from_db(row.expires_at) <= now:
        raise NotAuthenticated("your session has expired or is not valid; log in again", "session_expired")
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.id is None:
        raise NotAuthenticated("this account is disabled", "account_disabled")
    return Authenticated(actor_of(user), row.csrf_token)


def actor_of(user: User) -> Actor:
    assert user.id is not None
    return Actor(user.id, user.username, Role(user.role), user.unit_id, user.person_id)


def logout(session: Session, token: str) -> None:
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).first()
    if row is not None:
        session.delete(row)
