"""Comments (góp ý) on a draft: open until the secretary's deadline, handled with an answer, and exported as
the summary table (bảng tổng hợp tiếp thu, giải trình) in CSV and PDF."""

# mypy: allow-untyped-calls
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
from starlette.testclient import TestClient

from meetings.clock import from_db
from tests.conftest import login
from tests.docs_store.pdf_factory import text_pdf
from tests.test_documents import events, published

DRAFT = ["Điều 1. Dự toán thu ngân sách năm 2027", "Điều 2. Tổ chức thực hiện"]


def _open(client: TestClient, doc: int, when: datetime) -> None:
    r = client.patch(
        f"/api/documents/{doc}",
        json={"comment_deadline": when.isoformat()},
        headers=login(client, "secretary"),
    )
    assert r.status_code == 200, r.text


def _comment(
    client: TestClient, who: str, doc: int, text: str, page: int = 1, quote: str = ""
) -> dict[str, object]:
    r = client.post(
        f"/api/documents/{doc}/comments",
        json={"text": text, "page": page, "quote": quote},
        headers=login(client, who),
    )
    assert r.status_code == 201, r.text
    out: dict[str, object] = r.json()
    return out


def test_a_moved_comment_deadline_plans_its_closing_at_once(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, text_pdf(tmp_path / "d.pdf", DRAFT), title="Dự thảo nghị quyết")
    store = client.app.state.jobs.store  # type: ignore[attr-defined]
    for days in (3, 5):  # set, then moved: the closing job follows without waiting for a reconciliation
        when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
        _open(client, doc, when)
        job = store.lookup_job(f"m1:comments_closed:{doc}")
        assert job is not None and from_db(job.next_run_time) == when


def test_comments_open_only_until_the_deadline(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, text_pdf(tmp_path / "d.pdf", DRAFT), title="Dự thảo nghị quyết")
    body = {"text": "Đề nghị làm rõ", "page": 1}
    r = client.post(f"/api/documents/{doc}/comments", json=body, headers=login(client, "delegate01"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "comments are not open on this document (the secretary sets a deadline)",
    )
    r = client.patch(
        f"/api/documents/{doc}",
        json={"comment_deadline": "2020-01-01T17:00"},
        headers=login(client, "delegate01"),
    )
    assert r.status_code == 403
    _open(client, doc, datetime.now(UTC) + timedelta(days=2))
    assert client.get(f"/api/documents/{doc}", headers=sec).json()["comment_deadline"] is not None
    made = _comment(client, "delegate01", doc, "Đề nghị làm rõ nguồn thu", quote="Dự toán thu ngân sách")
    assert made["version"] == 1 and made["handling"] is None
    assert [e["payload"]["comment_id"] for e in events(client, sec, "comment.added")] == [made["id"]]
    r = client.post(
        f"/api/documents/{doc}/comments", json={**body, "page": 3}, headers=login(client, "delegate01")
    )
    assert (r.status_code, r.json()["detail"]) == (422, "page 3 does not exist; version 1 has 2 pages")
    r = client.patch(f"/api/documents/{doc}", json={"comment_deadline": "2020-01-01T17:00"}, headers=sec)
    assert r.status_code == 200
    r = client.post(f"/api/documents/{doc}/comments", json=body, headers=login(client, "delegate02"))
    assert (r.status_code, r.json()["detail"]) == (409, "the deadline for comments was 17:00 01/01/2020")


def test_the_secretary_handles_comments_and_sees_them_all(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, text_pdf(tmp_path / "d.pdf", DRAFT))
    _open(client, doc, datetime.now(UTC) + timedelta(days=1))
    first = _comment(client, "delegate01", doc, "Tăng chi cho giáo dục", page=2)
    second = _comment(client, "delegate02", doc, "Giữ nguyên", quote="thu ngân sách")
    assert [
        c["id"]
        for c in client.get(f"/api/documents/{doc}/comments", headers=login(client, "delegate01")).json()
    ] == [first["id"]]
    assert [c["id"] for c in client.get(f"/api/documents/{doc}/comments", headers=sec).json()] == [
        second["id"],
        first["id"],
    ]
    url = f"/api/documents/{doc}/comments/{first['id']}/handling"
    r = client.post(url, json={"handling": "accepted"}, headers=login(client, "delegate01"))
    assert r.status_code == 403
    r = client.post(url, json={"handling": "explained"}, headers=sec)
    assert r.status_code == 422
    assert r.json()["detail"] == "invalid body: explain the answer when a comment is explained or rejected"
    r = client.post(url, json={"handling": "explained", "answer": "Đã bố trí tại Điều 2"}, headers=sec)
    assert r.status_code == 200 and r.json()["handling"] == "explained" and r.json()["handled_at"]
    assert events(client, sec, "comment.handled")[0]["payload"]["handling"] == "explained"


def test_the_summary_table_exports_as_csv_and_pdf(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, text_pdf(tmp_path / "d.pdf", DRAFT), title="Dự thảo nghị quyết dự toán")
    _open(client, doc, datetime.now(UTC) + timedelta(days=1))
    a = _comment(
        client, "delegate01", doc, "Đề nghị tăng chi đầu tư phát triển", quote="Dự toán thu ngân sách"
    )
    _comment(client, "delegate02", doc, "Bổ sung điều khoản chuyển tiếp", page=2)
    client.post(
        f"/api/documents/{doc}/comments/{a['id']}/handling",
        json={"handling": "rejected", "answer": "Vượt khả năng cân đối"},
        headers=sec,
    )
    assert (
        client.get(f"/api/documents/{doc}/comments.csv", headers=login(client, "delegate01")).status_code
        == 403
    )

    r = client.get(f"/api/documents/{doc}/comments.csv", headers=sec)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheet programs read UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["STT", "Đại biểu", "Vị trí", "Nội dung góp ý", "Tiếp thu, giải trình"]
    assert rows[1][2:] == [
        "Trang 1: “Dự toán thu ngân sách”",
        "Đề nghị tăng chi đầu tư phát triển",
        "Không tiếp thu. Vượt khả năng cân đối",
    ]
    assert rows[2][2:] == ["Trang 2", "Bổ sung điều khoản chuyển tiếp", "Chưa xử lý"]

    r = client.get(f"/api/documents/{doc}/comments.pdf", headers=sec)
    assert r.status_code == 200
    with pymupdf.open(stream=r.content, filetype="pdf") as pdf:
        text = " ".join(" ".join(page.get_text("text").split()) for page in pdf)
    assert "BẢNG TỔNG HỢP TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý" in text
    assert "Dự thảo: Dự thảo nghị quyết dự toán" in text
    assert "Vượt khả năng cân đối" in text and "Bổ sung điều khoản chuyển tiếp" in text
    assert "Đại biểu Vị trí Nội dung góp ý Tiếp thu, giải trình" in text  # the CSV's column headings
