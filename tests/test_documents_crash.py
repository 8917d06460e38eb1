"""`kill -9` of the server in the middle of uploads: after a restart every acknowledged document is there,
intact and readable, the half-received file is gone, and the same file can be uploaded again."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from docs_store.blobs import TEMP_PREFIX
from tests.docs_store.pdf_factory import numbered_pdf
from tests.polling import wait_until
from tests.servers import Server

BOUNDARY = "cauhop-crash-test"


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data")}


def multipart(item: int, name: str, data: bytes) -> tuple[bytes, bytes]:
    """The body of an upload, split at the file's bytes: (everything before them, everything after)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="agenda_item_id"\r\n\r\n{item}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def temp_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob(f"{TEMP_PREFIX}*") if p.is_file()]


def test_kill_9_during_uploads_loses_no_acknowledged_document(env: dict[str, str], tmp_path: Path) -> None:
    data_dir = Path(env["DATA_DIR"])
    pdfs = [
        numbered_pdf(tmp_path / f"doc-{n}.pdf", 3 + n % 4, prefix=f"Tài liệu {n}, trang") for n in range(12)
    ]
    half = numbered_pdf(tmp_path / "half.pdf", 60, prefix="Dở dang, trang").read_bytes()
    server = Server(env)
    acked: list[tuple[int, str]] = []
    try:
        token = server.login("secretary")
        auth = {"Authorization": f"Bearer {token}"}
        status, made = server.request("POST", "/api/meetings/1/agenda", {"title": "Báo cáo"}, token)
        assert status == 201, made
        item = made["id"]

        # One upload is left half-sent on a raw socket: the server is streaming it to disk when it dies.
        head, tail = multipart(item, "half.pdf", half)
        raw = socket.create_connection(("127.0.0.1", server.port))
        raw.sendall(
            f"POST /api/meetings/1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(head) + len(half) + len(tail)}\r\n\r\n".encode()
            + head
            + half[: len(half) // 2]
        )
        half_on_disk = lambda: any(p.stat().st_size > 0 for p in temp_files(data_dir))  # noqa: E731
        wait_until(half_on_disk, 30, "the half upload on disk", every=0.02)

        stop = threading.Event()

        def uploader(mine: list[Path]) -> list[tuple[int, str]]:
            done = []
            with httpx.Client(base_url=server.base, headers=auth, timeout=30) as client:
                for pdf in mine:
                    if stop.is_set():
                        break
                    try:
                        r = client.post(
                            "/api/meetings/1/documents",
                            data={"agenda_item_id": str(item)},
                            files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")},
                        )
                    except httpx.TransportError:
                        break  # the server died under us: not acknowledged, the secretary sends it again
                    assert r.status_code == 201, r.text
                    done.append((r.json()["id"], r.json()["delivered_sha256"]))
                    if len(done) == 2:
                        first_two.release()
            return done

        first_two = threading.Semaphore(0)
        with ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(uploader, pdfs[k::3]) for k in range(3)]
            for _ in range(3):
                assert first_two.acquire(timeout=120)  # each uploader has two acknowledged documents…
            server.kill()  # …and the server dies with the others (and the half one) in flight
            stop.set()
            acked = [a for f in futures for a in f.result()]
        raw.close()
    finally:
        server.stop()

    assert len(acked) >= 6
    assert temp_files(data_dir), "the killed upload's temporary file should still be there before a restart"
    server = Server(env)
    try:
        token = server.login("secretary")
        auth = {"Authorization": f"Bearer {token}"}
        assert temp_files(data_dir) == []  # the new process cleared what the dead one left half-written
        with httpx.Client(base_url=server.base, headers=auth, timeout=30) as client:
            listed = {d["id"]: d for d in client.get("/api/meetings/1/documents").json()}
            for doc_id, sha in acked:
                assert listed[doc_id]["sha256"] == sha
                pdf = client.get(f"/api/documents/{doc_id}/file")
                assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == sha
                page = client.get(f"/api/documents/{doc_id}/pages/1", params={"width": 320})
                assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
            half_sha = hashlib.sha256(half).hexdigest()
            assert not [d for d in listed.values() if d["title"].startswith("Dở dang")]
            again = client.post(
                "/api/meetings/1/documents",
                data={"agenda_item_id": str(item)},
                files={"file": ("half.pdf", half, "application/pdf")},
            )
            assert again.status_code == 201, again.text
            assert again.json()["sha256"] == half_sha and again.json()["pages"] == 60
            assert client.get("/api/meetings/1/verify").json()["ok"] is True
    finally:
        server.stop()
