"""The agenda (items, order, events) and the packet: compiled, published, reused, watermarked per person."""

# mypy: allow-untyped-calls
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pymupdf
from sqlalchemy import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from docs_store.models import PacketCopy
from docs_store.watermark import read_mark
from meetings.clock import LOCAL_TZ
from meetings.db import reading
from meetings.models import Person
from tests.conftest import login
from tests.docs_store.pdf_factory import numbered_pdf, text_pdf
from tests.test_documents import add_item, events, new_version, person_of, upload

AGENDA = "/api/meetings/1/agenda"


def titles(client: TestClient, h: dict[str, str]) -> list[str]:
    return [i["title"] for i in client.get(AGENDA, headers=h).json()]


def test_the_secretary_builds_and_reorders_the_agenda(client: TestClient) -> None:
    sec = login(client, "secretary")
    opening = add_item(client, sec, "Khai mạc", presenter="Chủ tọa", time_box_minutes=10)
    budget = add_item(
        client, sec, "Dự toán ngân sách", presenter="Giám đốc Sở Tài chính", time_box_minutes=45
    )
    closing = add_item(client, sec, "Bế mạc")
    report = add_item(client, sec, "Báo cáo kinh tế - xã hội", position=2)
    assert titles(client, sec) == ["Khai mạc", "Báo cáo kinh tế - xã hội", "Dự toán ngân sách", "Bế mạc"]
    item = client.get(AGENDA, headers=login(client, "delegate01")).json()[2]
    assert (item["presenter"], item["time_box_minutes"], item["position"], item["documents"]) == (
        "Giám đốc Sở Tài chính",
        45,
        3,
        [],
    )
    r = client.put(AGENDA + "/order", json={"item_ids": [opening, budget, report, closing]}, headers=sec)
    assert r.status_code == 200 and [i["id"] for i in r.json()] == [opening, budget, report, closing]
    r = client.put(AGENDA + "/order", json={"item_ids": [opening, budget, report]}, headers=sec)
    assert (r.status_code, r.json()["detail"]) == (422, "send every agenda item of the meeting exactly once")
    r = client.patch(
        f"{AGENDA}/{budget}", json={"time_box_minutes": 60, "title": "Dự toán 2027"}, headers=sec
    )
    assert r.status_code == 200 and (r.json()["time_box_minutes"], r.json()["title"]) == (60, "Dự toán 2027")
    assert client.delete(f"{AGENDA}/{report}", headers=sec).status_code == 204
    assert [i["position"] for i in client.get(AGENDA, headers=sec).json()] == [1, 2, 3]
    last = events(client, sec, "agenda.changed")[-1]["payload"]["items"]
    assert [(i["title"], i["position"]) for i in last] == [
        ("Khai mạc", 1),
        ("Dự toán 2027", 2),
        ("Bế mạc", 3),
    ]


def test_only_the_chair_and_secretary_change_the_agenda(client: TestClient, tmp_path: Path) -> None:
    r = client.post(AGENDA, json={"title": "Chen ngang"}, headers=login(client, "delegate01"))
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "only the meeting's chair or secretary may change its agenda and documents",
    )
    chair = login(client, "chair")
    item = add_item(client, chair, "Do chủ tọa thêm")
    r = client.patch(f"{AGENDA}/{item}", json={"presenter_person_id": 999999}, headers=chair)
    assert (r.status_code, r.json()["detail"]) == (422, "not participants of this meeting: 999999")
    upload(client, chair, numbered_pdf(tmp_path / "a.pdf", 1), item)
    r = client.delete(f"{AGENDA}/{item}", headers=chair)
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "this agenda item has documents: move them to another item first",
    )
    assert client.get("/api/meetings/999/agenda", headers=chair).status_code == 404


def test_the_packet_compiles_the_agenda_and_is_reused_until_something_changes(
    client: TestClient, tmp_path: Path
) -> None:
    sec = login(client, "secretary")
    first = add_item(client, sec, "Báo cáo", presenter="Chủ tịch UBND tỉnh")
    second = add_item(client, sec, "Tờ trình", presenter="Giám đốc Sở Tài chính")
    a = upload(client, sec, numbered_pdf(tmp_path / "a.pdf", 3), first, title="Báo cáo tổng hợp").json()["id"]
    upload(client, sec, numbered_pdf(tmp_path / "b.pdf", 2, "Tờ"), second, title="Tờ trình dự toán")
    reader = str(person_of(client, "delegate02"))
    upload(
        client, sec, text_pdf(tmp_path / "m.pdf", ["Mật"]), second, confidentiality="named", readers=reader
    )
    assert client.get("/api/meetings/1/packet", headers=sec).status_code == 404
    assert client.get("/api/meetings/1/packet/info", headers=sec).json()["detail"] == (
        "no packet has been compiled for this meeting yet"
    )

    r = client.post("/api/meetings/1/packet", headers=sec)
    assert r.status_code == 201, r.text
    packet = r.json()
    assert packet["reused"] is False
    [(level1, title1), (level2, title2), (level3, title3), (level4, title4)] = [
        (c["level"], c["title"]) for c in packet["contents"]
    ]
    assert [title1, title2, title3, title4] == [
        "1. Báo cáo",
        "Báo cáo tổng hợp",
        "2. Tờ trình",
        "Tờ trình dự toán",
    ]
    pdf = client.get("/api/meetings/1/packet", headers=login(client, "delegate01"))
    assert pdf.status_code == 200
    with pymupdf.open(stream=pdf.content, filetype="pdf") as book:
        assert book.page_count == packet["pages"] and packet["pages"] >= 3 + 2 + 2  # cover + contents + body
        toc = [(lvl, t) for lvl, t, *_ in book.get_toc()]
        text = "".join(page.get_text() for page in book)
    assert (1, "1. Báo cáo") in toc and (2, "Tờ trình dự toán") in toc
    assert "Mật" not in text  # a named document is not in everyone's packet
    assert [e["payload"]["sha256"] for e in events(client, sec, "packet.published")] == [packet["sha256"]]

    again = client.post("/api/meetings/1/packet", headers=sec).json()
    assert (again["reused"], again["id"], again["sha256"]) == (True, packet["id"], packet["sha256"])
    new_version(client, sec, a, numbered_pdf(tmp_path / "a2.pdf", 4))
    changed = client.post("/api/meetings/1/packet", headers=sec).json()
    assert changed["reused"] is False and changed["pages"] == packet["pages"] + 1
    info = client.get("/api/meetings/1/packet/info", headers=login(client, "delegate01")).json()
    assert (info["id"], info["sha256"], info["pages"]) == (changed["id"], changed["sha256"], changed["pages"])
    assert len(events(client, sec, "packet.published")) == 2
    part = client.get("/api/meetings/1/packet", headers={**sec, "Range": "bytes=0-9"})
    whole = client.get("/api/meetings/1/packet", headers=sec).content
    assert part.status_code == 206 and part.content == whole[:10] and len(whole) == changed["size"]
    assert client.post("/api/meetings/1/packet", headers=login(client, "delegate01")).status_code == 403


def test_each_delegate_gets_a_watermarked_copy_made_once(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    sec = login(client, "secretary")
    upload(client, sec, numbered_pdf(tmp_path / "a.pdf", 3), add_item(client, sec, "Báo cáo"))
    client.post("/api/meetings/1/packet", headers=sec)
    me = login(client, "delegate01")
    mine = client.get("/api/meetings/1/packet/mine", headers=me)
    assert mine.status_code == 200
    (tmp_path / "mine.pdf").write_bytes(mine.content)
    today = datetime.now(LOCAL_TZ).strftime("%d/%m/%Y")
    with pymupdf.open(tmp_path / "mine.pdf") as copy:
        first_page = " ".join(copy[0].get_text().split())
    person = person_of(client, "delegate01")
    with reading(engine) as s:
        full_name = s.get(Person, person).full_name  # type: ignore[union-attr]
        [row] = s.exec(select(PacketCopy).where(PacketCopy.person_id == person)).all()
    assert f"Bản của đại biểu {full_name} – {today}" in first_page
    assert read_mark(tmp_path / "mine.pdf") == row.mark  # traceable to its holder
    again = client.get("/api/meetings/1/packet/mine", headers=me)
    assert again.headers["etag"] == mine.headers["etag"]  # made once per packet and person
    theirs = client.get("/api/meetings/1/packet/mine", headers=login(client, "delegate02"))
    assert theirs.headers["etag"] != mine.headers["etag"]
