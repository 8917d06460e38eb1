"""What the tablet reader's journeys share: a paper published to the demo meeting's agenda as the secretary
does it, and finding a document and a page on the tablet."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from docs_store.demo_pdfs import DemoDoc
from tests.servers import Server

MEETING = 1


def publish(server: Server, paper: DemoDoc) -> dict[str, Any]:
    """The secretary adds an agenda item and uploads the paper to it (multipart, as the secretary's screen
    does); returns the upload's answer."""
    token = server.login("secretary")
    status, item = server.request("POST", f"/api/meetings/{MEETING}/agenda", {"title": paper.title}, token)
    assert status == 201, item
    boundary = uuid.uuid4().hex
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {"agenda_item_id": item["id"], "title": paper.title}.items()
    )
    body = (
        head.encode()
        + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{paper.path.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + paper.path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        f"{server.base}/api/meetings/{MEETING}/documents",
        data=body,
        method="POST",
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "authorization": f"Bearer {token}",
        },
    )
    with urllib.request.urlopen(req, timeout=60) as reply:
        assert reply.status == 201
        out: dict[str, Any] = json.load(reply)
    return out


def open_document(page: Page, title: str) -> None:
    page.get_by_role("button", name="Mục lục").click()
    page.locator(".toc-doc", has_text=title).click()


def page_image_loaded(page: Page, doc: int, n: int) -> None:
    """The page image of page ``n`` is on screen, decoded (naturalWidth > 0), and is that page's image."""
    sheet = page.locator(f'.page-sheet[data-document-id="{doc}"][data-page="{n}"]')
    expect(sheet).to_have_attribute("data-loaded", "true")
    src, width = sheet.locator(".page-img").evaluate("img => [img.currentSrc, img.naturalWidth]")
    assert f"/api/documents/{doc}/pages/{n}?" in src and width > 0


def read_published(page: Page, server: Server, paper: DemoDoc) -> int:
    """The secretary publishes ``paper``; the tablet opens it and shows its first page. Returns its id."""
    doc: int = publish(server, paper)["id"]
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, paper.title)
    page_image_loaded(page, doc, 1)
    return doc
