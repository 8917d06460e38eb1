"""annotations_pdf: a delegate's marks become real PDF annotations and read back as the same plain data."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from pdf_factory import VIETNAMESE, text_pdf

from docs_store.annotations_pdf import (
    Arrow,
    Highlight,
    Ink,
    Note,
    export_annotations,
    from_dict,
    read_annotations,
    to_dict,
)
from docs_store.render import page_words


def marks(first_word_rect: tuple[float, float, float, float]) -> list[Highlight | Ink | Note | Arrow]:
    return [
        Highlight(1, (first_word_rect,), "#ffd400", "cần làm rõ", "Nguyễn Văn A", "h-1"),
        Ink(
            1,
            (((0.1, 0.5), (0.2, 0.55), (0.3, 0.5)), ((0.1, 0.6), (0.3, 0.6))),
            "#d32f2f",
            2.0,
            "",
            "Nguyễn Văn A",
            "i-1",
        ),
        Note(2, (0.5, 0.25), "Đề nghị bổ sung số liệu năm 2025", "#ffb300", "Trần Thị B", "n-1"),
        Arrow(2, (0.2, 0.8), (0.6, 0.7), "#1565c0", 3.0, "xem đây", "Trần Thị B", "a-1"),
    ]


@pytest.fixture(params=[0, 90])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return text_pdf(tmp_path / "in.pdf", [VIETNAMESE, "Trang hai"], rotation=request.param)


def test_exported_marks_are_real_annotations_of_the_right_type_on_the_right_page(
    source: Path, tmp_path: Path
) -> None:
    first = page_words(source, 1)[0]
    assert export_annotations(source, tmp_path / "out.pdf", marks(first.rect)) == 4
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        found = []
        for page in doc:
            found += [
                (page.number + 1, annot.type[1], annot.info["title"], annot.info["id"])
                for annot in page.annots()
            ]
    assert found == [
        (1, "Highlight", "Nguyễn Văn A", "h-1"),
        (1, "Ink", "Nguyễn Văn A", "i-1"),
        (2, "Text", "Trần Thị B", "n-1"),
        (2, "Line", "Trần Thị B", "a-1"),
    ]


def test_a_highlight_covers_the_word_it_was_drawn_on(source: Path, tmp_path: Path) -> None:
    first = page_words(source, 1)[0]
    export_annotations(source, tmp_path / "out.pdf", [Highlight(1, (first.rect,))])
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        page = doc[0]
        annot = next(page.annots())
        assert page.get_textbox(annot.rect).split()[0] == first.text == "Kỳ"


def test_marks_read_back_as_the_plain_data_that_made_them(source: Path, tmp_path: Path) -> None:
    original = marks(page_words(source, 1)[0].rect)
    export_annotations(source, tmp_path / "out.pdf", original)
    read = [from_dict(d) for d in read_annotations(tmp_path / "out.pdf")]
    assert [type(a) for a in read] == [type(a) for a in original]
    for got, want in zip(read, original, strict=True):
        got_data, want_data = to_dict(got), to_dict(want)
        assert _rounded(got_data) == _rounded(want_data)


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def test_annotation_kinds_we_do_not_model_are_reported_not_dropped(tmp_path: Path) -> None:
    source = text_pdf(tmp_path / "in.pdf", ["x"])
    with pymupdf.open(source) as doc:
        page = doc[0]
        page.add_rect_annot(pymupdf.Rect(100, 100, 200, 200)).update()
        doc.save(tmp_path / "other.pdf")
    (found,) = read_annotations(tmp_path / "other.pdf")
    assert (found["kind"], found["type"], found["page"]) == ("unsupported", "Square", 1)


def test_plain_data_round_trip() -> None:
    note = Note(3, (0.25, 0.5), "ghi chú")
    data = to_dict(note)
    assert data == {
        "kind": "note",
        "page": 3,
        "at": [0.25, 0.5],
        "text": "ghi chú",
        "color": "#ffb300",
        "author": "",
        "id": "",
    }
    assert from_dict(data) == note
