"""Documents over HTTP: streamed upload, hostile files refused with nothing changed, versions and changed
pages, page images (ETag, 304, immutable, single flight), the file with ranges, confidentiality, search."""

# mypy: allow-untyped-calls
from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from docs_store.sanitize import find_active_content
from meetings.auth import hash_password
from meetings.config import Settings
from meetings.db import transaction
from meetings.models import Person, User
from server import create_app
from tests.conftest import login
from tests.docs_store.pdf_factory import VIETNAMESE, docx_bytes, numbered_pdf, page_object, raw_pdf, text_pdf

CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"
PNG, JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


# ---- helpers shared by the other document tests ------------------------------------------------------------


def add_item(
    client: TestClient, h: dict[str, str], title: str = "Báo cáo", meeting: int = 1, **extra: Any
) -> int:
    r = client.post(f"/api/meetings/{meeting}/agenda", json={"title": title, **extra}, headers=h)
    assert r.status_code == 201, r.text
    item: int = r.json()["id"]
    return item


def upload(
    client: TestClient,
    h: dict[str, str],
    data: bytes | Path,
    item: int | None,
    meeting: int = 1,
    name: str = "tai-lieu.pdf",
    **fields: str,
) -> httpx.Response:
    content = data.read_bytes() if isinstance(data, Path) else data
    form = {**fields, **({"agenda_item_id": str(item)} if item is not None else {})}
    return client.post(
        f"/api/meetings/{meeting}/documents",
        data=form,
        files={"file": (name, content, "application/pdf")},
        headers=h,
    )


def new_version(client: TestClient, h: dict[str, str], doc: int, data: bytes | Path) -> httpx.Response:
    content = data.read_bytes() if isinstance(data, Path) else data
    return client.post(
        f"/api/documents/{doc}/versions", files={"file": ("v.pdf", content, "application/pdf")}, headers=h
    )


def published(
    client: TestClient, h: dict[str, str], pdf: Path, item_title: str = "Báo cáo", **fields: str
) -> int:
    r = upload(client, h, pdf, add_item(client, h, item_title), **fields)
    assert r.status_code == 201, r.text
    doc: int = r.json()["id"]
    return doc


def person_of(client: TestClient, username: str) -> int:
    person: int = client.get("/api/auth/me", headers=login(client, username)).json()["person_id"]
    return person


def events(client: TestClient, h: dict[str, str], kind: str, meeting: int = 1) -> list[dict[str, Any]]:
    found = client.get(f"/api/meetings/{meeting}/events?limit=1000", headers=h).json()
    return [e for e in found if e["kind"] == kind]


def files_under(folder: Path) -> set[str]:
    return (
        {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    )


# ---- upload ------------------------------------------------------------------------------------------------


def test_an_upload_is_published_with_its_pages(client: TestClient, tmp_path: Path) -> None:
    h = login(client, "secretary")
    item = add_item(client, h, "Kinh tế - xã hội", presenter="Giám đốc Sở Kế hoạch")
    pdf = text_pdf(tmp_path / "bc.pdf", [VIETNAMESE, "Trang hai", "Trang ba"], title="Báo cáo KT-XH")
    r = upload(client, h, pdf, item)
    assert r.status_code == 201, r.text
    out = r.json()
    assert set(out) >= {"id", "version", "sha256", "pages", "title"}
    assert (out["version"], out["pages"], out["title"]) == (1, 3, "Báo cáo KT-XH")
    assert len(out["page_hashes"]) == 3 and out["changed_pages"] == [1, 2, 3]
    assert out["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    doc = client.get(f"/api/documents/{out['id']}", headers=h).json()
    assert doc["versions"][0]["page_hashes"] == out["page_hashes"]
    assert doc["agenda_item_id"] == item and doc["confidentiality"] == "all_participants"
    [event] = events(client, h, "document.published")
    assert (
        event["payload"]["page_hashes"] == out["page_hashes"] and event["payload"]["title"] == "Báo cáo KT-XH"
    )
    agenda = client.get("/api/meetings/1/agenda", headers=login(client, "delegate01")).json()
    assert agenda[0]["documents"] == [
        {
            "id": out["id"],
            "title": "Báo cáo KT-XH",
            "confidentiality": "all_participants",
            "version": 1,
            "pages": 3,
        }
    ]
    audit = client.get(f"/api/documents/{out['id']}/audit", headers=h).json()
    assert [a["action"] for a in audit] == ["open", "upload"]


def test_only_the_chair_or_secretary_may_upload_and_nothing_is_read_first(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    item = add_item(client, login(client, "secretary"))
    r = upload(client, login(client, "delegate01"), numbered_pdf(tmp_path / "a.pdf", 1), item)
    assert r.status_code == 403
    assert r.json()["detail"] == "only the meeting's chair or secretary may change its agenda and documents"
    assert files_under(settings.data_dir / "documents" / "blobs") == set()
    assert (
        upload(client, login(client, "chair"), numbered_pdf(tmp_path / "a.pdf", 1), item).status_code == 201
    )


def _truncated(tmp: Path) -> bytes:
    data = numbered_pdf(tmp / "full.pdf", 8).read_bytes()
    return data[: len(data) // 2]


def _encrypted(tmp: Path) -> bytes:
    save = {"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "user_pw": "u", "owner_pw": "o"}
    return text_pdf(tmp / "e.pdf", ["mật"], save=save).read_bytes()


HOSTILE: dict[str, tuple[Any, int, str]] = {
    "truncated": (
        _truncated,
        422,
        "the PDF is incomplete (cut off before its end, as by an interrupted download); "
        "ask the sender for a new copy",
    ),
    "encrypted": (_encrypted, 422, "the PDF is password-protected; upload an unprotected copy"),
    "zero pages": (
        lambda tmp: raw_pdf([CATALOG, "<< /Type /Pages /Kids [] /Count 0 >>"]),
        422,
        "the PDF has no pages",
    ),
    "page tree loop": (
        lambda tmp: raw_pdf(
            [
                CATALOG,
                "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
                page_object(),
                "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
            ]
        ),
        422,
        "the PDF is damaged: its page tree contains a loop",
    ),
    "huge page": (
        lambda tmp: raw_pdf(
            [
                CATALOG,
                "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
                page_object(),
                page_object("[0 0 20000 900]"),
            ]
        ),
        422,
        "page 2 is 20000×900 pt, larger than the limit of 14400 pt (5.08 m) per side",
    ),
    "word file renamed .pdf": (
        lambda tmp: docx_bytes(),
        422,
        "the file is not a PDF (it looks like a ZIP archive, such as a Word .docx or Excel .xlsx file); "
        "save or export it as PDF and upload that",
    ),
    "empty": (lambda tmp: b"", 422, "the file is empty"),
    "over the size limit": (
        lambda tmp: b"%PDF-1.7\n" + bytes(2_200_000),
        413,
        "the file is larger than the limit of 2 MB",
    ),
}


# What a screen is told besides the English detail, to say it in its own language (why.<reason>).
REASONS: dict[str, tuple[str, dict[str, Any]]] = {
    "truncated": ("incomplete", {}),
    "encrypted": ("password", {}),
    "zero pages": ("no_pages", {}),
    "page tree loop": ("page_tree_loop", {}),
    "huge page": ("page_too_large", {"page": 2, "limit_m": "5.08"}),
    "word file renamed .pdf": ("not_pdf", {}),
    "empty": ("empty", {}),
    "over the size limit": ("too_large", {"limit": "2 MB"}),
}


@pytest.fixture
def small_limit(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with a 2 MB upload limit."""
    monkeypatch.setenv("CAUHOP_MAX_UPLOAD_MB", "2")
    with TestClient(create_app(settings)) as c:
        yield c


def _state(client: TestClient, h: dict[str, str], settings: Settings) -> tuple[Any, ...]:
    root = settings.data_dir / "documents"
    return (
        client.get("/api/meetings/1/documents", headers=h).json(),
        client.get("/api/meetings/1/agenda", headers=h).json(),
        client.get("/api/meetings/1/events?limit=1000", headers=h).json(),
        files_under(root / "blobs"),
        files_under(root / "work"),
    )


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_upload_gets_its_precise_error_and_changes_nothing(
    small_limit: TestClient, settings: Settings, tmp_path: Path, case: str
) -> None:
    client, h = small_limit, login(small_limit, "secretary")
    kept = published(client, h, numbered_pdf(tmp_path / "ok.pdf", 2))
    new_version(client, h, kept, numbered_pdf(tmp_path / "ok2.pdf", 3))
    before = _state(client, h, settings)
    make, status, detail = HOSTILE[case]
    item = client.get("/api/meetings/1/agenda", headers=h).json()[0]["id"]
    r = upload(client, h, make(tmp_path), item)
    assert (r.status_code, r.json()["detail"]) == (status, detail)
    assert (r.json()["reason"], r.json()["figures"]) == REASONS[case]
    r = new_version(client, h, kept, make(tmp_path))
    assert (r.status_code, r.json()["detail"]) == (status, detail)
    assert _state(client, h, settings) == before


def test_a_bad_form_is_refused_after_the_file_and_leaves_no_blob(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    h = login(client, "secretary")
    pdf = numbered_pdf(tmp_path / "a.pdf", 2)
    before = _state(client, h, settings)
    r = upload(client, h, pdf, None)
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "say which agenda item the document belongs to (agenda_item_id)",
    )
    r = upload(client, h, pdf, 999)
    assert (r.status_code, r.json()["detail"]) == (404, "agenda item 999 is not on this meeting's agenda")
    r = upload(client, h, pdf, add_item(client, h), confidentiality="secret")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "confidentiality"]
    r = client.post("/api/meetings/1/documents", data={"agenda_item_id": "1"}, headers=h)
    assert r.status_code == 422
    after = _state(client, h, settings)
    assert (after[0], after[3], after[4]) == (before[0], before[3], before[4])


def test_javascript_never_reaches_the_delivered_copy(client: TestClient, tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["có mã độc"])
    with pymupdf.open(path) as doc:
        doc.xref_set_key(doc.pdf_catalog(), "OpenAction", "<</S/JavaScript/JS(app.alert\\(1\\))>>")
        doc[0].insert_link(
            {"kind": pymupdf.LINK_LAUNCH, "from": pymupdf.Rect(50, 50, 200, 70), "file": "calc.exe"}
        )
        doc.save(tmp_path / "js.pdf")
    h = login(client, "secretary")
    doc_id = published(client, h, tmp_path / "js.pdf")
    assert client.get(f"/api/documents/{doc_id}", headers=h).json()["versions"][0]["removed_active"] >= 2
    delivered = client.get(f"/api/documents/{doc_id}/file", headers=h).content
    with pymupdf.open(stream=delivered, filetype="pdf") as copy:
        active = find_active_content(copy)
    assert (active.javascript, active.launch) == (False, False)


def test_the_same_file_is_stored_once(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    h = login(client, "secretary")
    pdf = numbered_pdf(tmp_path / "a.pdf", 2)
    first, second = published(client, h, pdf, "Một"), published(client, h, pdf, "Hai")
    assert first != second
    # one file: nothing had to be removed, so the delivered copy is the upload itself
    assert len(files_under(settings.data_dir / "documents" / "blobs")) == 1


# ---- versions ----------------------------------------------------------------------------------------------


def test_a_new_version_keeps_the_history_and_names_the_changed_pages(
    client: TestClient, tmp_path: Path
) -> None:
    h = login(client, "secretary")
    v1 = text_pdf(tmp_path / "v1.pdf", ["Điều 1. Phạm vi", "Điều 2. Đối tượng", "Điều 3. Hiệu lực"])
    v2 = text_pdf(
        tmp_path / "v2.pdf", ["Điều 1. Phạm vi", "Điều 2. Đối tượng (sửa)", "Điều 3. Hiệu lực", "Phụ lục"]
    )
    doc = published(client, h, v1, "Dự thảo nghị quyết")
    old = client.get(f"/api/documents/{doc}", headers=h).json()["versions"][0]["page_hashes"]
    r = new_version(client, h, doc, v2)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["version"], out["pages"], out["changed_pages"]) == (2, 4, [2, 4])
    assert out["page_hashes"][0] == old[0] and out["page_hashes"][2] == old[2]  # unchanged pages keep theirs
    detail = client.get(f"/api/documents/{doc}", headers=h).json()
    assert [v["number"] for v in detail["versions"]] == [1, 2] and detail["current_version"] == 2
    assert client.get(f"/api/documents/{doc}/pages/4?width=160&v=1", headers=h).status_code == 404
    assert client.get(f"/api/documents/{doc}/pages/3?width=160&v=1", headers=h).status_code == 200
    [event] = events(client, h, "document.versioned")
    assert (
        event["payload"]["changed_pages"] == [2, 4] and event["payload"]["page_hashes"] == out["page_hashes"]
    )
    r = new_version(client, h, doc, v2)
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "this file is the same as version 2; nothing to publish",
    )


# ---- pages -------------------------------------------------------------------------------------------------


def test_page_images_have_strong_etags_304_and_immutable_versioned_urls(
    client: TestClient, tmp_path: Path
) -> None:
    h = login(client, "delegate01")
    doc = published(client, login(client, "secretary"), numbered_pdf(tmp_path / "a.pdf", 2))
    r = client.get(f"/api/documents/{doc}/pages/1?width=640", headers=h)
    assert r.status_code == 200 and r.content.startswith(PNG) and r.headers["x-cache"] == "miss"
    assert abs(pymupdf.Pixmap(r.content).width - 640) <= 1
    etag = r.headers["etag"]
    assert etag.startswith('"') and "W/" not in etag and r.headers["cache-control"] == "private, no-cache"
    again = client.get(f"/api/documents/{doc}/pages/1?width=640", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    hit = client.get(f"/api/documents/{doc}/pages/1?width=640", headers=h)
    assert hit.headers["x-cache"] == "hit" and hit.content == r.content
    pinned = client.get(f"/api/documents/{doc}/pages/1?width=640&v=1", headers=h)
    assert pinned.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert pinned.headers["etag"] == etag  # the same page image, whichever URL names it
    jpeg = client.get(f"/api/documents/{doc}/pages/1?width=640", headers={**h, "Accept": "image/jpeg"})
    assert jpeg.content.startswith(JPEG) and jpeg.headers["etag"] != etag and jpeg.headers["vary"] == "Accept"
    assert client.get(f"/api/documents/{doc}/pages/1?width=640&fmt=jpeg", headers=h).content.startswith(JPEG)
    r = client.get(f"/api/documents/{doc}/pages/1?width=500", headers=h)
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "width must be one of 160, 320, 640, 960, 1280, 1600, 2048",
    )
    r = client.get(f"/api/documents/{doc}/pages/3?width=640", headers=h)
    assert (r.status_code, r.json()["detail"]) == (404, "page 3 does not exist; version 1 has 2 pages")


def test_page_words_are_normalised_and_cached(client: TestClient, tmp_path: Path) -> None:
    h = login(client, "delegate01")
    doc = published(
        client, login(client, "secretary"), text_pdf(tmp_path / "a.pdf", [VIETNAMESE], rotation=90)
    )
    r = client.get(f"/api/documents/{doc}/pages/1/text", headers=h)
    body = r.json()
    assert body["page"] == 1 and body["version"] == 1
    assert [w["text"] for w in body["words"]][:4] == VIETNAMESE.split()[:4]
    assert all(0 <= w["x0"] <= w["x1"] <= 1 and 0 <= w["y0"] <= w["y1"] <= 1 for w in body["words"])
    assert (
        client.get(
            f"/api/documents/{doc}/pages/1/text", headers={**h, "If-None-Match": r.headers["etag"]}
        ).status_code
        == 304
    )


def test_five_hundred_requests_for_one_cold_page_render_it_once(client: TestClient, tmp_path: Path) -> None:
    h = login(client, "delegate01")
    doc = published(client, login(client, "secretary"), numbered_pdf(tmp_path / "a.pdf", 3))
    docs = client.app.state.documents  # type: ignore[attr-defined]
    before = docs.renders

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            url = f"/api/documents/{doc}/pages/2?width=1600"
            return await asyncio.gather(*(http.get(url, headers=h) for _ in range(500)))

    assert client.portal is not None
    replies = client.portal.call(burst)
    assert {r.status_code for r in replies} == {200}
    assert len({r.content for r in replies}) == 1
    caches = [r.headers["x-cache"] for r in replies]
    assert caches.count("miss") == 1 and docs.renders - before == 1
    assert caches.count("shared") > 0  # the others waited for that one render


# ---- the file ----------------------------------------------------------------------------------------------


def test_the_file_is_served_with_ranges_and_each_download_audited_once(
    client: TestClient, tmp_path: Path
) -> None:
    h = login(client, "delegate01")
    doc = published(client, login(client, "secretary"), numbered_pdf(tmp_path / "a.pdf", 4))
    whole = client.get(f"/api/documents/{doc}/file", headers=h)
    assert whole.status_code == 200 and whole.headers["content-type"] == "application/pdf"
    assert whole.headers["accept-ranges"] == "bytes"
    sha = client.get(f"/api/documents/{doc}", headers=h).json()["sha256"]
    assert whole.headers["etag"] == f'"{sha}"'
    part = client.get(f"/api/documents/{doc}/file", headers={**h, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    tail = client.get(f"/api/documents/{doc}/file?v=1", headers={**h, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole.content[-50:]
    assert tail.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert (
        client.get(f"/api/documents/{doc}/file", headers={**h, "If-None-Match": f'"{sha}"'}).status_code
        == 304
    )
    audit = client.get(f"/api/documents/{doc}/audit", headers=login(client, "secretary")).json()
    mine = [a["action"] for a in audit if a["username"] == "delegate01"]
    assert mine == ["open", "download"]  # newest first


# ---- confidentiality ---------------------------------------------------------------------------------------


def test_a_named_document_reaches_only_its_readers(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    reader = person_of(client, "delegate02")
    pdf = text_pdf(tmp_path / "mat.pdf", ["Phương án nhân sự: ngân sách dự phòng"], title="Phương án nhân sự")
    doc = published(client, sec, pdf, confidentiality="named", readers=str(reader))
    public = published(client, sec, text_pdf(tmp_path / "pub.pdf", ["Ngân sách công khai"]), "Công khai")
    outsider, insider = login(client, "delegate01"), login(client, "delegate02")
    for path in (
        "",
        "/pages/1?width=160",
        "/pages/1/text",
        "/file",
        "/annotations",
        "/comments",
        "/annotated.pdf",
    ):
        r = client.get(f"/api/documents/{doc}{path}", headers=outsider)
        assert (r.status_code, r.json()["detail"]) == (404, f"document {doc} does not exist"), path
        assert client.get(f"/api/documents/{doc}{path}", headers=insider).status_code == 200, path
    assert [d["id"] for d in client.get("/api/meetings/1/documents", headers=outsider).json()] == [public]
    assert {d["id"] for d in client.get("/api/meetings/1/documents", headers=insider).json()} == {doc, public}
    for url in ("/api/search?q=ngan sach", "/api/meetings/1/search?q=ngan sach"):
        assert {hit["document_id"] for hit in client.get(url, headers=outsider).json()} == {public}
        assert {hit["document_id"] for hit in client.get(url, headers=insider).json()} == {doc, public}
    [event] = [e for e in events(client, sec, "document.published") if e["payload"]["document_id"] == doc]
    assert "title" not in event["payload"] and "page_hashes" not in event["payload"]
    assert client.get(f"/api/documents/{doc}", headers=sec).json()["readers"] == [reader]
    assert client.get(f"/api/documents/{doc}", headers=insider).json()["readers"] is None


def test_delegates_only_is_closed_to_guests_and_operators(client: TestClient, tmp_path: Path) -> None:
    doc = published(
        client,
        login(client, "secretary"),
        numbered_pdf(tmp_path / "a.pdf", 1),
        confidentiality="delegates_only",
    )
    operator = login(client, "operator")  # operates a bridge point of the meeting: may see the meeting
    assert client.get("/api/meetings/1", headers=operator).status_code == 200
    assert client.get(f"/api/documents/{doc}", headers=operator).status_code == 404
    assert client.get(f"/api/documents/{doc}", headers=login(client, "delegate07")).status_code == 200


def test_someone_outside_the_meeting_is_forbidden(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    doc = published(client, login(client, "secretary"), numbered_pdf(tmp_path / "a.pdf", 1))
    with transaction(engine) as s:
        person = Person(full_name="Người ngoài")
        s.add(person)
        s.flush()
        s.add(
            User(username="khach", password_hash=hash_password("demo"), role="delegate", person_id=person.id)
        )
    outsider = login(client, "khach")
    r = client.get(f"/api/documents/{doc}/pages/1?width=160", headers=outsider)
    assert (r.status_code, r.json()["detail"]) == (403, "you are not a participant of this meeting")
    assert client.get("/api/search?q=trang", headers=outsider).json() == []


def test_making_a_document_named_needs_readers_who_take_part(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, numbered_pdf(tmp_path / "a.pdf", 1))
    r = client.patch(f"/api/documents/{doc}", json={"confidentiality": "named"}, headers=sec)
    assert (r.status_code, r.json()["detail"]) == (422, "name at least one reader for a 'named' document")
    r = client.patch(
        f"/api/documents/{doc}", json={"confidentiality": "named", "readers": [999999]}, headers=sec
    )
    assert (r.status_code, r.json()["detail"]) == (422, "not participants of this meeting: 999999")
    reader = person_of(client, "delegate03")
    r = client.patch(
        f"/api/documents/{doc}", json={"confidentiality": "named", "readers": [reader]}, headers=sec
    )
    assert r.status_code == 200 and r.json()["readers"] == [reader]
    assert client.get(f"/api/documents/{doc}", headers=login(client, "delegate04")).status_code == 404


# ---- search ------------------------------------------------------------------------------------------------


def test_search_ignores_accents_and_case_and_returns_document_page_and_snippet(
    client: TestClient, tmp_path: Path
) -> None:
    sec = login(client, "secretary")
    pdf = text_pdf(tmp_path / "ns.pdf", ["Mở đầu", f"Phần hai. {VIETNAMESE}.", "Kết luận: ĐỒNG Ý"])
    r = upload(client, sec, pdf, add_item(client, sec), title="Dự toán")
    doc = r.json()["id"]
    h = login(client, "delegate01")
    for q in ("ngan sach", "NGÂN SÁCH", "Ngân Sach"):
        [hit] = client.get("/api/meetings/1/search", params={"q": q}, headers=h).json()
        assert (hit["document_id"], hit["version"], hit["page"], hit["title"]) == (doc, 1, 2, "Dự toán")
        start, end = hit["match"]
        assert hit["snippet"][start:end] == "ngân sách"
    assert [hit["page"] for hit in client.get("/api/search?q=dong y", headers=h).json()] == [3]
    assert client.get("/api/search?q=sach ngan", headers=h).json() == []  # the words in that order
    r = client.get("/api/search?q=%21%21", headers=h)
    assert (r.status_code, r.json()["detail"]) == (422, "search for at least one word")
    new_version(client, sec, doc, text_pdf(tmp_path / "v2.pdf", ["Mở đầu", "Không còn nội dung đó"]))
    assert client.get("/api/search?q=ngan sach", headers=h).json() == []  # only current versions are searched


def test_a_large_upload_streams_through_intact(client: TestClient, tmp_path: Path) -> None:
    """Many network chunks: the file part goes to disk piece by piece and comes out byte for byte."""
    path = numbered_pdf(tmp_path / "big.pdf", 2)
    with pymupdf.open(path) as doc:
        doc.embfile_add("phu-luc.bin", os.urandom(6_000_000))  # stored, never opened or delivered as is
        doc.save(tmp_path / "big2.pdf")
    data = (tmp_path / "big2.pdf").read_bytes()
    h = login(client, "secretary")
    r = upload(client, h, data, add_item(client, h))
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest() and r.json()["pages"] == 2


def test_page_reads_follow_a_new_version_and_a_withdrawn_permission_at_once(
    client: TestClient, tmp_path: Path
) -> None:
    sec, h = login(client, "secretary"), login(client, "delegate04")
    doc = published(client, sec, text_pdf(tmp_path / "v1.pdf", ["Trang một", "Trang hai"]))
    before = client.get(f"/api/documents/{doc}/pages/2?width=160", headers=h).headers["etag"]
    new_version(client, sec, doc, text_pdf(tmp_path / "v2.pdf", ["Trang một", "Trang hai, sửa"]))
    after = client.get(f"/api/documents/{doc}/pages/2?width=160", headers=h)
    assert after.status_code == 200 and after.headers["etag"] != before
    assert client.get(f"/api/documents/{doc}/pages/1?width=160", headers=h).status_code == 200
    reader = person_of(client, "delegate05")
    r = client.patch(
        f"/api/documents/{doc}", json={"confidentiality": "named", "readers": [reader]}, headers=sec
    )
    assert r.status_code == 200
    assert client.get(f"/api/documents/{doc}/pages/1?width=160", headers=h).status_code == 404
