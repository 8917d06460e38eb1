"""Check an uploaded PDF before it is stored, in a separate process with a wall-clock time limit.

``inspect_pdf(path, limits)`` returns a :class:`PdfInfo` or raises ``PdfRejected`` (HTTP 422) with a
message for the uploader, or ``PayloadTooLarge`` (413). The parsing itself (``docs_store.validate``)
runs in a child process that is killed when it overruns ``parse_seconds``, and that may use at most
``max_memory_bytes`` more memory than it started with, so a hostile file can neither hang nor exhaust
the server. ``inspect_pdf`` blocks: call it from a worker thread (``anyio.to_thread.run_sync``).

Children come from a ``forkserver`` (Linux, macOS) that has PyMuPDF already imported, so one costs
~20 ms rather than the ~1 s a fresh interpreter needs; the server is started by the first call (or
by ``worker_context()`` at start-up). As with any ``multiprocessing`` program, the main module must be
safe to import (``if __name__ == "__main__":``): the forkserver imports it once.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from pathlib import Path

from .errors import MIB, PdfRejected, too_large

WORKER_MODULE = "docs_store.validate"
WorkerContext = ForkServerContext | SpawnContext


@dataclass(frozen=True)
class PdfLimits:
    """What an acceptable upload may be.

    ``max_page_side_pt`` defaults to 14400 pt (200 in, 5.08 m), the page size limit of the PDF format.
    ``accept_restricted`` lets through files encrypted only with an owner password (restrictions on
    copying or printing, no password to open); ``sanitize_pdf`` writes them out unencrypted.
    """

    max_bytes: int = 200 * MIB
    max_pages: int = 2000
    parse_seconds: float = 20.0
    max_page_side_pt: float = 14400.0
    max_memory_bytes: int = 1024 * MIB
    accept_restricted: bool = False


@dataclass(frozen=True)
class PdfInfo:
    """What we learnt from an accepted PDF.

    ``page_sizes`` are (width, height) in points as displayed (after /Rotate); ``page_hashes`` are the
    per-page content hashes of ``docs_store.pagehash``; ``repaired`` says MuPDF had to rebuild a broken
    cross-reference table (all pages still read cleanly); ``warnings`` are MuPDF's complaints, for logs.
    """

    pages: int
    title: str | None
    page_sizes: tuple[tuple[float, float], ...]
    has_javascript: bool
    has_launch: bool
    page_hashes: tuple[str, ...]
    repaired: bool = False
    warnings: tuple[str, ...] = ()


def inspect_pdf(
    path: Path, limits: PdfLimits | None = None, *, context: WorkerContext | None = None
) -> PdfInfo:
    """Validate the PDF at ``path`` within ``limits`` and describe it; raise ``PdfRejected`` if it is bad."""
    limits = limits or PdfLimits()
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise too_large(limits.max_bytes, size)
    outcome = _run_worker(path, limits, context or worker_context())
    if isinstance(outcome, PdfInfo):
        return outcome
    raise outcome


def worker_context() -> WorkerContext:
    """The multiprocessing context for workers: a forkserver preloading PyMuPDF where there is one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", WORKER_MODULE])
    return context


def _run_worker(path: Path, limits: PdfLimits, context: WorkerContext) -> PdfInfo | PdfRejected:
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_work, args=(sender, str(path), limits), daemon=True)
    process.start()
    sender.close()  # the child holds the other copy: its exit, answered or not, wakes ``poll``
    try:
        if not receiver.poll(limits.parse_seconds):
            return PdfRejected(
                "timeout",
                f"the PDF took too long to read (over {limits.parse_seconds:g} s); it may be damaged",
                seconds=f"{limits.parse_seconds:g}",
            )
        return _receive(receiver)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()


def _receive(receiver: Connection) -> PdfInfo | PdfRejected:
    try:
        outcome = receiver.recv()
    except EOFError:  # the child died without answering: a crash in the parser, or a CPU-time kill
        return PdfRejected("damaged", "the PDF could not be read (the reader stopped); it may be damaged")
    if isinstance(outcome, PdfInfo | PdfRejected):
        return outcome
    raise TypeError(f"unexpected answer from the PDF worker: {outcome!r}")


def _work(sender: Connection, path: str, limits: PdfLimits) -> None:
    """Child-process entry point: check the file and send back a PdfInfo or a PdfRejected."""
    from .validate import check_in_worker

    try:
        sender.send(check_in_worker(Path(path), limits))
    finally:
        sender.close()
