"""Real and hostile PDFs for the document-core tests, made with PyMuPDF or written byte by byte."""

# mypy: allow-untyped-calls
from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pymupdf

from docs_store.fonts import font_file

VIETNAMESE = "Kỳ họp thứ Mười hai Hội đồng nhân dân tỉnh: dự toán ngân sách nhà nước năm 2027"


def text_pdf(
    path: Path,
    pages: Sequence[str],
    *,
    size: tuple[float, float] = (595, 842),
    rotation: int = 0,
    title: str = "",
    save: dict[str, object] | None = None,
) -> Path:
    """One page per string, the text at the top left in DejaVu Sans (so Vietnamese survives)."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=size[0], height=size[1])
        page.insert_font(fontname="dv", fontfile=str(font_file("DejaVuSans.ttf")))
        page.insert_textbox(
            pymupdf.Rect(50, 50, size[0] - 50, size[1] - 50), text, fontname="dv", fontsize=11
        )
        page.set_rotation(rotation)
    if title:
        doc.set_metadata({"title": title})
    doc.save(path, **(save or {}))
    doc.close()
    return path


def raw_pdf(objects: Sequence[str], trailer_extra: str = "") -> bytes:
    """A minimal PDF from object bodies (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra}>>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def page_object(media: str = "[0 0 595 842]", contents: str = "") -> str:
    extra = f" /Contents {contents}" if contents else ""
    return f"<< /Type /Page /Parent 2 0 R /MediaBox {media}{extra} >>"


def docx_bytes() -> bytes:
    """A ZIP archive shaped like a Word document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def numbered_pdf(path: Path, count: int, prefix: str = "Trang") -> Path:
    """``count`` pages saying ``{prefix} 1`` … with some extra text each."""
    return text_pdf(
        path, [f"{prefix} {n}\n{VIETNAMESE}\nNội dung riêng của trang {n}." for n in range(1, count + 1)]
    )
