"""The TrueType fonts used to write Vietnamese into PDFs (cover pages, watermarks, demo documents).

PyMuPDF's built-in fonts lack Vietnamese letters (ỳ, ữ, ặ…), so we embed DejaVu, which has them all:
Debian/Ubuntu package ``fonts-dejavu-core`` (``/usr/share/fonts/truetype/dejavu``). Another directory
holding the same file names can be named with the environment variable ``CAUHOP_FONT_DIR``.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pymupdf

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora, Alpine
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)
SANS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
SERIF = ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")


class FontMissing(RuntimeError):
    """A font file is not installed: a deployment error, not a user's."""


def font_file(name: str) -> Path:
    """The path of font file ``name``, searched in ``$CAUHOP_FONT_DIR`` then the usual directories."""
    dirs = [os.environ["CAUHOP_FONT_DIR"]] if os.environ.get("CAUHOP_FONT_DIR") else []
    for folder in [*dirs, *FONT_DIRS]:
        path = Path(folder) / name
        if path.is_file():
            return path
    raise FontMissing(
        f"font {name} not found in {', '.join([*dirs, *FONT_DIRS])}; "
        "install the package fonts-dejavu-core or set CAUHOP_FONT_DIR"
    )


@dataclass(frozen=True)
class FontPair:
    """A regular and a bold face of one family, as files and as loaded PyMuPDF fonts."""

    regular_path: Path
    bold_path: Path
    regular: pymupdf.Font
    bold: pymupdf.Font


def load_pair(names: tuple[str, str] = SANS) -> FontPair:
    """Load a regular/bold pair (DejaVu Sans by default, or ``SERIF``)."""
    regular, bold = font_file(names[0]), font_file(names[1])
    return FontPair(regular, bold, pymupdf.Font(fontfile=str(regular)), pymupdf.Font(fontfile=str(bold)))
