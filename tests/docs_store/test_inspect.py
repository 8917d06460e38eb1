"""inspect_pdf: good files are described, hostile ones rejected with the exact message the uploader sees."""

# mypy: allow-untyped-calls
from __future__ import annotations

import multiprocessing
import re
import zlib
from pathlib import Path

import pymupdf
import pytest
from pdf_factory import VIETNAMESE, docx_bytes, numbered_pdf, page_object, raw_pdf, text_pdf

from docs_store.errors import PayloadTooLarge, PdfRejected
from docs_store.inspect import PdfInfo, PdfLimits, _receive, inspect_pdf
from docs_store.pagehash import page_hashes

CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"


def rejected(path: Path, limits: PdfLimits | None = None) -> PdfRejected:
    with pytest.raises(PdfRejected) as caught:
        inspect_pdf(path, limits)
    return caught.value


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_good_pdf_is_described(tmp_path: Path) -> None:
    path = text_pdf(
        tmp_path / "a.pdf", ["Báo cáo tổng hợp\nTrang một", "Trang hai"], title="Báo cáo kinh tế - xã hội"
    )
    info = inspect_pdf(path)
    assert isinstance(info, PdfInfo)
    assert (info.pages, info.title, info.page_sizes) == (
        2,
        "Báo cáo kinh tế - xã hội",
        ((595, 842), (595, 842)),
    )
    assert (info.has_javascript, info.has_launch, info.repaired) == (False, False, False)
    with pymupdf.open(path) as doc:
        assert list(info.page_hashes) == page_hashes(doc)
    assert len(set(info.page_hashes)) == 2 and all(re.fullmatch("[0-9a-f]{64}", h) for h in info.page_hashes)


def test_without_a_metadata_title_the_first_line_of_text_is_the_title(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", [f"\n{VIETNAMESE}\nphần sau"])
    assert inspect_pdf(path).title == VIETNAMESE


def test_page_sizes_are_as_displayed(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["ngang"], size=(595, 842), rotation=90)
    assert inspect_pdf(path).page_sizes == ((842, 595),)


def test_a_word_file_renamed_pdf_is_not_a_pdf(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "bao-cao.pdf", docx_bytes()))
    assert error.reason == "not_pdf"
    assert error.detail == (
        "the file is not a PDF (it looks like a ZIP archive, such as a Word .docx or Excel .xlsx file); "
        "save or export it as PDF and upload that"
    )


def test_unknown_bytes_are_not_a_pdf(tmp_path: Path) -> None:
    assert rejected(write(tmp_path / "x.pdf", b"hello, not a document")).detail == "the file is not a PDF"


def test_an_empty_file(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "x.pdf", b""))
    assert (error.reason, error.detail) == ("empty", "the file is empty")


def test_a_pdf_cut_off_in_the_middle_is_incomplete(tmp_path: Path) -> None:
    data = numbered_pdf(tmp_path / "full.pdf", 8).read_bytes()
    error = rejected(write(tmp_path / "cut.pdf", data[: len(data) // 2]))
    assert error.reason == "incomplete"
    assert error.detail == (
        "the PDF is incomplete (cut off before its end, as by an interrupted download); "
        "ask the sender for a new copy"
    )


def test_a_pdf_missing_only_its_cross_reference_table_is_repaired_and_accepted(tmp_path: Path) -> None:
    data = numbered_pdf(tmp_path / "full.pdf", 8).read_bytes()
    info = inspect_pdf(write(tmp_path / "cut.pdf", data[: data.rindex(b"xref")]))
    assert (info.pages, info.repaired) == (8, True)
    with pymupdf.open(tmp_path / "full.pdf") as doc:
        assert list(info.page_hashes) == page_hashes(doc)


def _break_page_two(path: Path) -> bytearray:
    """The file's bytes with the compressed content stream of page 2 scrambled."""
    with pymupdf.open(path) as doc:
        raw = doc.xref_stream_raw(doc[1].get_contents()[0])
    data = bytearray(path.read_bytes())
    at = data.index(raw)
    data[at + 4 : at + 24] = bytes(20)
    return data


def test_a_repaired_pdf_with_an_unreadable_page_is_rejected_naming_the_page(tmp_path: Path) -> None:
    path = text_pdf(
        tmp_path / "a.pdf", [f"Trang {n}. {VIETNAMESE}" for n in range(1, 5)], save={"deflate": True}
    )
    data = _break_page_two(path)
    data[data.rindex(b"startxref") :] = b"startxref\n999999\n%%EOF\n"  # a wrong offset: MuPDF must rebuild
    error = rejected(write(tmp_path / "b.pdf", bytes(data)))
    assert error.detail == "the PDF is damaged: page 2 cannot be read; ask the sender for a new copy"


def test_an_intact_pdf_with_a_damaged_stream_is_accepted_with_warnings(tmp_path: Path) -> None:
    path = text_pdf(
        tmp_path / "a.pdf", [f"Trang {n}. {VIETNAMESE}" for n in range(1, 5)], save={"deflate": True}
    )
    info = inspect_pdf(write(tmp_path / "b.pdf", bytes(_break_page_two(path))))
    assert info.pages == 4 and not info.repaired
    assert info.warnings and info.warnings[0].startswith("page 2: ")


def test_a_password_protected_pdf(tmp_path: Path) -> None:
    path = text_pdf(
        tmp_path / "a.pdf",
        ["mật"],
        save={"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "user_pw": "u", "owner_pw": "o"},
    )
    error = rejected(path)
    assert (error.reason, error.detail) == (
        "password",
        "the PDF is password-protected; upload an unprotected copy",
    )


def test_an_owner_restricted_pdf_is_rejected_unless_allowed(tmp_path: Path) -> None:
    restricted = {"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "owner_pw": "o", "permissions": 0}
    path = text_pdf(tmp_path / "a.pdf", ["hạn chế"], save=restricted)
    error = rejected(path)
    assert error.reason == "encrypted"
    assert (
        error.detail == "the PDF is encrypted (copying or printing is restricted); upload an unprotected copy"
    )
    assert inspect_pdf(path, PdfLimits(accept_restricted=True)).pages == 1


def test_a_pdf_with_no_pages(tmp_path: Path) -> None:
    path = write(tmp_path / "a.pdf", raw_pdf([CATALOG, "<< /Type /Pages /Kids [] /Count 0 >>"]))
    error = rejected(path)
    assert (error.reason, error.detail) == ("no_pages", "the PDF has no pages")


def test_a_page_tree_that_loops(tmp_path: Path) -> None:
    objects = [
        CATALOG,
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        page_object(),
        "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",  # its kid is its own parent
    ]
    error = rejected(write(tmp_path / "a.pdf", raw_pdf(objects)))
    assert (error.reason, error.detail) == (
        "page_tree_loop",
        "the PDF is damaged: its page tree contains a loop",
    )


def test_a_page_tree_naming_a_missing_object_is_broken(tmp_path: Path) -> None:
    objects = [CATALOG, "<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 >>", page_object()]
    error = rejected(write(tmp_path / "a.pdf", raw_pdf(objects)))
    assert error.detail == "the PDF is damaged: its list of pages is broken; ask the sender for a new copy"


def test_a_huge_page(tmp_path: Path) -> None:
    objects = [
        CATALOG,
        "<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>",
        page_object(),
        page_object(),
        page_object("[0 0 20000 20000]"),
    ]
    error = rejected(write(tmp_path / "a.pdf", raw_pdf(objects)))
    assert error.reason == "page_too_large"
    assert error.detail == "page 3 is 20000×20000 pt, larger than the limit of 14400 pt (5.08 m) per side"


def test_too_many_pages(tmp_path: Path) -> None:
    error = rejected(numbered_pdf(tmp_path / "a.pdf", 5), PdfLimits(max_pages=3))
    assert (error.reason, error.detail) == ("too_many_pages", "the PDF has 5 pages, more than the limit of 3")


def test_a_page_count_that_lies_is_caught_by_the_walk(tmp_path: Path) -> None:
    kids = " ".join(f"{n} 0 R" for n in range(3, 8))
    objects = [CATALOG, f"<< /Type /Pages /Kids [{kids}] /Count 1 >>", *[page_object()] * 5]
    error = rejected(write(tmp_path / "a.pdf", raw_pdf(objects)), PdfLimits(max_pages=3))
    assert error.detail == "the PDF has more than 3 pages, the limit"


def test_javascript_and_launch_actions_are_reported(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["có mã"])
    with pymupdf.open(path) as doc:
        doc.xref_set_key(doc.pdf_catalog(), "OpenAction", "<</S/JavaScript/JS(app.alert\\(1\\))>>")
        page = doc[0]
        page.insert_link(
            {"kind": pymupdf.LINK_LAUNCH, "from": pymupdf.Rect(50, 50, 200, 70), "file": "calc.exe"}
        )
        doc.save(tmp_path / "js.pdf")
    info = inspect_pdf(tmp_path / "js.pdf")
    assert (info.has_javascript, info.has_launch) == (True, True)


def test_a_file_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "a.pdf", b"%PDF-1.7\n" + bytes(3000))
    with pytest.raises(PayloadTooLarge) as caught:
        inspect_pdf(path, PdfLimits(max_bytes=1024))
    assert caught.value.detail == "the file is 3 KB, larger than the limit of 1 KB"


def test_parsing_that_overruns_the_time_limit_is_killed(tmp_path: Path) -> None:
    path = numbered_pdf(tmp_path / "big.pdf", 300)
    error = rejected(path, PdfLimits(parse_seconds=0.01))
    assert (error.reason, error.detail) == (
        "timeout",
        "the PDF took too long to read (over 0.01 s); it may be damaged",
    )
    assert inspect_pdf(path).pages == 300  # the same file within the normal limit


def test_a_decompression_bomb_hits_the_memory_limit(tmp_path: Path) -> None:
    packer = zlib.compressobj(1)
    chunk = b"0 0 m\n" * (1 << 17)  # 768 KiB of drawing operators
    stream = b"".join(packer.compress(chunk) for _ in range(256)) + packer.flush()  # 192 MiB decoded
    content = f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream"
    objects = [
        CATALOG,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page_object(contents="4 0 R"),
        content.decode("latin-1"),
    ]
    error = rejected(write(tmp_path / "bomb.pdf", raw_pdf(objects)), PdfLimits(max_memory_bytes=64 << 20))
    assert (error.reason, error.detail) == (
        "out_of_memory",
        "the PDF needs too much memory to read; it may be damaged",
    )


def test_a_worker_that_dies_without_answering_is_a_rejection() -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    sender.close()
    outcome = _receive(receiver)
    assert isinstance(outcome, PdfRejected)
    assert outcome.detail == "the PDF could not be read (the reader stopped); it may be damaged"
