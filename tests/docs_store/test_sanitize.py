"""sanitize_pdf: the delivered copy carries no JavaScript and no launch action, and keeps its content."""

# mypy: allow-untyped-calls
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
from pdf_factory import VIETNAMESE, text_pdf

from docs_store.sanitize import find_active_content, sanitize_pdf

ACTIVE = re.compile(r"/JavaScript\b|/JS\b|/Launch\b|/AA\b|javascript:", re.IGNORECASE)


def hostile(tmp_path: Path) -> Path:
    """A PDF with every kind of script and launch action we know of."""
    path = text_pdf(tmp_path / "clean.pdf", [VIETNAMESE, "Trang hai"])
    with pymupdf.open(path) as doc:
        catalog = doc.pdf_catalog()
        doc.xref_set_key(
            catalog, "OpenAction", "<</S/JavaScript/JS(app.alert\\(1\\))/Next<</S/Launch/F(cmd.exe)>>>>"
        )
        doc.xref_set_key(catalog, "AA", "<</WC<</S/JavaScript/JS(1)>>>>")
        script = doc.get_new_xref()
        doc.update_object(script, "<</S/JavaScript/JS(this.print\\(\\))>>")
        doc.xref_set_key(catalog, "Names", f"<</JavaScript<</Names[(doc) {script} 0 R]>>>>")
        page = doc[0]
        doc.xref_set_key(page.xref, "AA", "<</O<</S/JavaScript/JS(2)>>>>")
        page.insert_link(
            {"kind": pymupdf.LINK_LAUNCH, "from": pymupdf.Rect(50, 200, 250, 220), "file": "calc.exe"}
        )
        page.insert_link(
            {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(50, 230, 250, 250), "uri": "javascript:alert(3)"}
        )
        page.insert_link(
            {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(50, 260, 250, 280), "uri": "https://example.vn"}
        )
        widget = pymupdf.Widget()
        widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
        widget.rect = pymupdf.Rect(50, 300, 250, 320)
        widget.field_name = "so_lieu"
        widget.script = "app.alert(4)"
        widget.script_format = "AFNumber_Format(2,0,0,0,'',true);"
        page.add_widget(widget)
        doc.save(tmp_path / "hostile.pdf")
    return tmp_path / "hostile.pdf"


def active_objects(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        texts = [doc.xref_object(x, compressed=True) for x in range(1, doc.xref_length())]
    return [t for t in texts if ACTIVE.search(t)]


def test_the_hostile_fixture_really_is_hostile(tmp_path: Path) -> None:
    path = hostile(tmp_path)
    assert len(active_objects(path)) >= 6
    with pymupdf.open(path) as doc:
        found = find_active_content(doc)
    assert (found.javascript, found.launch) == (True, True)


def test_no_script_or_launch_action_survives(tmp_path: Path) -> None:
    removed = sanitize_pdf(hostile(tmp_path), tmp_path / "safe.pdf")
    assert removed >= 8
    assert active_objects(tmp_path / "safe.pdf") == []
    with pymupdf.open(tmp_path / "safe.pdf") as doc:
        found = find_active_content(doc)
        assert (found.javascript, found.launch) == (False, False)
        page = doc[0]
        assert VIETNAMESE in page.get_text()
        links = page.get_links()
    assert [link.get("uri") for link in links if link["kind"] == pymupdf.LINK_URI] == ["https://example.vn"]


def test_a_clean_pdf_comes_out_with_the_same_pages(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "clean.pdf", [VIETNAMESE, "Trang hai"])
    assert sanitize_pdf(path, tmp_path / "out.pdf") == 0
    with pymupdf.open(path) as before, pymupdf.open(tmp_path / "out.pdf") as after:
        assert [p.get_text() for p in before] == [p.get_text() for p in after]


def test_a_restricted_pdf_is_delivered_unencrypted(tmp_path: Path) -> None:
    restricted = {"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "owner_pw": "o", "permissions": 0}
    path = text_pdf(tmp_path / "r.pdf", [VIETNAMESE], save=restricted)
    sanitize_pdf(path, tmp_path / "out.pdf")
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        assert doc.metadata is not None and doc.metadata["encryption"] is None
        assert VIETNAMESE in doc[0].get_text()
