"""The meeting's documents list (every tablet asks for it when the packet is published): for every kind of
caller it is exactly the documents that caller may open, each as ``GET /api/documents/{id}`` describes it,
in agenda order; a change (new version, confidentiality, readers, comment deadline) shows on the very next
list."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from meetings.auth import hash_password
from meetings.db import transaction
from meetings.models import Person, User
from tests.conftest import login
from tests.docs_store.pdf_factory import numbered_pdf
from tests.test_documents import add_item, new_version, person_of, upload

CALLERS = ("secretary", "chair", "admin", "delegate01", "delegate02", "operator")
LIST = "/api/meetings/1/documents"


def doc_in(client: TestClient, h: dict[str, str], pdf: Path, item: int | None, **fields: str) -> int:
    """A document uploaded under an agenda item, then taken off the agenda if ``item`` is None."""
    r = upload(client, h, pdf, item or add_item(client, h, "Tạm"), **fields)
    assert r.status_code == 201, r.text
    found: int = r.json()["id"]
    if item is None:
        r = client.patch(f"/api/documents/{found}", json={"agenda_item_id": None}, headers=h)
        assert r.status_code == 200, r.text
    return found


def expected_list(client: TestClient, h: dict[str, str], ids: list[int]) -> list[dict[str, Any]]:
    """What the caller may open, as the one-document answer describes it, in the agenda's order (the agenda
    lists each item's documents in order; documents under no item come last, by their place)."""
    opened = {}
    for doc in ids:
        r = client.get(f"/api/documents/{doc}", headers=h)
        assert r.status_code in (200, 404), r.text
        if r.status_code == 200:
            opened[doc] = {k: v for k, v in r.json().items() if k != "versions"}
    agenda = client.get("/api/meetings/1/agenda", headers=h).json()
    filed = [d["id"] for item in agenda for d in item["documents"]]
    unfiled = sorted(
        (d for d in opened.values() if d["agenda_item_id"] is None), key=lambda d: (d["position"], d["id"])
    )
    return [opened[i] for i in filed] + unfiled


def check_every_caller(client: TestClient, ids: list[int]) -> dict[str, list[int]]:
    seen = {}
    for name in CALLERS:
        h = login(client, name)
        listed = client.get(LIST, headers=h)
        assert listed.status_code == 200, listed.text
        assert listed.json() == expected_list(client, h, ids), name
        seen[name] = [d["id"] for d in listed.json()]
    return seen


def test_the_list_is_what_each_caller_may_open_in_agenda_order(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    first, second = add_item(client, sec, "Khai mạc"), add_item(client, sec, "Báo cáo")
    reader = person_of(client, "delegate02")
    pdf = numbered_pdf(tmp_path / "a.pdf", 2)
    public = doc_in(client, sec, pdf, second)
    delegates = doc_in(client, sec, pdf, first, confidentiality="delegates_only")
    named = doc_in(client, sec, pdf, None, confidentiality="named", readers=str(reader))
    early = doc_in(client, sec, pdf, first)
    loose = doc_in(client, sec, pdf, None)
    ids = [public, delegates, named, early, loose]
    seen = check_every_caller(client, ids)
    assert seen["secretary"] == [delegates, early, public, named, loose]
    assert seen["delegate01"] == [delegates, early, public, loose]
    assert seen["delegate02"] == [delegates, early, public, named, loose]
    assert seen["operator"] == [early, public, loose]  # operates a bridge point: sees the meeting
    [listed] = [d for d in client.get(LIST, headers=sec).json() if d["id"] == named]
    assert listed["readers"] == [reader]
    assert {d["readers"] for d in client.get(LIST, headers=login(client, "delegate02")).json()} == {None}


def test_a_change_shows_on_the_very_next_list(client: TestClient, tmp_path: Path) -> None:
    sec, d1 = login(client, "secretary"), login(client, "delegate01")
    item = add_item(client, sec)
    doc = doc_in(client, sec, numbered_pdf(tmp_path / "a.pdf", 2), item)
    other = doc_in(client, sec, numbered_pdf(tmp_path / "a.pdf", 2), item)
    before = client.get(LIST, headers=d1).json()[0]
    assert new_version(client, sec, doc, numbered_pdf(tmp_path / "b.pdf", 5)).status_code == 201
    after = client.get(LIST, headers=d1).json()[0]
    assert (after["current_version"], after["pages"]) == (2, 5) and after["sha256"] != before["sha256"]
    patch = {"confidentiality": "named", "readers": [person_of(client, "delegate02")]}
    assert client.patch(f"/api/documents/{doc}", json=patch, headers=sec).status_code == 200
    assert [d["id"] for d in client.get(LIST, headers=d1).json()] == [other]
    patch = {"readers": [person_of(client, "delegate01")]}
    assert client.patch(f"/api/documents/{doc}", json=patch, headers=sec).status_code == 200
    assert [d["id"] for d in client.get(LIST, headers=d1).json()] == [doc, other]
    assert [d["id"] for d in client.get(LIST, headers=login(client, "delegate02")).json()] == [other]
    patch = {"position": 9, "comment_deadline": "2030-01-02T08:00:00+07:00"}
    assert client.patch(f"/api/documents/{doc}", json=patch, headers=sec).status_code == 200
    listed = client.get(LIST, headers=d1).json()
    assert [d["id"] for d in listed] == [other, doc]
    assert (
        listed[1]["comment_deadline"]
        == client.get(f"/api/documents/{doc}", headers=d1).json()["comment_deadline"]
    )
    check_every_caller(client, [doc, other])


def test_outsiders_and_unknown_meetings(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc_in(client, sec, numbered_pdf(tmp_path / "a.pdf", 1), add_item(client, sec))
    with transaction(engine) as s:
        person = Person(full_name="Người ngoài")
        s.add(person)
        s.flush()
        s.add(
            User(username="khach", password_hash=hash_password("demo"), role="delegate", person_id=person.id)
        )
        s.add(User(username="khong-ten", password_hash=hash_password("demo"), role="delegate"))
    for name in ("khach", "khong-ten"):
        r = client.get(LIST, headers=login(client, name))
        assert (r.status_code, r.json()["detail"]) == (403, "you are not a participant of this meeting")
    r = client.get("/api/meetings/999/documents", headers=sec)
    assert (r.status_code, r.json()["detail"]) == (404, "meeting 999 does not exist")
