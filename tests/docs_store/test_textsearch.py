"""Vietnamese folding for search, and snippets cut from the original text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from docs_store.textsearch import Snippet, fold, fold_map, snippet

PAGE = (
    "Điều 1. Thông qua dự toán thu ngân sách nhà nước trên địa bàn năm 2027 là 5.210 tỷ đồng.\n"
    "Điều 2. Phân bổ dự toán chi NGÂN SÁCH cấp tỉnh cho các huyện, thành phố theo Biểu số 02."
)


def test_fold_strips_marks_case_and_the_stroke_of_d() -> None:
    assert fold("  Ngân SÁCH   Đồng\tđường ") == "ngan sach dong duong"
    assert fold("Kỳ họp thứ Mười hai") == "ky hop thu muoi hai"
    assert fold("ỦY BAN NHÂN DÂN") == "uy ban nhan dan"


def test_decomposed_and_composed_text_fold_alike() -> None:
    composed = "Nghị quyết về dự toán"
    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed) == "nghi quyet ve du toan"


def test_fold_map_points_back_at_the_original_characters() -> None:
    folded, origin = fold_map("Đồng  ý")
    assert folded == "dong y"
    assert [("Đồng  ý")[i] for i in origin] == ["Đ", "ồ", "n", "g", " ", "ý"]


def test_a_snippet_around_an_unaccented_query_keeps_the_original_text() -> None:
    found = snippet(PAGE, "ngan sach cap tinh", width=60)
    assert isinstance(found, Snippet)
    assert found.text[found.start : found.end] == "NGÂN SÁCH cấp tỉnh"
    assert found.text.startswith("…") and found.text.endswith("…")
    assert len(found.text) <= 70 and "\n" not in found.text


def test_the_first_match_is_used_and_whole_words_are_kept() -> None:
    found = snippet(PAGE, "dự toán", width=30)
    assert found is not None and str(found) == "…Thông qua dự toán thu ngân…"


def test_a_snippet_at_the_very_start_has_no_leading_ellipsis() -> None:
    found = snippet(PAGE, "dieu 1", width=20)
    assert found is not None and found.text.startswith("Điều 1.") and found.start == 0


def test_no_match_and_empty_queries() -> None:
    assert snippet(PAGE, "chất vấn") is None
    assert snippet(PAGE, "   ") is None


vietnamese = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ĐÂƠ \n.,",
    max_size=80,
)


@given(vietnamese)
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(vietnamese, st.data())
def test_any_piece_of_a_text_is_found_in_it_folded(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    piece = text[start : data.draw(st.integers(start, len(text)))]
    if fold(piece):
        found = snippet(text, piece.upper())
        assert found is not None and fold(found.text[found.start : found.end]) == fold(piece)
