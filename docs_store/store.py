"""The documents edge: files on disk and a pool of processes for PDF work.

``DocumentStore`` (one per server process, made and closed by the app's lifespan) owns the
content-addressed blobs (``blobs/``), the cache of page images and page words keyed by page hash
(``cache/``), a scratch folder (``work/``), the pool of worker processes that do every PyMuPDF job
(PyMuPDF holds the GIL: in a thread it would stall the event loop; the jobs are in ``workers``), the
single-flight table of cold renders, and the caches of read permissions and recent pages.

The database side lives next to it, one module per concern, each checking permissions (``access``),
appending meeting events in the same transaction as the change and writing the audit log (``audit``):
``meeting_documents`` (list, open, change, files and pages), ``ingest`` (uploads and versions, with
``reanchor`` carrying annotations over), ``agenda``, ``meeting_packet``, ``page_annotations`` (and
``annotations_exchange`` for annotated PDFs, ``client_keys`` for replayed creates), ``comments`` (góp ý)
and ``search``; ``forms`` reads upload forms. Those that need the pool take the ``DocumentStore`` and
``Transactions`` (``web.endpoint.Call`` is one); the rest take a session.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlmodel import Session, col, select

from meetings.errors import NotFound

from .blobs import BlobStore, StoredBlob
from .errors import MIB
from .inspect import WORKER_MODULE, PdfInfo, PdfLimits, inspect_pdf, worker_context
from .models import DocumentVersion, Packet, PacketCopy
from .workers import render_to_cache, words_to_cache

T = TypeVar("T")
P = ParamSpec("P")

# the pool's workers start with these imported: this module (with ``workers`` and the ``PageRef`` they are
# sent) and the modules of the other functions the pool runs
PRELOAD = [
    "__main__",
    WORKER_MODULE,
    __name__,
    "docs_store.packet",
    "docs_store.watermark",
    "docs_store.annotations_pdf",
]


class Transactions(Protocol):
    """Where sessions come from: ``write()`` commits (and publishes what it appended); ``read()`` reads."""

    def read(self) -> AbstractContextManager[Session]: ...

    def write(self) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True)
class DocumentSettings:
    """Upload limits, the PDF worker pool and the page caches: ``CAUHOP_MAX_UPLOAD_MB``, ``CAUHOP_MAX_PAGES``,
    ``CAUHOP_PDF_PARSE_SECONDS``, ``CAUHOP_PDF_WORKERS``, ``CAUHOP_PAGE_GRANT_SECONDS`` (how long a page
    read permission is trusted), ``CAUHOP_PAGE_MEMORY_MB`` (page images kept in memory)."""

    max_upload_bytes: int = 200 * MIB
    max_pages: int = 2000
    parse_seconds: float = 20.0
    workers: int = 2
    grant_seconds: float = 5.0
    page_memory_bytes: int = 96 * MIB

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DocumentSettings:
        env = os.environ if env is None else env
        return cls(
            max_upload_bytes=int(float(env.get("CAUHOP_MAX_UPLOAD_MB", "200")) * MIB),
            max_pages=int(env.get("CAUHOP_MAX_PAGES", "2000")),
            parse_seconds=float(env.get("CAUHOP_PDF_PARSE_SECONDS", "20")),
            workers=int(env.get("CAUHOP_PDF_WORKERS", str(max(2, os.cpu_count() or 2)))),
            grant_seconds=float(env.get("CAUHOP_PAGE_GRANT_SECONDS", "5")),
            page_memory_bytes=int(float(env.get("CAUHOP_PAGE_MEMORY_MB", "96")) * MIB),
        )

    @property
    def limits(self) -> PdfLimits:
        return PdfLimits(
            max_bytes=self.max_upload_bytes, max_pages=self.max_pages, parse_seconds=self.parse_seconds
        )


@dataclass(frozen=True)
class PageRef:
    """One page of one version, as the page routes need it. ``pinned``: addressed by version number."""

    document_id: int
    version: int
    page: int
    hash: str
    pdf: Path
    pinned: bool


@dataclass(frozen=True)
class Grant:
    """A caller's leave to read one version's pages, with what serving them needs."""

    document_id: int
    version: int
    pdf: Path
    hashes: tuple[str, ...]
    pinned: bool

    def page(self, number: int) -> PageRef:
        if not 1 <= number <= len(self.hashes):
            pages = len(self.hashes)
            raise NotFound(f"page {number} does not exist; version {self.version} has {pages} pages")
        return PageRef(self.document_id, self.version, number, self.hashes[number - 1], self.pdf, self.pinned)


class ReadGrants:
    """Recent answers to "may this session read these pages?", kept ``ttl`` seconds, so that a tablet
    turning pages is checked once, not on every page. A change made through this process (a new version,
    new readers) drops the document's grants at once; other processes see it within ``ttl``."""

    def __init__(self, ttl: float, size: int = 100_000) -> None:
        self.ttl, self.size = ttl, size
        self._grants: dict[tuple[str, int, int | None], tuple[float, int, Grant]] = {}
        self._generation: dict[int, int] = {}
        self._lock = threading.Lock()

    def get(self, credential: str, doc_id: int, version: int | None) -> Grant | None:
        found = self._grants.get((credential, doc_id, version))
        if found is None:
            return None
        until, generation, grant = found
        if until < time.monotonic() or generation != self._generation.get(doc_id, 0):
            self._grants.pop((credential, doc_id, version), None)
            return None
        return grant

    def put(self, credential: str, version: int | None, grant: Grant) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._grants) >= self.size:
                self._grants.clear()
            generation = self._generation.get(grant.document_id, 0)
            self._grants[(credential, grant.document_id, version)] = (
                time.monotonic() + self.ttl,
                generation,
                grant,
            )

    def forget(self, doc_id: int) -> None:
        with self._lock:
            self._generation[doc_id] = self._generation.get(doc_id, 0) + 1


class PageMemory:
    """The most recently served page images and word lists, in memory (at most ``max_bytes``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.used = max_bytes, 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self.used += len(data)
            while self.used > self.max_bytes:
                _, old = self._items.popitem(last=False)
                self.used -= len(old)


@dataclass(frozen=True)
class FileRef:
    """A stored file to send, and what its download is recorded as."""

    path: Path
    sha256: str
    name: str
    meeting_id: int
    document_id: int | None
    version: int | None
    detail: str


class DocumentStore:
    """Blobs, page cache, PDF worker processes and single-flight renders (see the module docstring)."""

    def __init__(self, root: Path, settings: DocumentSettings | None = None) -> None:
        self.settings = settings or DocumentSettings()
        self.blobs = BlobStore(root / "blobs")
        self.cache = root / "cache"
        self.work = root / "work"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self._context = worker_context()
        if isinstance(self._context, ForkServerContext):
            self._context.set_forkserver_preload(PRELOAD)
        self._pool = ProcessPoolExecutor(self.settings.workers, mp_context=self._context)
        self._pool_lock = threading.Lock()
        self._flights: dict[str, asyncio.Task[bytes]] = {}
        self.grants = ReadGrants(self.settings.grant_seconds)
        self.memory = PageMemory(self.settings.page_memory_bytes)
        self.renders = 0  # page images and word lists made by this process (the rest came from the cache)

    @classmethod
    def in_data_dir(cls, data_dir: Path, settings: DocumentSettings | None = None) -> DocumentStore:
        """The store of a server's ``DATA_DIR`` (its ``documents`` folder)."""
        return cls(data_dir / "documents", settings)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- running PDF work in the pool

    def _submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._pool_lock:
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:  # a worker died (MuPDF crashed on a file): start a fresh pool
                self._pool = ProcessPoolExecutor(self.settings.workers, mp_context=self._context)
                return self._pool.submit(fn, *args, **kwargs)

    def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` in a worker process; blocks the calling thread (not the GIL) until it is done."""
        return self._submit(fn, *args, **kwargs).result()

    async def run_async(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.wrap_future(self._submit(fn, *args, **kwargs))

    def inspect(self, path: Path) -> PdfInfo:
        """Check an uploaded PDF against the limits, in a killable child (see ``inspect.inspect_pdf``)."""
        return inspect_pdf(path, self.settings.limits, context=self._context)

    def scratch(self, suffix: str = ".pdf") -> Path:
        """A fresh path in the work folder (the caller removes it)."""
        return self.work / f"{secrets.token_hex(12)}{suffix}"

    def made_blob(self, make: Callable[[Path], T], max_bytes: int) -> tuple[T, StoredBlob]:
        """``make(path)`` writes a file at a fresh scratch path (in a worker); store it as a blob."""
        scratch = self.scratch()
        try:
            result = make(scratch)
            blob = self.blobs.put_file(scratch, max_bytes)
        finally:
            scratch.unlink(missing_ok=True)
        return result, blob

    def discard(self, session: Session, shas: Iterable[str]) -> None:
        """Remove blobs that no version, packet or copy refers to (a rejected upload's)."""
        for sha in set(shas):
            used = (
                session.exec(
                    select(DocumentVersion.id).where(
                        (col(DocumentVersion.sha256) == sha) | (col(DocumentVersion.original_sha256) == sha)
                    )
                ).first()
                or session.exec(select(Packet.id).where(Packet.sha256 == sha)).first()
                or session.exec(select(PacketCopy.mark).where(PacketCopy.sha256 == sha)).first()
            )
            if used is None:
                self.blobs.path_for(sha).unlink(missing_ok=True)

    # -- page images and words: disk cache keyed by page hash, one render however many ask at once

    def cache_path(self, key: str) -> Path:
        return self.cache / key[:2] / key

    @staticmethod
    def image_key(page_hash: str, width: int, fmt: str) -> str:
        return f"{page_hash}-{width}.{fmt}"

    @staticmethod
    def words_key(page_hash: str) -> str:
        return f"{page_hash}.words.json"

    def cached(self, key: str) -> bytes | None:
        """The cached bytes for ``key``, if present (blocking: call from a thread)."""
        data = self.memory.get(key)
        if data is None:
            try:
                data = self.cache_path(key).read_bytes()
            except FileNotFoundError:
                return None
            self.memory.put(key, data)
        return data

    async def page_image(self, ref: PageRef, width: int, fmt: str) -> tuple[bytes, str]:
        """The page drawn ``width`` px wide, and ``hit``, ``miss`` (drawn now) or ``shared``."""
        key = self.image_key(ref.hash, width, fmt)
        target = str(self.cache_path(key))
        return await self._single_flight(
            key, lambda: self.run_async(render_to_cache, ref, width, fmt, target)
        )

    async def page_words(self, ref: PageRef) -> tuple[bytes, str]:
        """The page's words as JSON (a list of ``{text, x0, y0, x1, y1}``), like :meth:`page_image`."""
        key = self.words_key(ref.hash)
        target = str(self.cache_path(key))
        return await self._single_flight(key, lambda: self.run_async(words_to_cache, ref, target))

    async def _single_flight(self, key: str, make: Callable[[], Awaitable[bytes]]) -> tuple[bytes, str]:
        flight = self._flights.get(key)
        if flight is not None:
            return await asyncio.shield(flight), "shared"
        if self.cache_path(key).is_file():  # checked with no await since the lookup: no second flight
            data = await asyncio.to_thread(self.cached, key)
            if data is not None:
                return data, "hit"
        task = asyncio.ensure_future(self._count(key, make()))
        self._flights[key] = task
        task.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(task), "miss"

    async def _count(self, key: str, making: Awaitable[bytes]) -> bytes:
        data = await making
        self.renders += 1
        self.memory.put(key, data)
        return data

    def _landed(self, key: str, task: asyncio.Task[bytes]) -> None:
        self._flights.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, so that an error nobody waited for is not reported

    # -- ingest

    def words(self, ref: PageRef) -> list[dict[str, Any]]:
        """The page's words (from the cache, else read now in a worker). Blocking: call from a thread."""
        data = self.cached(self.words_key(ref.hash))
        if data is None:
            data = self.run(words_to_cache, ref, str(self.cache_path(self.words_key(ref.hash))))
        words: list[dict[str, Any]] = json.loads(data)
        return words
