"""A tablet's offline outbox sends an annotation again after a lost reply: with its client key, the create is
applied once (one annotation, one event, one audit line), whoever else uses the same key."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import login
from tests.docs_store.pdf_factory import text_pdf
from tests.test_documents import events, published

NOTE = {"kind": "note", "page": 2, "data": {"at": [0.4, 0.3], "text": "Xem lại số liệu"}}


def test_a_create_sent_again_with_its_client_key_is_applied_once(client: TestClient, tmp_path: Path) -> None:
    sec, me, other = login(client, "secretary"), login(client, "delegate01"), login(client, "delegate02")
    doc = published(client, sec, text_pdf(tmp_path / "a.pdf", ["Điều 1. Phạm vi", "Điều 2. Dự toán"]))
    url = f"/api/documents/{doc}/annotations"
    body = {**NOTE, "client_key": "tablet-ann-0001"}
    first = client.post(url, json=body, headers=me)
    again = client.post(url, json=body, headers=me)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert [a["id"] for a in client.get(url, headers=me).json()] == [first.json()["id"]]
    audit = client.get(f"/api/documents/{doc}/audit", headers=sec).json()
    assert len([e for e in audit if e["action"] == "annotate"]) == 1

    theirs = client.post(url, json=body, headers=other)  # the key is the author's own
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    without = client.post(url, json=NOTE, headers=me)  # no key: every create adds one
    assert without.status_code == 201
    assert len(client.get(url, headers=me).json()) == 2


def test_a_shared_annotation_sent_twice_goes_live_once(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, text_pdf(tmp_path / "a.pdf", ["Điều 1. Phạm vi", "Điều 2. Dự toán"]))
    body = {**NOTE, "visibility": "shared", "client_key": "chair-ann-42:x"}
    for _ in range(3):
        assert client.post(f"/api/documents/{doc}/annotations", json=body, headers=sec).status_code == 201
    assert len(events(client, sec, "annotation.added")) == 1


def test_a_client_key_is_checked(client: TestClient, tmp_path: Path) -> None:
    sec, me = login(client, "secretary"), login(client, "delegate01")
    first = published(client, sec, text_pdf(tmp_path / "a.pdf", ["Điều 1", "Điều 2"]))
    second = published(client, sec, text_pdf(tmp_path / "b.pdf", ["Điều 3", "Điều 4"]))
    body = {**NOTE, "client_key": "tablet-ann-0002"}
    assert client.post(f"/api/documents/{first}/annotations", json=body, headers=me).status_code == 201
    r = client.post(f"/api/documents/{second}/annotations", json=body, headers=me)
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "the client key 'tablet-ann-0002' was already used for an annotation on another document",
    )
    assert client.get(f"/api/documents/{second}/annotations", headers=me).json() == []
    bad = {**NOTE, "client_key": "bad key!"}
    r = client.post(f"/api/documents/{first}/annotations", json=bad, headers=me)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "client_key"
