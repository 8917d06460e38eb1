"""Re-anchoring annotations on a new version: found by their text, followed by page hash, or orphaned."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docs_store.anchoring import Anchor, NewPage, Orphaned, Reanchored, follow_page, reanchor, reanchor_all
from docs_store.words import Word

PER_LINE = 8
VOCABULARY = [
    "ngân",
    "sách",
    "nhà",
    "nước",
    "dự",
    "toán",
    "năm",
    "tỉnh",
    "huyện",
    "xã",
    "đầu",
    "tư",
    "công",
    "Điều",
]
OTHER_WORDS = ["chèn", "thêm", "trang", "mới", "bổ", "sung"]  # pages inserted in tests use only these


def layout(page: Sequence[str]) -> list[Word]:
    """Words on a grid: eight per line, lines 3% of the page apart."""
    words = []
    for i, text in enumerate(page):
        col, row = i % PER_LINE, i // PER_LINE
        words.append(
            Word(text, 0.05 + col * 0.11, 0.05 + row * 0.03, 0.05 + col * 0.11 + 0.1, 0.07 + row * 0.03)
        )
    return words


def pages_of(texts: Sequence[Sequence[str]]) -> list[NewPage]:
    """Pages whose hash depends on their content only, as real page hashes do."""
    return [NewPage("hash:" + " ".join(t), layout(t)) for t in texts]


def anchor_on(pages: Sequence[Sequence[str]], page: int, start: int, end: int) -> Anchor:
    """An anchor quoting words ``start:end`` of ``page`` (from 1), with three words of context each side."""
    words = pages[page - 1]
    rects = tuple(w.rect for w in layout(words)[start:end])
    return Anchor(
        page,
        " ".join(words[start:end]),
        " ".join(words[max(0, start - 3) : start]),
        " ".join(words[end : end + 3]),
        rects,
    )


DOC = [
    "Báo cáo tình hình kinh tế xã hội năm 2026".split(),
    "Điều 1 . Thông qua dự toán thu ngân sách nhà nước trên địa bàn là 5.210 tỷ đồng".split(),
    "Điều 2 . Phân bổ dự toán chi ngân sách cấp tỉnh cho các huyện thành phố".split(),
]
OLD_HASHES = [p.hash for p in pages_of(DOC)]


def test_an_unchanged_document_keeps_every_anchor_in_place() -> None:
    anchor = anchor_on(DOC, 2, 5, 8)  # "dự toán thu", on the first line
    outcome = reanchor(anchor, OLD_HASHES, pages_of(DOC))
    assert outcome == Reanchored(2, (layout(DOC[1])[5].rect[:2] + layout(DOC[1])[7].rect[2:],), "text")


def test_pages_inserted_before_shift_the_anchor() -> None:
    anchor = anchor_on(DOC, 3, 3, 7)
    new = [["Tờ", "trình", "mới"], *DOC]
    outcome = reanchor(anchor, OLD_HASHES, pages_of(new))
    assert isinstance(outcome, Reanchored) and outcome.page == 4 and outcome.rects


def test_text_whose_accents_changed_is_found_folded() -> None:
    anchor = anchor_on(DOC, 2, 5, 9)
    new = [DOC[0], "ĐIỀU 1 . THÔNG QUA DU TOAN THU NGAN SACH nhà nước".split(), DOC[2]]
    outcome = reanchor(anchor, OLD_HASHES, pages_of(new))
    assert isinstance(outcome, Reanchored) and (outcome.page, outcome.how) == (2, "folded_text")


def test_context_picks_the_right_one_of_several_matches() -> None:
    page_a = "Điều 3 . Giao Ủy ban nhân dân tỉnh tổ chức thực hiện".split()
    page_b = "Điều 4 . Thường trực Hội đồng giám sát tổ chức thực hiện".split()
    old = [page_a, page_b]
    anchor = anchor_on(old, 1, 8, 11)  # "tổ chức thực" after "nhân dân tỉnh"
    new = [page_b, ["trang", "chèn"], page_a]  # both pages moved, b now first
    outcome = reanchor(anchor, [p.hash for p in pages_of(old)], pages_of(new))
    assert isinstance(outcome, Reanchored) and outcome.page == 3


def test_without_context_the_nearest_page_wins() -> None:
    same = "ngân sách nhà nước".split()
    new = [same, ["khác"], ["khác"], same, ["khác"]]
    outcome = reanchor(Anchor(4, "ngân sách"), [], pages_of(new))
    assert isinstance(outcome, Reanchored) and outcome.page == 4


def test_a_quote_inside_words_gets_a_proportional_box() -> None:
    page = ["abcdefghij"]
    outcome = reanchor(Anchor(1, "cdef"), [], pages_of([page]))
    word = layout(page)[0]
    assert isinstance(outcome, Reanchored)
    ((x0, y0, x1, y1),) = outcome.rects
    assert (
        x0 == pytest.approx(word.x0 + 0.02)
        and x1 == pytest.approx(word.x0 + 0.06)
        and (y0, y1) == (word.y0, word.y1)
    )


def test_a_quote_over_two_lines_gets_one_box_per_line() -> None:
    page = [f"w{i}" for i in range(12)]
    outcome = reanchor(Anchor(1, "w6 w7 w8 w9"), [], pages_of([page]))
    assert isinstance(outcome, Reanchored) and len(outcome.rects) == 2


def test_text_that_is_gone_orphans_the_annotation() -> None:
    anchor = anchor_on(DOC, 2, 5, 8)
    new = [DOC[0], ["Điều", "1", "bị", "bãi", "bỏ"], DOC[2]]
    assert reanchor(anchor, OLD_HASHES, pages_of(new)) == Orphaned(
        "the marked text “dự toán thu” is not in the new version", 2
    )


def test_ink_stays_on_an_unchanged_page_follows_a_moved_one_and_is_orphaned_on_a_changed_one() -> None:
    ink = ((0.1, 0.1, 0.3, 0.2),)
    old = ["a", "b", "c"]
    assert follow_page(2, ink, old, ["a", "b", "c", "d"]) == Reanchored(2, ink, "same_page")
    assert follow_page(2, ink, old, ["x", "a", "c", "b"]) == Reanchored(4, ink, "page_moved")
    assert follow_page(2, ink, old, ["a", "B", "c"]) == Orphaned("page 2 changed in the new version", 2)
    assert follow_page(7, ink, old, ["a"]) == Orphaned("page 7 was not in the previous version", 1)


def test_a_moved_page_that_appears_twice_goes_to_the_nearer_copy() -> None:
    assert follow_page(3, (), ["a", "b", "x", "c"], ["x", "b", "b", "c", "x"]) == Reanchored(
        1, (), "page_moved"
    )


def test_annotations_without_text_use_page_hashes_through_reanchor() -> None:
    new = [DOC[2], DOC[0], DOC[1]]
    outcome = reanchor(Anchor(3, rects=((0.5, 0.5, 0.6, 0.6),)), OLD_HASHES, pages_of(new))
    assert outcome == Reanchored(1, ((0.5, 0.5, 0.6, 0.6),), "page_moved")


words = st.sampled_from(VOCABULARY)
page_texts = st.lists(st.lists(words, min_size=4, max_size=40), min_size=1, max_size=6)


@st.composite
def doc_and_anchor(draw: st.DrawFn) -> tuple[list[list[str]], Anchor]:
    """A document whose pages are told apart by a first word (as page numbers do), and an anchor in it."""
    doc = [[f"p{n}", *words] for n, words in enumerate(draw(page_texts), start=1)]
    page = draw(st.integers(1, len(doc)))
    size = len(doc[page - 1])
    start = draw(st.integers(0, size - 1))
    end = draw(st.integers(start + 1, min(size, start + 6)))
    return doc, anchor_on(doc, page, start, end)


@given(
    doc_and_anchor(), st.lists(st.lists(st.sampled_from(OTHER_WORDS), max_size=20), min_size=1, max_size=4)
)
def test_inserting_pages_before_shifts_the_anchor_by_their_number(
    case: tuple[list[list[str]], Anchor], inserted: list[list[str]]
) -> None:
    doc, anchor = case
    outcome = reanchor(anchor, [p.hash for p in pages_of(doc)], pages_of(inserted + doc))
    assert isinstance(outcome, Reanchored)
    assert outcome.page == anchor.page + len(inserted)
    unchanged = reanchor(anchor, [p.hash for p in pages_of(doc)], pages_of(doc))
    assert isinstance(unchanged, Reanchored) and outcome.rects == unchanged.rects


@given(doc_and_anchor())
def test_removing_the_marked_text_orphans_the_anchor(case: tuple[list[list[str]], Anchor]) -> None:
    doc, anchor = case
    marked = Anchor(anchor.page, anchor.quote + " MỐC", anchor.prefix, anchor.suffix, anchor.rects)
    with_marker = [list(p) for p in doc]
    with_marker[anchor.page - 1] = with_marker[anchor.page - 1] + ["MỐC"]  # only the old version has it
    outcome = reanchor(marked, [p.hash for p in pages_of(with_marker)], pages_of(doc))
    assert isinstance(outcome, Orphaned) and outcome.last_page == min(anchor.page, len(doc))


anchors = st.builds(
    Anchor,
    page=st.integers(-2, 9),
    quote=st.text(alphabet="ngân sách Điều 1 ", max_size=20),
    prefix=st.text(max_size=10),
    suffix=st.text(max_size=10),
    rects=st.lists(st.tuples(*[st.floats(0, 1)] * 4), max_size=2).map(tuple),
)


@given(st.lists(anchors, max_size=12), page_texts, page_texts)
def test_every_anchor_gets_exactly_one_answer(
    batch: list[Anchor], old: list[list[str]], new: list[list[str]]
) -> None:
    outcomes = reanchor_all(batch, [p.hash for p in pages_of(old)], pages_of(new))
    assert len(outcomes) == len(batch)
    for outcome in outcomes:
        if isinstance(outcome, Reanchored):
            assert 1 <= outcome.page <= len(new)
            assert all(0 <= v <= 1 for rect in outcome.rects for v in rect)
        else:
            assert outcome.reason and 1 <= outcome.last_page <= len(new)
