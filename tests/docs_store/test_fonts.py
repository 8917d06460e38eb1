"""fonts: DejaVu found where Debian puts it, or where CAUHOP_FONT_DIR says; a clear error when missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docs_store.fonts import SERIF, FontMissing, font_file, load_pair


def test_the_vietnamese_fonts_are_installed() -> None:
    pair = load_pair(SERIF)
    for font in (pair.regular, pair.bold):
        assert all(font.has_glyph(ord(c)) for c in "Kỳ họp thứ Mười hai – Điều ữ ặ ẫ ổ ợ ự ỹ Ỵ đ Đ")


def test_the_environment_names_another_folder_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(font_file("DejaVuSans.ttf"), tmp_path / "DejaVuSans.ttf")
    monkeypatch.setenv("CAUHOP_FONT_DIR", str(tmp_path))
    assert font_file("DejaVuSans.ttf") == tmp_path / "DejaVuSans.ttf"


def test_a_missing_font_says_what_to_install() -> None:
    with pytest.raises(FontMissing, match="install the package fonts-dejavu-core or set CAUHOP_FONT_DIR"):
        font_file("NoSuchFont.ttf")
