"""Log in, log out, who am I."""

from __future__ import annotations

import time

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from meetings import auth
from meetings.errors import NotAuthenticated, TooManyRequests
from meetings.models import Person, Unit, User
from web.auth import CSRF_COOKIE, SESSION_COOKIE, bearer_token
from web.endpoint import ApiRoute, Call


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    unit_id: int | None
    unit_name: str | None
    person_id: int | None
    full_name: str | None


class LoginOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    csrf_token: str
    expires_at: str
    user: UserOut


def _user_out(call: Call, user_id: int) -> UserOut:
    with call.read() as s:
        user = s.get(User, user_id)
        assert user is not None and user.id is not None
        unit = s.get(Unit, user.unit_id) if user.unit_id else None
        person = s.get(Person, user.person_id) if user.person_id else None
        return UserOut(
            id=user.id,
            username=user.username,
            role=user.role,
            unit_id=user.unit_id,
            unit_name=unit.name if unit else None,
            person_id=user.person_id,
            full_name=person.full_name if person else None,
        )


def login(call: Call) -> JSONResponse:
    data: LoginIn = call.body
    limiter = call.request.app.state.login_limiter
    client = call.request.client.host if call.request.client else "?"
    key = f"{client}|{data.username.lower()}"
    if limiter.blocked(key, time.monotonic()):
        raise TooManyRequests("too many failed logins; wait a few minutes and try again", "too_many_logins")
    try:
        with call.write() as s:
            issued = auth.login(
                s,
                data.username,
                data.password,
                now=call.now,
                hours=call.settings.session_hours,
                demo=call.settings.demo,
            )
            user_id = issued.user.id
    except NotAuthenticated:
        limiter.fail(key, time.monotonic())
        raise
    limiter.reset(key)
    assert user_id is not None
    out = LoginOut(
        access_token=issued.token,
        csrf_token=issued.csrf_token,
        expires_at=issued.expires_at.isoformat(),
        user=_user_out(call, user_id),
    )
    response = JSONResponse(out.model_dump(mode="json"))
    max_age = call.settings.session_hours * 3600
    secure = call.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, issued.csrf_token, max_age=max_age, httponly=False, samesite="strict", secure=secure
    )
    return response


def logout(call: Call) -> JSONResponse:
    token = bearer_token(call.request) or call.request.cookies.get(SESSION_COOKIE, "")
    with call.write() as s:
        auth.logout(s, token)
    response = JSONResponse({"detail": "logged out"})
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


def me(call: Call) -> UserOut:
    return _user_out(call, call.user.user_id)


ROUTES = [
    ApiRoute(
        "POST",
        "/api/auth/login",
        login,
        "Log in; returns a bearer token and sets the session cookie",
        "auth",
        body=LoginIn,
        response=LoginOut,
        auth=False,
        errors=(401, 403, 422, 429),
    ),
    ApiRoute("POST", "/api/auth/logout", logout, "End this session", "auth", errors=(401,)),
    ApiRoute("GET", "/api/auth/me", me, "The logged-in user", "auth", response=UserOut, errors=(401,)),
]
