"""pdfobj: PDF object syntax as PyMuPDF prints it, parsed and written back."""

# mypy: allow-untyped-calls
from __future__ import annotations

import pymupdf
import pytest

from docs_store.pdfobj import Atom, Name, PdfSyntaxError, Ref, dumps, parse


def test_a_dictionary_with_every_kind_of_value() -> None:
    text = (
        "<</Type/Annot/Rect[0 0 10.5 -3]/P 4 0 R/T(a (nested) \\) string)/ID<0aFF>/F true/X null/N#20ame 7>>"
    )
    value = parse(text)
    assert value == {
        "Type": Name("Annot"),
        "Rect": [Atom("0"), Atom("0"), Atom("10.5"), Atom("-3")],
        "P": Ref(4, 0),
        "T": Atom("(a (nested) \\) string)"),
        "ID": Atom("<0aFF>"),
        "F": Atom("true"),
        "X": Atom("null"),
        "N ame": Atom("7"),
    }
    assert parse(dumps(value)) == value
    assert "/N#20ame 7" in dumps(value)


def test_numbers_are_not_references_unless_followed_by_r() -> None:
    assert parse("[1 0 2 0 R 3]") == [Atom("1"), Atom("0"), Ref(2, 0), Atom("3")]


@pytest.mark.parametrize("bad", ["<</A 1", "[1 2", "(open", ">>", "<<1 2>>"])
def test_broken_syntax_is_an_error(bad: str) -> None:
    with pytest.raises(PdfSyntaxError):
        parse(bad)


def test_every_object_pymupdf_prints_round_trips() -> None:
    with pymupdf.open() as doc:
        page = doc.new_page()
        page.insert_text((72, 72), "Kỳ họp (thứ) mười hai", fontname="helv")
        page.add_highlight_annot(pymupdf.Rect(72, 60, 200, 80)).update()
        doc.set_metadata({"title": "Nghị quyết (dự thảo)"})
        for xref in range(1, doc.xref_length()):
            text = doc.xref_object(xref, compressed=True)
            assert parse(dumps(parse(text))) == parse(text)
