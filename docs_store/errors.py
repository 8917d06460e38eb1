"""Errors raised by the document core, as subclasses of the one tree in ``meetings.errors``.

A rejected upload is a :class:`PdfRejected` (HTTP 422) with a short machine ``reason`` next to the
human ``detail``; a file over a size limit is ``meetings.errors.PayloadTooLarge`` (HTTP 413).
"""

from __future__ import annotations

from meetings.errors import Invalid, PayloadTooLarge

__all__ = ["PdfRejected", "PayloadTooLarge", "too_large", "format_size"]

MIB = 1024 * 1024


class PdfRejected(Invalid):
    """An uploaded file that is not an acceptable PDF.

    ``reason`` is one of: ``empty``, ``not_pdf``, ``damaged``, ``incomplete``, ``password``, ``encrypted``,
    ``no_pages``, ``too_many_pages``, ``page_too_large``, ``page_tree_loop``, ``timeout``, ``out_of_memory``.
    """

    def __init__(self, reason: str, detail: str, **figures: str | int) -> None:
        super().__init__(detail, None, reason, **figures)


def format_size(n: int) -> str:
    """Render a byte count for people: ``200 MB``, ``1.5 MB``, ``12 KB``, ``300 bytes`` (binary units)."""
    if n >= MIB:
        return f"{n / MIB:.0f} MB" if n % MIB == 0 else f"{n / MIB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def too_large(limit: int, size: int | None = None) -> PayloadTooLarge:
    """The error for a file over ``limit`` bytes (``size`` when it is known)."""
    if size is None:
        return PayloadTooLarge(
            f"the file is larger than the limit of {format_size(limit)}",
            "too_large",
            limit=format_size(limit),
        )
    return PayloadTooLarge(
        f"the file is {format_size(size)}, larger than the limit of {format_size(limit)}",
        "too_large",
        limit=format_size(limit),
        size=format_size(size),
    )
