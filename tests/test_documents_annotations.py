"""Annotations: private and shared (live), re-anchored onto a new version whose pages moved (never lost),
exported as real PDF annotations and imported back."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path
from typing import Any

import pymupdf
from starlette.testclient import TestClient

from docs_store.annotations_pdf import read_annotations
from tests.conftest import login
from tests.docs_store.pdf_factory import text_pdf
from tests.test_documents import add_item, events, new_version, person_of, published, upload

A = "Điều 1. Phạm vi điều chỉnh của nghị quyết này"
B = "Điều 2. Dự toán thu ngân sách nhà nước trên địa bàn tỉnh năm 2027 là 3.500 tỷ đồng"
B2 = "Phụ lục. Điều 2. Dự toán thu ngân sách nhà nước trên địa bàn tỉnh năm 2027 là 3.700 tỷ đồng"
C = "Điều 3. Tổ chức thực hiện"
X = "Lời nói đầu của bản sửa đổi"


def words_box(client: TestClient, h: dict[str, str], doc: int, page: int, phrase: str) -> list[float]:
    """The box around ``phrase`` on the page, from the page's words."""
    words = client.get(f"/api/documents/{doc}/pages/{page}/text", headers=h).json()["words"]
    wanted = phrase.split()
    texts = [w["text"] for w in words]
    at = next(i for i in range(len(texts)) if texts[i : i + len(wanted)] == wanted)
    hit = words[at : at + len(wanted)]
    return [
        min(w["x0"] for w in hit),
        min(w["y0"] for w in hit),
        max(w["x1"] for w in hit),
        max(w["y1"] for w in hit),
    ]


def annotate(client: TestClient, h: dict[str, str], doc: int, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/documents/{doc}/annotations", json=body, headers=h)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def highlight(page: int, rect: list[float], **extra: Any) -> dict[str, Any]:
    return {"kind": "highlight", "page": page, "data": {"rects": [rect], **extra}}


def test_private_annotations_stay_private_and_shared_ones_go_live(client: TestClient, tmp_path: Path) -> None:
    sec, me, other = login(client, "secretary"), login(client, "delegate01"), login(client, "delegate02")
    doc = published(client, sec, text_pdf(tmp_path / "a.pdf", [A, B]))
    mine = annotate(
        client, me, doc, {"kind": "note", "page": 1, "data": {"at": [0.5, 0.5], "text": "Hỏi lại"}}
    )
    assert (mine["visibility"], mine["status"], mine["version"]) == ("private", "ok", 1)
    assert [a["id"] for a in client.get(f"/api/documents/{doc}/annotations", headers=me).json()] == [
        mine["id"]
    ]
    assert client.get(f"/api/documents/{doc}/annotations", headers=other).json() == []
    r = client.patch(
        f"/api/documents/{doc}/annotations/{mine['id']}",
        json={"data": {"at": [0.1, 0.1], "text": "x"}},
        headers=other,
    )
    assert r.status_code == 404
    assert events(client, sec, "annotation.added") == []  # private: no event
    r = client.post(
        f"/api/documents/{doc}/annotations",
        json={**highlight(1, [0, 0, 1, 0.1]), "visibility": "shared"},
        headers=me,
    )
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "only the chair, the secretary or the item's presenter may share annotations",
    )
    shared = annotate(client, sec, doc, {**highlight(2, [0.1, 0.05, 0.9, 0.08]), "visibility": "shared"})
    assert [a["id"] for a in client.get(f"/api/documents/{doc}/annotations", headers=other).json()] == [
        shared["id"]
    ]
    [event] = events(client, sec, "annotation.added")
    assert event["payload"]["annotation_id"] == shared["id"] and event["payload"]["data"]["rects"]
    r = client.patch(
        f"/api/documents/{doc}/annotations/{shared['id']}",
        json={"data": {"rects": [[0, 0, 2, 1]]}},
        headers=sec,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][:3] == ["body", "data", "rects"]
    assert client.delete(f"/api/documents/{doc}/annotations/{shared['id']}", headers=sec).status_code == 204
    assert [e["payload"]["annotation_id"] for e in events(client, sec, "annotation.removed")] == [
        shared["id"]
    ]
    assert client.delete(f"/api/documents/{doc}/annotations/{mine['id']}", headers=sec).status_code == 404


def test_the_items_presenter_may_share(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    presenter = person_of(client, "delegate05")
    item = add_item(client, sec, "Tờ trình", presenter="Ông Năm", presenter_person_id=presenter)
    doc = upload(client, sec, text_pdf(tmp_path / "a.pdf", [A]), item).json()["id"]
    body = {**highlight(1, [0, 0, 1, 0.2]), "visibility": "shared"}
    assert (
        client.post(
            f"/api/documents/{doc}/annotations", json=body, headers=login(client, "delegate05")
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/documents/{doc}/annotations", json=body, headers=login(client, "delegate06")
        ).status_code
        == 403
    )


def test_a_highlight_remembers_the_text_under_it(client: TestClient, tmp_path: Path) -> None:
    h = login(client, "delegate01")
    doc = published(client, login(client, "secretary"), text_pdf(tmp_path / "a.pdf", [B]))
    rect = words_box(client, h, doc, 1, "thu ngân sách")
    mark = annotate(client, h, doc, highlight(1, rect))
    assert mark["anchor"]["quote"] == "thu ngân sách"
    assert mark["anchor"]["prefix"].endswith("Dự toán") and mark["anchor"]["suffix"].startswith("nhà nước")


def test_annotations_follow_their_text_and_pages_to_a_new_version_and_orphans_are_kept(
    client: TestClient, tmp_path: Path
) -> None:
    sec, me, other = login(client, "secretary"), login(client, "delegate01"), login(client, "delegate02")
    doc = published(client, sec, text_pdf(tmp_path / "v1.pdf", [A, B, C]))
    budget = annotate(client, me, doc, highlight(2, words_box(client, me, doc, 2, "Dự toán thu ngân sách")))
    amount = annotate(
        client, me, doc, highlight(2, words_box(client, me, doc, 2, "3.500 tỷ đồng"), text="Số này?")
    )
    ink = annotate(
        client, me, doc, {"kind": "ink", "page": 3, "data": {"strokes": [[[0.1, 0.1], [0.3, 0.2]]]}}
    )
    arrow = annotate(
        client, other, doc, {"kind": "arrow", "page": 1, "data": {"start": [0.1, 0.5], "end": [0.4, 0.5]}}
    )
    old_box = budget["data"]["rects"][0]

    r = new_version(client, sec, doc, text_pdf(tmp_path / "v2.pdf", [X, C, A, B2]))
    assert r.status_code == 201, r.text
    assert r.json()["annotations"] == {"ok": 0, "moved": 3, "orphaned": 1}
    [event] = events(client, sec, "document.versioned")
    assert event["payload"]["annotations"] == {"ok": 0, "moved": 3, "orphaned": 1}

    now = {a["id"]: a for a in client.get(f"/api/documents/{doc}/annotations", headers=me).json()}
    assert set(now) == {budget["id"], amount["id"], ink["id"]}  # nothing lost
    assert (now[budget["id"]]["page"], now[budget["id"]]["status"], now[budget["id"]]["version"]) == (
        4,
        "moved",
        2,
    )
    assert now[budget["id"]]["data"]["rects"][0] != old_box  # re-found under the words of the new page
    assert (now[ink["id"]]["page"], now[ink["id"]]["status"]) == (2, "moved")  # its page moved, unchanged
    orphan = now[amount["id"]]
    assert orphan["status"] == "orphaned" and orphan["data"]["text"] == "Số này?"
    assert orphan["status_detail"] == "the marked text “3.500 tỷ đồng” is not in the new version"
    [theirs] = client.get(f"/api/documents/{doc}/annotations", headers=other).json()
    assert (theirs["id"], theirs["page"], theirs["status"]) == (arrow["id"], 3, "moved")
    v1 = client.get(f"/api/documents/{doc}/annotations?v=1", headers=me).json()
    assert v1 == []  # they moved onto the new version


def test_an_annotated_copy_carries_real_pdf_annotations_and_comes_back_in(
    client: TestClient, tmp_path: Path
) -> None:
    sec, me = login(client, "secretary"), login(client, "delegate01")
    doc = published(client, sec, text_pdf(tmp_path / "v1.pdf", [A, B, C]))
    annotate(client, me, doc, highlight(2, words_box(client, me, doc, 2, "3.500 tỷ đồng"), text="Số này?"))
    annotate(client, me, doc, highlight(1, words_box(client, me, doc, 1, "Phạm vi")))
    annotate(
        client,
        me,
        doc,
        {"kind": "ink", "page": 3, "data": {"strokes": [[[0.1, 0.1], [0.3, 0.2], [0.5, 0.1]]]}},
    )
    annotate(client, me, doc, {"kind": "note", "page": 3, "data": {"at": [0.7, 0.2], "text": "Đồng ý"}})
    annotate(client, me, doc, {"kind": "arrow", "page": 1, "data": {"start": [0.1, 0.5], "end": [0.4, 0.6]}})
    annotate(client, sec, doc, {**highlight(3, [0.1, 0.05, 0.5, 0.08]), "visibility": "shared"})
    annotate(
        client,
        login(client, "delegate02"),
        doc,
        {"kind": "note", "page": 1, "data": {"at": [0.5, 0.5], "text": "của người khác"}},
    )
    new_version(client, sec, doc, text_pdf(tmp_path / "v2.pdf", [X, C, A, B2]))

    r = client.get(f"/api/documents/{doc}/annotated.pdf", headers=me)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    (tmp_path / "mine.pdf").write_bytes(r.content)
    with pymupdf.open(tmp_path / "mine.pdf") as copy:
        kinds = {(p.number + 1, a.type[1]) for p in copy for a in p.annots()}
        texts = [a.info["content"] for p in copy for a in p.annots()]
    # C moved to page 2 (ink, note, the shared highlight), A to page 3 (highlight, arrow); the orphan stays
    # near its old page 2, as a note
    assert kinds == {(2, "Ink"), (2, "Text"), (2, "Highlight"), (3, "Highlight"), (3, "Line")}
    assert "[Không còn vị trí trong bản mới] 3.500 tỷ đồng: Số này?" in texts  # the orphan, as a note
    assert "của người khác" not in texts
    found = read_annotations(tmp_path / "mine.pdf")
    assert len(found) == 6  # mine and the shared one; the other delegate's note is not in my copy

    r = client.post(
        f"/api/documents/{doc}/annotations/import",
        files={"file": ("mine.pdf", r.content, "application/pdf")},
        headers=me,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 1, "updated": 4, "skipped": 1}  # the shared highlight is not mine
    with pymupdf.open(tmp_path / "mine.pdf") as pdf:
        first = pdf[0]  # a reader's own highlight (keep the page alive while annotating it)
        first.add_highlight_annot(pymupdf.Rect(50, 50, 200, 70))
        pdf.save(tmp_path / "from-reader.pdf")
    r = client.post(
        f"/api/documents/{doc}/annotations/import",
        files={"file": ("r.pdf", (tmp_path / "from-reader.pdf").read_bytes(), "application/pdf")},
        headers=me,
    )
    assert r.json()["imported"] == 2  # the new highlight, and the shared one again (now a private copy)
    r = client.post(
        f"/api/documents/{doc}/annotations/import",
        files={"file": ("x.pdf", b"not a pdf at all", "application/pdf")},
        headers=me,
    )
    assert (r.status_code, r.json()["detail"]) == (422, "the file is not a PDF")
