"""Logging in and who may call what: bearer tokens, session cookies with CSRF, rate limits, demo passwords."""

from __future__ import annotations

from dataclasses import replace

from starlette.testclient import TestClient

from meetings.config import Settings
from server import create_app
from tests.conftest import login


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_login_returns_bearer_token_user_and_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "secretary", "password": "demo"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) > 30
    assert body["user"]["username"] == "secretary" and body["user"]["role"] == "secretary"
    assert body["user"]["unit_name"] == "UBND tỉnh Hà Giang"
    assert "cauhop_session" in r.cookies and "cauhop_csrf" in r.cookies


def test_bad_credentials_are_401(client: TestClient) -> None:
    for username, password in (("secretary", "wrong"), ("nobody", "demo")):
        r = client.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 401
        assert r.json() == {"detail": "wrong username or password", "reason": "wrong_login", "figures": {}}


def test_api_routes_need_authentication(client: TestClient) -> None:
    for path in ("/api/units", "/api/bridge-points", "/api/meetings", "/api/meetings/1", "/api/auth/me"):
        r = client.get(path)
        assert r.status_code == 401, path
        assert "log in first" in r.json()["detail"]
    r = client.get("/api/units", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "expired or is not valid" in r.json()["detail"]


def test_bearer_token_works_and_logout_revokes_it(client: TestClient) -> None:
    headers = login(client, "chair")
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=headers).json()["username"] == "chair"
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_cookie_session_needs_csrf_header_on_writes(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "secretary", "password": "demo"})
    csrf = r.json()["csrf_token"]
    assert client.get("/api/auth/me").json()["username"] == "secretary"  # the cookie alone reads
    meeting = {"title": "Giao ban", "host_unit_id": 4, "start": "2030-01-07T08:00", "end": "2030-01-07T09:00"}
    r = client.post("/api/meetings", json=meeting)
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
    r = client.post("/api/meetings", json=meeting, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_repeated_failed_logins_are_rate_limited(client: TestClient) -> None:
    for _ in range(10):
        assert client.post("/api/auth/login", json={"username": "chair", "password": "x"}).status_code == 401
    r = client.post("/api/auth/login", json={"username": "chair", "password": "demo"})
    assert r.status_code == 429 and "too many failed logins" in r.json()["detail"]


def test_demo_password_is_refused_outside_demo_mode(settings: Settings) -> None:
    with TestClient(create_app(replace(settings, demo=False))) as c:
        r = c.post("/api/auth/login", json={"username": "admin", "password": "demo"})
        assert r.status_code == 403
        assert "default password" in r.json()["detail"]


def test_login_body_is_validated(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "chair"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["password"]
    r = client.post("/api/auth/login", content=b"{not json")
    assert r.status_code == 422
