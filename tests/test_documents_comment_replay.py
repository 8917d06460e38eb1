"""A tablet's offline outbox sends a comment again after a lost reply: with its client key, the comment is
added once (one comment, one event, one audit line), even when the deadline has passed in the meantime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import login
from tests.docs_store.pdf_factory import text_pdf
from tests.test_documents import events, published

DRAFT = ["Điều 1. Dự toán thu ngân sách năm 2027", "Điều 2. Tổ chức thực hiện"]
COMMENT = {"text": "Đề nghị làm rõ cơ sở tính dự toán", "page": 1}


def _draft(client: TestClient, sec: dict[str, str], pdf: Path, deadline: datetime) -> int:
    doc = published(client, sec, text_pdf(pdf, DRAFT))
    r = client.patch(f"/api/documents/{doc}", json={"comment_deadline": deadline.isoformat()}, headers=sec)
    assert r.status_code == 200, r.text
    return doc


def test_a_comment_sent_again_with_its_client_key_is_added_once(client: TestClient, tmp_path: Path) -> None:
    sec, me, other = login(client, "secretary"), login(client, "delegate01"), login(client, "delegate02")
    doc = _draft(client, sec, tmp_path / "a.pdf", datetime.now(UTC) + timedelta(days=1))
    url = f"/api/documents/{doc}/comments"
    body = {**COMMENT, "client_key": "cmt-tablet-0001"}
    first = client.post(url, json=body, headers=me)
    again = client.post(url, json=body, headers=me)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert [c["id"] for c in client.get(url, headers=me).json()] == [first.json()["id"]]
    assert len(events(client, sec, "comment.added")) == 1
    audit = client.get(f"/api/documents/{doc}/audit", headers=sec).json()
    assert len([e for e in audit if e["action"] == "comment"]) == 1

    theirs = client.post(url, json=body, headers=other)  # the key is the author's own
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    without = client.post(url, json=COMMENT, headers=me)  # no key: every create adds one
    assert without.status_code == 201
    assert len(client.get(url, headers=me).json()) == 2


def test_a_replay_after_the_deadline_returns_the_comment_made_before_it(
    client: TestClient, tmp_path: Path
) -> None:
    sec, me = login(client, "secretary"), login(client, "delegate01")
    doc = _draft(client, sec, tmp_path / "a.pdf", datetime.now(UTC) + timedelta(days=1))
    url = f"/api/documents/{doc}/comments"
    body = {**COMMENT, "client_key": "cmt-tablet-0002"}
    first = client.post(url, json=body, headers=me)
    assert first.status_code == 201
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert (
        client.patch(f"/api/documents/{doc}", json={"comment_deadline": past}, headers=sec).status_code == 200
    )

    again = client.post(url, json=body, headers=me)  # the reply to the first was lost: it was in time
    assert (again.status_code, again.json()) == (201, first.json())
    late = client.post(url, json={**COMMENT, "client_key": "cmt-tablet-0003"}, headers=me)
    assert late.status_code == 409 and late.json()["detail"].startswith("the deadline for comments was ")
    assert [c["id"] for c in client.get(url, headers=sec).json()] == [first.json()["id"]]


def test_a_comment_client_key_is_checked(client: TestClient, tmp_path: Path) -> None:
    sec, me = login(client, "secretary"), login(client, "delegate01")
    soon = datetime.now(UTC) + timedelta(days=1)
    first = _draft(client, sec, tmp_path / "a.pdf", soon)
    second = _draft(client, sec, tmp_path / "b.pdf", soon)
    body = {**COMMENT, "client_key": "cmt-tablet-0004"}
    assert client.post(f"/api/documents/{first}/comments", json=body, headers=me).status_code == 201
    r = client.post(f"/api/documents/{second}/comments", json=body, headers=me)
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "the client key 'cmt-tablet-0004' was already used for a comment on another document",
    )
    assert client.get(f"/api/documents/{second}/comments", headers=me).json() == []
    for bad in ("bad key!", "short", "x" * 65):
        r = client.post(f"/api/documents/{first}/comments", json={**COMMENT, "client_key": bad}, headers=me)
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"][-1] == "client_key"
    assert len(client.get(f"/api/documents/{first}/comments", headers=me).json()) == 1
