"""The documents edge: files on disk, rows in the database, and a pool of processes for PDF work.

``DocumentStore`` (one per server process, made and closed by the app's lifespan) owns the
content-addressed blobs (``blobs/``), the cache of page images and page words keyed by page hash
(``cache/``), a scratch folder (``work/``), the pool of worker processes that do every PyMuPDF job
(PyMuPDF holds the GIL: in a thread it would stall the event loop) and the single-flight table of cold
renders. Its methods take ``Transactions`` (``web.endpoint.Call`` is one) or a session, and the caller
(``Actor``); they check permissions through ``meetings.permissions`` and the confidentiality rule below,
append meeting events in the same transaction as the change, and write the audit log.

A rejected upload changes nothing: the rows are written in one transaction after every check passed,
and the blobs it stored are removed again unless another version or packet uses the same content.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import pymupdf
from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from meetings import eventlog, queries
from meetings.clock import LOCAL_TZ, from_db, to_db
from meetings.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, MeetingParticipant, Person, Unit, User
from meetings.permissions import (
    Actor,
    MeetingAccess,
    MeetingRole,
    Role,
    can_view_meeting,
    manages_unit,
    meeting_role,
    require_view_meeting,
)
from meetings.units import UnitTree

from . import anchoring, annotations_pdf, packet, textsearch, watermark
from .blobs import BlobStore, StoredBlob
from .errors import MIB
from .fonts import SERIF, load_pair
from .inspect import WORKER_MODULE, PdfInfo, PdfLimits, inspect_pdf, worker_context
from .models import (
    KIND_DATA,
    AgendaItem,
    AgendaItemIn,
    AgendaItemOut,
    AgendaItemPatch,
    AnchorIn,
    AnchorStatus,
    Annotation,
    AnnotationIn,
    AnnotationKind,
    AnnotationOut,
    AnnotationPatch,
    AuditEntry,
    AuditOut,
    Comment,
    CommentIn,
    CommentOut,
    Confidentiality,
    Document,
    DocumentBrief,
    DocumentDetail,
    DocumentOut,
    DocumentPageText,
    DocumentPatch,
    DocumentReader,
    DocumentVersion,
    Handling,
    HandlingIn,
    ImportOut,
    Packet,
    PacketCopy,
    PacketOut,
    SearchHit,
    UploadForm,
    UploadOut,
    VersionOut,
    Visibility,
)
from .pagehash import page_hashes
from .sanitize import sanitize_pdf
from .typeset import Column, Flow
from .words import Word, clamp

T = TypeVar("T")
P = ParamSpec("P")

RUNNERS = frozenset({MeetingRole.chair, MeetingRole.secretary})
DELEGATES = frozenset({MeetingRole.chair, MeetingRole.secretary, MeetingRole.delegate})
HANDLING_VI = {"accepted": "Tiếp thu", "explained": "Giải trình", "rejected": "Không tiếp thu"}


class Transactions(Protocol):
    """Where sessions come from: ``write()`` commits (and publishes what it appended); ``read()`` reads."""

    def read(self) -> AbstractContextManager[Session]: ...

    def write(self) -> AbstractContextManager[Session]: ...


# ---- who may read and manage (pure) ------------------------------------------------------------------------


def can_manage_documents(actor: Actor, access: MeetingAccess, tree: UnitTree) -> bool:
    """The agenda, uploads, packets, shared annotations, comment handling: chair, secretary, host managers."""
    return manages_unit(actor, access.host_unit_id, tree) or meeting_role(actor, access) in RUNNERS


def require_manage_documents(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    if not can_manage_documents(actor, access, tree):
        raise Forbidden("only the meeting's chair or secretary may change its agenda and documents")


def can_read_document(
    actor: Actor, access: MeetingAccess, tree: UnitTree, confidentiality: str, readers: Collection[int]
) -> bool:
    """Whether ``actor`` may open a document of the meeting ``access`` describes."""
    if can_manage_documents(actor, access, tree):
        return True
    if not can_view_meeting(actor, access, tree):
        return False
    if confidentiality == Confidentiality.all_participants:
        return True
    if confidentiality == Confidentiality.delegates_only:
        return meeting_role(actor, access) in DELEGATES
    return actor.person_id is not None and actor.person_id in readers


# ---- settings and the store --------------------------------------------------------------------------------


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
class Caller:
    """The caller as seen by one meeting's permission checks."""

    actor: Actor
    meeting: Meeting
    access: MeetingAccess
    tree: UnitTree

    @property
    def manages(self) -> bool:
        return can_manage_documents(self.actor, self.access, self.tree)

    def require_manage(self) -> None:
        require_manage_documents(self.actor, self.access, self.tree)

    def person(self) -> int:
        if self.actor.person_id is None:
            raise Invalid("this account is not linked to a person; ask an administrator")
        return self.actor.person_id


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


@dataclass(frozen=True)
class Prepared:
    """An accepted upload: both blobs, what inspection learnt, and the delivered copy's pages."""

    original: StoredBlob
    delivered: StoredBlob
    info: PdfInfo
    page_hashes: tuple[str, ...]
    texts: tuple[str, ...]
    removed: int


@dataclass(frozen=True)
class Upload:
    """Where an upload goes: a new document of ``meeting_id``, or a new version of ``document_id``."""

    meeting_id: int | None
    document_id: int | None
    form: UploadForm
    filename: str = ""


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
        if isinstance(self._context, ForkServerContext):  # workers start with this module already imported
            self._context.set_forkserver_preload(["__main__", WORKER_MODULE, __name__])
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

    def scratch(self, suffix: str = ".pdf") -> Path:
        """A fresh path in the work folder (the caller removes it)."""
        return self.work / f"{secrets.token_hex(12)}{suffix}"

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

    def prepare(self, original: StoredBlob, known: Prepared | None = None) -> Prepared:
        """Inspect (in a killable child), sanitise, hash and read the pages; store the delivered copy.
        A file delivered before (``known``) keeps its delivered copy: same upload, same pages."""
        info = inspect_pdf(original.path, self.settings.limits, context=self._context)
        if known is not None:
            return replace(known, original=original, info=info)
        scratch = self.scratch()
        try:
            removed, hashes, texts = self.run(deliver, str(original.path), str(scratch), str(self.cache))
            delivered = self.blobs.put_file(scratch, 2 * self.settings.max_upload_bytes + MIB)
        finally:
            scratch.unlink(missing_ok=True)
        return Prepared(original, delivered, info, tuple(hashes), tuple(texts), removed)

    def ingest(
        self, tx: Transactions, actor: Actor, now: datetime, upload: Upload, blob: StoredBlob
    ) -> UploadOut:
        """Check, prepare and record an upload (already stored as ``blob``); undo the blobs on error."""
        made: list[str] = [blob.sha256]
        try:
            with tx.read() as s:
                _check_upload(s, actor, upload)
                known = self._delivered_before(s, blob)
            prepared = self.prepare(blob, known)
            made.append(prepared.delivered.sha256)
            outcomes = self._reanchor_ahead(tx, upload, prepared)
            with tx.write() as s:
                out = self._record(s, actor, now, upload, prepared, outcomes)
        except BaseException:
            with tx.write() as s:
                self.discard(s, made)
            raise
        self.grants.forget(out.id)  # "the current version" has changed
        return out

    def update_document(
        self, tx: Transactions, actor: Actor, now: datetime, doc_id: int, patch: DocumentPatch
    ) -> DocumentOut:
        with tx.write() as s:
            out = update_document(s, actor, now, doc_id, patch)
        self.grants.forget(doc_id)  # its readers may have changed
        return out

    def _delivered_before(self, s: Session, original: StoredBlob) -> Prepared | None:
        """The delivered copy made when the same file was uploaded before, if it is still stored."""
        version = s.exec(
            select(DocumentVersion)
            .where(DocumentVersion.original_sha256 == original.sha256)
            .order_by(col(DocumentVersion.id))
        ).first()
        if version is None or not self.blobs.exists(version.sha256):
            return None
        texts = s.exec(
            select(DocumentPageText.text)
            .where(DocumentPageText.version_id == version.id)
            .order_by(col(DocumentPageText.page))
        ).all()
        delivered = StoredBlob(version.sha256, version.size, self.blobs.path_for(version.sha256))
        info = PdfInfo(version.pages, version.title, (), False, False, tuple(version.page_hashes))
        return Prepared(
            original, delivered, info, tuple(version.page_hashes), tuple(texts), version.removed_active
        )

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

    def _reanchor_ahead(
        self, tx: Transactions, upload: Upload, prepared: Prepared
    ) -> dict[tuple[int, datetime], anchoring.Outcome]:
        """Re-anchor the current version's annotations before the write (the slow part, outside the lock)."""
        if upload.document_id is None:
            return {}
        with tx.read() as s:
            doc = _document(s, upload.document_id)
            old = _version(s, doc, None)
            marks = _annotations_on(s, old)
        outcomes = self.reanchor(marks, old.page_hashes, prepared)
        return {(a.id or 0, from_db(a.updated_at)): o for a, o in zip(marks, outcomes, strict=True)}

    def reanchor(
        self, marks: Sequence[Annotation], old_hashes: Sequence[str], prepared: Prepared
    ) -> list[anchoring.Outcome]:
        anchors = [_anchor_of(a) for a in marks]
        if not any(a.quote.strip() for a in anchors):  # page-following needs only the hashes
            pages = [anchoring.NewPage(h, ()) for h in prepared.page_hashes]
            return anchoring.reanchor_all(anchors, old_hashes, pages)
        return self.run(
            reanchor_in_worker, str(prepared.delivered.path), anchors, list(old_hashes), prepared.page_hashes
        )

    def _record(
        self,
        s: Session,
        actor: Actor,
        now: datetime,
        upload: Upload,
        prepared: Prepared,
        outcomes: dict[tuple[int, datetime], anchoring.Outcome],
    ) -> UploadOut:
        doc, meeting_id = _target(s, upload)
        meeting = eventlog.lock_meeting(s, meeting_id)
        caller = _caller(s, actor, meeting)
        caller.require_manage()
        form = upload.form
        title = form.title or prepared.info.title or Path(upload.filename).stem or "Tài liệu"
        previous = None
        if doc is None:
            doc = _new_document(s, caller, now, form, title[:500])
        else:
            previous = _version(s, doc, None)
            if (
                prepared.delivered.sha256 == previous.sha256
                or prepared.original.sha256 == previous.original_sha256
            ):
                raise Conflict(f"this file is the same as version {previous.number}; nothing to publish")
            if form.title:
                doc.title = form.title
        version = _add_version(s, actor, now, doc, prepared, title[:500])
        summary = {"ok": 0, "moved": 0, "orphaned": 0}
        changed = list(range(1, version.pages + 1))
        if previous is not None:
            changed = _changed_pages(previous.page_hashes, version.page_hashes)
            summary = self._carry_annotations(s, now, previous, version, prepared, outcomes)
        payload = {"version": version.number, "pages": version.pages, "changed_pages": changed}
        if previous is None:
            _event(s, caller, doc, "document.published", payload, now)
        else:
            _event(s, caller, doc, "document.versioned", {**payload, "annotations": summary}, now)
        _audit(
            s, actor, now, "upload" if previous is None else "version", doc, version.number, upload.filename
        )
        assert doc.id is not None
        return UploadOut(
            id=doc.id,
            version=version.number,
            sha256=version.original_sha256,
            delivered_sha256=version.sha256,
            pages=version.pages,
            title=doc.title,
            page_hashes=version.page_hashes,
            changed_pages=changed,
            annotations=summary,
        )

    def _carry_annotations(
        self,
        s: Session,
        now: datetime,
        old: DocumentVersion,
        new: DocumentVersion,
        prepared: Prepared,
        outcomes: dict[tuple[int, datetime], anchoring.Outcome],
    ) -> dict[str, int]:
        marks = _annotations_on(s, old)
        late = [a for a in marks if (a.id or 0, from_db(a.updated_at)) not in outcomes]
        for mark, outcome in zip(late, self.reanchor(late, old.page_hashes, prepared), strict=True):
            outcomes[(mark.id or 0, from_db(mark.updated_at))] = outcome  # made or edited meanwhile
        summary = {"ok": 0, "moved": 0, "orphaned": 0}
        for mark in marks:
            _place(mark, outcomes[(mark.id or 0, from_db(mark.updated_at))], new, now)
            summary[mark.status] += 1
            s.add(mark)
        return summary

    # -- packets

    def compile_packet(self, tx: Transactions, actor: Actor, now: datetime, meeting_id: int) -> PacketOut:
        """Compile the agenda's documents (those every participant may read) into the published packet."""
        with tx.read() as s:
            meeting = queries.get_meeting(s, meeting_id)
            _caller(s, actor, meeting).require_manage()
            spec = _packet_spec(s, self.blobs, meeting)
            key = _spec_key(spec)
            latest = _latest_packet(s, meeting_id)
            if latest is not None and latest.spec_key == key and self.blobs.exists(latest.sha256):
                return _packet_out(latest, reused=True)
        scratch = self.scratch()
        try:
            result = self.run(packet.compile_packet, spec, scratch)
            blob = self.blobs.put_file(scratch, 1 << 40)
        finally:
            scratch.unlink(missing_ok=True)
        with tx.write() as s:
            meeting = eventlog.lock_meeting(s, meeting_id)
            contents = [
                {"level": e.level, "title": e.title, "page": e.page, "presenter": e.presenter}
                for e in result.toc_entries
            ]
            row = Packet(
                meeting_id=meeting_id,
                spec_key=key,
                sha256=blob.sha256,
                pages=result.pages,
                size=blob.size,
                contents=contents,
                compiled_by_id=actor.user_id,
                compiled_at=now,
            )
            s.add(row)
            s.flush()
            payload = {"packet_id": row.id, "sha256": blob.sha256, "pages": result.pages, "size": blob.size}
            eventlog.append(s, meeting, "packet.published", payload, actor_id=actor.user_id, at=now)
            _audit_meeting(s, actor, now, "packet", meeting_id, f"packet {row.id}")
            return _packet_out(row, reused=False)

    def packet_file(self, s: Session, actor: Actor, meeting_id: int) -> FileRef:
        """The published packet of a meeting the caller may see."""
        meeting_caller(s, actor, meeting_id)
        latest = _latest_packet(s, meeting_id)
        if latest is None:
            raise NotFound("no packet has been compiled for this meeting yet")
        path = self.blobs.path_for(latest.sha256)
        return FileRef(path, latest.sha256, "bo-tai-lieu.pdf", meeting_id, None, None, f"packet {latest.id}")

    def packet_copy(self, tx: Transactions, actor: Actor, now: datetime, meeting_id: int) -> FileRef:
        """The caller's own watermarked copy of the published packet (made once per packet and person)."""
        with tx.read() as s:
            source = self.packet_file(s, actor, meeting_id)
            person_id = meeting_caller(s, actor, meeting_id).person()
            copy = _packet_copy(s, source.sha256, person_id)
            name = (s.get(Person, person_id) or Person(full_name=actor.username)).full_name
        if copy is None or not self.blobs.exists(copy.sha256):
            copy = self._watermark(tx, source.path, source.sha256, person_id, name, now)
        path = self.blobs.path_for(copy.sha256)
        return FileRef(
            path, copy.sha256, "bo-tai-lieu-cua-toi.pdf", meeting_id, None, None, f"copy {copy.mark}"
        )

    def _watermark(
        self, tx: Transactions, source: Path, packet_sha: str, person_id: int, name: str, now: datetime
    ) -> PacketCopy:
        label = f"Bản của đại biểu {name} – {from_db(now).astimezone(LOCAL_TZ):%d/%m/%Y}"
        scratch = self.scratch()
        try:
            mark = self.run(watermark.watermark_copy, source, scratch, label, secrets.token_hex(8))
            blob = self.blobs.put_file(scratch, 1 << 40)
        finally:
            scratch.unlink(missing_ok=True)
        copy = PacketCopy(
            mark=mark, packet_sha256=packet_sha, person_id=person_id, sha256=blob.sha256, created_at=now
        )
        try:
            with tx.write() as s:
                old = _packet_copy(s, packet_sha, person_id)
                if old is not None:
                    s.delete(old)  # its file was lost: this copy replaces it
                    s.flush()
                s.add(copy)
        except IntegrityError:  # another request made the same copy meanwhile: use that one
            with tx.read() as s:
                found = _packet_copy(s, packet_sha, person_id)
            if found is None:
                raise
            return found
        return copy

    # -- annotations that need the page's words, exports and imports

    def words(self, ref: PageRef) -> list[dict[str, Any]]:
        """The page's words (from the cache, else read now in a worker). Blocking: call from a thread."""
        data = self.cached(self.words_key(ref.hash))
        if data is None:
            data = self.run(words_to_cache, ref, str(self.cache_path(self.words_key(ref.hash))))
        words: list[dict[str, Any]] = json.loads(data)
        return words

    def create_annotation(
        self, tx: Transactions, actor: Actor, now: datetime, doc_id: int, body: AnnotationIn
    ) -> AnnotationOut:
        data = body.root
        anchor = data.anchor
        if data.kind == AnnotationKind.highlight and (anchor is None or not anchor.quote.strip()):
            with tx.read() as s:
                ref = page_ref(s, self.blobs, actor, doc_id, data.page, data.version)
            rects = data.data.rects  # type: ignore[union-attr]
            anchor = quote_under(self.words(ref), [tuple(r) for r in rects])
        with tx.write() as s:
            return add_annotation(s, actor, now, doc_id, replace_anchor(data, anchor))

    def export_annotated(
        self, tx: Transactions, actor: Actor, now: datetime, doc_id: int
    ) -> tuple[Path, str]:
        """A copy of the current version with the caller's and the shared annotations (remove it after)."""
        with tx.write() as s:
            doc, caller = readable(s, actor, doc_id)
            version = _version(s, doc, None)
            marks = [a for a in _annotations_on(s, version) if _sees(caller, a)]
            names = _names(s, {a.author_id for a in marks})
            items = [_exported(a, names.get(a.author_id, "")) for a in marks]
            _audit(s, actor, now, "download", doc, version.number, "annotated copy")
        scratch = self.scratch()
        self.run(annotations_pdf.export_annotations, self.blobs.path_for(version.sha256), scratch, items)
        return scratch, f"{_filename(doc.title)} (ghi chú).pdf"

    def import_annotations(
        self, tx: Transactions, actor: Actor, now: datetime, doc_id: int, path: Path
    ) -> ImportOut:
        """Read the annotations of an annotated PDF (checked like any upload) as the caller's private ones."""
        with tx.read() as s:
            readable(s, actor, doc_id)
        inspect_pdf(path, self.settings.limits, context=self._context)
        found = self.run(annotations_pdf.read_annotations, path)
        with tx.write() as s:
            return merge_imported(s, actor, now, doc_id, found)

    def comments_pdf(self, s: Session, actor: Actor, now: datetime, doc_id: int) -> tuple[Path, str]:
        doc, heading, rows = comment_table(s, actor, now, doc_id)
        scratch = self.scratch()
        self.run(write_comments_pdf, heading, rows, scratch)
        return scratch, f"{_filename(doc.title)} - bảng tổng hợp góp ý.pdf"


# ---- work done in the pool's processes (top-level functions: they travel by name) --------------------------


def deliver(src: str, dst: str, cache_dir: str) -> tuple[int, list[str], list[str]]:
    """Write the sanitised copy; return removals, its page hashes and page texts; cache its page words."""
    removed = sanitize_pdf(Path(src), Path(dst))
    with pymupdf.open(dst, filetype="pdf") as doc:
        hashes = page_hashes(doc)
        texts = []
        for number, page_hash in enumerate(hashes):
            page = doc.load_page(number)
            texts.append(str(page.get_text("text")))
            _write_atomic(Path(cache_dir) / page_hash[:2] / f"{page_hash}.words.json", _words_json(page))
    return removed, hashes, texts


def render_to_cache(ref: PageRef, width: int, fmt: str, target: str) -> bytes:
    from .render import render_page

    data = render_page(ref.pdf, ref.page, width, fmt)
    _write_atomic(Path(target), data)
    return data


def words_to_cache(ref: PageRef, target: str) -> bytes:
    with pymupdf.open(ref.pdf, filetype="pdf") as doc:
        data = _words_json(doc.load_page(ref.page - 1))
    _write_atomic(Path(target), data)
    return data


def reanchor_in_worker(
    pdf: str, anchors: list[anchoring.Anchor], old_hashes: list[str], new_hashes: Sequence[str]
) -> list[anchoring.Outcome]:
    with pymupdf.open(pdf, filetype="pdf") as doc:
        pages = [
            anchoring.NewPage(h, [Word(**w) for w in json.loads(_words_json(doc.load_page(i)))])
            for i, h in enumerate(new_hashes)
        ]
    return anchoring.reanchor_all(anchors, old_hashes, pages)


def write_comments_pdf(heading: list[str], rows: list[list[str]], dst: Path) -> None:
    with pymupdf.open() as doc:
        flow = Flow(doc, load_pair(SERIF))
        flow.line("BẢNG TỔNG HỢP TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý", 13, bold=True, align="center")
        for line in heading:
            flow.paragraph(line, 11, align="center")
        flow.space(6)
        columns = [
            Column("STT", 0.5, "center"),
            Column("Đại biểu", 1.6),
            Column("Vị trí", 1.6),
            Column("Nội dung góp ý", 3.2),
            Column("Tiếp thu, giải trình", 3.2),
        ]
        flow.table(columns, rows or [["", "", "", "(chưa có ý kiến góp ý)", ""]], size=9)
        flow.flush()
        doc.set_metadata({"title": heading[0] if heading else "Bảng tổng hợp", "creator": "Cầu Họp"})
        doc.save(dst, garbage=3, deflate=True)


def _words_json(page: pymupdf.Page) -> bytes:
    """The page's words with boxes in page fractions as displayed — ``render.page_words`` for an open page."""
    to_display = page.rotation_matrix
    width, height = page.rect.width, page.rect.height
    words = []
    for x0, y0, x1, y1, word, *_ in page.get_text("words"):
        box = pymupdf.Rect(x0, y0, x1, y1) * to_display
        words.append(
            {
                "text": word,
                "x0": round(clamp(box.x0 / width), 5),
                "y0": round(clamp(box.y0 / height), 5),
                "x1": round(clamp(box.x1 / width), 5),
                "y1": round(clamp(box.y1 / height), 5),
            }
        )
    return json.dumps(words, ensure_ascii=False, separators=(",", ":")).encode()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temp.write_bytes(data)
    os.replace(temp, path)


# ---- reads with their checks -------------------------------------------------------------------------------


def _access(s: Session, meeting: Meeting, actor: Actor) -> MeetingAccess:
    """The meeting as the permission checks see it, narrowed to the caller (they only ask about them)."""
    roles: dict[int, MeetingRole] = {}
    operators: frozenset[int] = frozenset()
    if actor.person_id is not None:
        role = s.exec(
            select(MeetingParticipant.role).where(
                MeetingParticipant.meeting_id == meeting.id, MeetingParticipant.person_id == actor.person_id
            )
        ).first()
        if role is not None:
            roles[actor.person_id] = MeetingRole(role)
        operates = s.exec(
            select(MeetingBridgePoint.bridge_point_id)
            .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
            .where(MeetingBridgePoint.meeting_id == meeting.id, BridgePoint.operator_id == actor.person_id)
        ).first()
        operators = frozenset({actor.person_id}) if operates is not None else frozenset()
    return MeetingAccess(meeting.host_unit_id, roles, operators)


def _caller(s: Session, actor: Actor, meeting: Meeting) -> Caller:
    # ``manages_unit`` looks at the unit tree only for secretaries: spare everyone else the query.
    tree = queries.unit_tree(s) if actor.role is Role.secretary else UnitTree(())
    return Caller(actor, meeting, _access(s, meeting, actor), tree)


def meeting_caller(s: Session, actor: Actor, meeting_id: int, manage: bool = False) -> Caller:
    """The caller in a meeting they may see (or manage)."""
    caller = _caller(s, actor, queries.get_meeting(s, meeting_id))
    if manage:
        caller.require_manage()
    else:
        require_view_meeting(actor, caller.access, caller.tree)
    return caller


def _document(s: Session, doc_id: int) -> Document:
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"document {doc_id} does not exist")
    return doc


def _readers(s: Session, doc: Document) -> set[int]:
    return set(s.exec(select(DocumentReader.person_id).where(DocumentReader.document_id == doc.id)).all())


def _may_read(s: Session, caller: Caller, doc: Document) -> bool:
    readers = _readers(s, doc) if doc.confidentiality == Confidentiality.named else set()
    return can_read_document(caller.actor, caller.access, caller.tree, doc.confidentiality, readers)


def readable(s: Session, actor: Actor, doc_id: int) -> tuple[Document, Caller]:
    """The document and the caller, if they may read it; a participant who may not gets ``NotFound``."""
    doc = _document(s, doc_id)
    caller = _caller(s, actor, queries.get_meeting(s, doc.meeting_id))
    require_view_meeting(actor, caller.access, caller.tree)
    if not _may_read(s, caller, doc):
        raise NotFound(f"document {doc_id} does not exist")
    return doc, caller


def managed(s: Session, actor: Actor, doc_id: int) -> tuple[Document, Caller]:
    doc, caller = readable(s, actor, doc_id)
    caller.require_manage()
    return doc, caller


def _version(s: Session, doc: Document, number: int | None) -> DocumentVersion:
    wanted = doc.current_version if number is None else number
    version = s.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == doc.id, DocumentVersion.number == wanted)
    ).first()
    if version is None:
        raise NotFound(f"document {doc.id} has no version {wanted}")
    return version


def page_grant(s: Session, blobs: BlobStore, actor: Actor, doc_id: int, version: int | None) -> Grant:
    """The caller's leave to read a version's pages (default: the current version's)."""
    doc, _ = readable(s, actor, doc_id)
    row = _version(s, doc, version)
    return Grant(doc_id, row.number, blobs.path_for(row.sha256), tuple(row.page_hashes), version is not None)


def page_ref(
    s: Session, blobs: BlobStore, actor: Actor, doc_id: int, page: int, version: int | None
) -> PageRef:
    return page_grant(s, blobs, actor, doc_id, version).page(page)


def document_file(s: Session, blobs: BlobStore, actor: Actor, doc_id: int, version: int | None) -> FileRef:
    """The delivered PDF of a version (default: the current one)."""
    doc, _ = readable(s, actor, doc_id)
    row = _version(s, doc, version)
    name = f"{_filename(doc.title)} (v{row.number}).pdf"
    return FileRef(blobs.path_for(row.sha256), row.sha256, name, doc.meeting_id, doc.id, row.number, "")


def record_download(s: Session, actor: Actor, now: datetime, ref: FileRef) -> None:
    s.add(
        AuditEntry(
            at=now,
            user_id=actor.user_id,
            action="download",
            meeting_id=ref.meeting_id,
            document_id=ref.document_id,
            version=ref.version,
            detail=ref.detail,
        )
    )


def _document_out(s: Session, doc: Document, caller: Caller) -> DocumentOut:
    version = _version(s, doc, None)
    assert doc.id is not None
    readers = sorted(_readers(s, doc)) if caller.manages else None
    deadline = from_db(doc.comment_deadline) if doc.comment_deadline else None
    return DocumentOut(
        id=doc.id,
        meeting_id=doc.meeting_id,
        agenda_item_id=doc.agenda_item_id,
        position=doc.position,
        title=doc.title,
        confidentiality=Confidentiality(doc.confidentiality),
        readers=readers,
        current_version=doc.current_version,
        pages=version.pages,
        sha256=version.sha256,
        comment_deadline=deadline,
    )


def open_document(s: Session, actor: Actor, now: datetime, doc_id: int) -> DocumentDetail:
    """The document with every version (written to the audit log as an ``open``)."""
    doc, caller = readable(s, actor, doc_id)
    versions = s.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == doc.id)
        .order_by(col(DocumentVersion.number))
    ).all()
    _audit(s, actor, now, "open", doc, doc.current_version)
    return DocumentDetail(
        **_document_out(s, doc, caller).model_dump(),
        versions=[
            VersionOut(
                number=v.number,
                sha256=v.sha256,
                original_sha256=v.original_sha256,
                pages=v.pages,
                title=v.title,
                size=v.size,
                removed_active=v.removed_active,
                page_hashes=v.page_hashes,
                uploaded_by_id=v.uploaded_by_id,
                uploaded_at=from_db(v.uploaded_at),
            )
            for v in versions
        ],
    )


def list_documents(s: Session, actor: Actor, meeting_id: int) -> list[DocumentOut]:
    """The meeting's documents the caller may read, in agenda order."""
    caller = meeting_caller(s, actor, meeting_id)
    return [_document_out(s, d, caller) for d in _meeting_documents(s, meeting_id) if _may_read(s, caller, d)]


def _meeting_documents(s: Session, meeting_id: int) -> list[Document]:
    rows = s.exec(
        select(Document, AgendaItem.position)
        .outerjoin(AgendaItem, col(AgendaItem.id) == Document.agenda_item_id)
        .where(Document.meeting_id == meeting_id, Document.current_version > 0)
    ).all()
    return [d for d, _ in sorted(rows, key=lambda r: (r[1] is None, r[1] or 0, r[0].position, r[0].id or 0))]


def update_document(
    s: Session, actor: Actor, now: datetime, doc_id: int, patch: DocumentPatch
) -> DocumentOut:
    doc, caller = managed(s, actor, doc_id)
    meeting = eventlog.lock_meeting(s, doc.meeting_id)
    fields = patch.model_fields_set
    if "agenda_item_id" in fields:
        doc.agenda_item_id = (
            _agenda_item(s, meeting, patch.agenda_item_id).id if patch.agenda_item_id else None
        )
    if patch.title is not None:
        doc.title = patch.title
    if patch.position is not None:
        doc.position = patch.position
    if patch.confidentiality is not None:
        doc.confidentiality = patch.confidentiality
    if patch.readers is not None:
        _set_readers(s, meeting, doc, patch.readers)
    if doc.confidentiality == Confidentiality.named and not _readers(s, doc):
        raise Invalid("name at least one reader for a 'named' document", [])
    if patch.close_comments:
        doc.comment_deadline = None
    elif patch.comment_deadline is not None:
        doc.comment_deadline = to_db(patch.comment_deadline)
    doc.updated_at = now
    s.add(doc)
    s.flush()
    _event(s, caller, doc, "document.changed", {"comment_deadline": doc.comment_deadline}, now)
    return _document_out(s, doc, caller)


def audit_log(s: Session, actor: Actor, doc_id: int, limit: int = 500) -> list[AuditOut]:
    managed(s, actor, doc_id)
    rows = s.exec(
        select(AuditEntry, User.username)
        .outerjoin(User, col(User.id) == AuditEntry.user_id)
        .where(AuditEntry.document_id == doc_id)
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    ).all()
    return [
        AuditOut(
            at=from_db(e.at),
            user_id=e.user_id,
            username=name,
            action=e.action,
            document_id=e.document_id,
            version=e.version,
            detail=e.detail,
        )
        for e, name in rows
    ]


# ---- ingest: checks and rows -------------------------------------------------------------------------------


def check_upload_target(s: Session, actor: Actor, meeting_id: int | None, doc_id: int | None) -> None:
    """Before reading an upload's body: may the caller upload there at all?"""
    if doc_id is not None:
        managed(s, actor, doc_id)
    elif meeting_id is not None:
        meeting_caller(s, actor, meeting_id, manage=True)


def _check_upload(s: Session, actor: Actor, upload: Upload) -> None:
    """Everything about an upload except the file itself (so a bad form costs no PDF work)."""
    doc, meeting_id = _target(s, upload)
    meeting = queries.get_meeting(s, meeting_id)
    _caller(s, actor, meeting).require_manage()
    if doc is None:
        _check_new_document(s, meeting, upload.form)


def _target(s: Session, upload: Upload) -> tuple[Document | None, int]:
    if upload.document_id is not None:
        doc = _document(s, upload.document_id)
        return doc, doc.meeting_id
    assert upload.meeting_id is not None
    return None, upload.meeting_id


def _check_new_document(s: Session, meeting: Meeting, form: UploadForm) -> AgendaItem:
    if form.agenda_item_id is None:
        raise Invalid("say which agenda item the document belongs to (agenda_item_id)", [])
    item = _agenda_item(s, meeting, form.agenda_item_id)
    if form.confidentiality == Confidentiality.named:
        if not form.readers:
            raise Invalid("name at least one reader (readers) for a 'named' document", [])
        _check_participants(s, meeting, form.readers)
    return item


def _new_document(s: Session, caller: Caller, now: datetime, form: UploadForm, title: str) -> Document:
    item = _check_new_document(s, caller.meeting, form)
    count = s.exec(select(func.count()).where(Document.agenda_item_id == item.id)).one()
    doc = Document(
        meeting_id=caller.meeting.id or 0,
        agenda_item_id=item.id,
        position=int(count),
        title=title,
        confidentiality=form.confidentiality or Confidentiality.all_participants,
        created_by_id=caller.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    s.add(doc)
    s.flush()
    for person_id in sorted(set(form.readers)):
        s.add(DocumentReader(document_id=doc.id or 0, person_id=person_id))
    return doc


def _add_version(
    s: Session, actor: Actor, now: datetime, doc: Document, prepared: Prepared, title: str
) -> DocumentVersion:
    version = DocumentVersion(
        document_id=doc.id or 0,
        number=doc.current_version + 1,
        original_sha256=prepared.original.sha256,
        sha256=prepared.delivered.sha256,
        pages=prepared.info.pages,
        title=title,
        page_hashes=list(prepared.page_hashes),
        page_sizes=[list(size) for size in prepared.info.page_sizes],
        size=prepared.delivered.size,
        original_size=prepared.original.size,
        removed_active=prepared.removed,
        repaired=prepared.info.repaired,
        uploaded_by_id=actor.user_id,
        uploaded_at=now,
    )
    s.add(version)
    s.flush()
    for number, page_text in enumerate(prepared.texts, start=1):
        s.add(
            DocumentPageText(
                version_id=version.id or 0,
                document_id=doc.id or 0,
                page=number,
                text=page_text,
                folded=textsearch.fold(page_text),
            )
        )
    doc.current_version = version.number
    doc.updated_at = now
    s.add(doc)
    return version


def _changed_pages(old: Sequence[str], new: Sequence[str]) -> list[int]:
    return [n for n, h in enumerate(new, start=1) if n > len(old) or old[n - 1] != h]


def _check_participants(s: Session, meeting: Meeting, person_ids: Iterable[int]) -> None:
    wanted = set(person_ids)
    found = set(
        s.exec(
            select(MeetingParticipant.person_id).where(
                MeetingParticipant.meeting_id == meeting.id, col(MeetingParticipant.person_id).in_(wanted)
            )
        ).all()
    )
    missing = sorted(wanted - found)
    if missing:
        raise Invalid(f"not participants of this meeting: {', '.join(map(str, missing))}", [])


def _set_readers(s: Session, meeting: Meeting, doc: Document, person_ids: list[int]) -> None:
    _check_participants(s, meeting, person_ids)
    for old in s.exec(select(DocumentReader).where(DocumentReader.document_id == doc.id)).all():
        s.delete(old)
    s.flush()
    for person_id in sorted(set(person_ids)):
        s.add(DocumentReader(document_id=doc.id or 0, person_id=person_id))
    s.flush()


# ---- events and the audit log ------------------------------------------------------------------------------


def _event(
    s: Session, caller: Caller, doc: Document, kind: str, extra: dict[str, Any], now: datetime
) -> None:
    """A document event. Everyone on the meeting's socket sees it: a restricted document's title, pages and
    marks stay out of it (its readers fetch them, with their permission checked)."""
    payload: dict[str, Any] = {"document_id": doc.id, "confidentiality": doc.confidentiality}
    if doc.confidentiality == Confidentiality.all_participants:
        payload |= {"title": doc.title, "agenda_item_id": doc.agenda_item_id, **extra}
        if "version" in extra:
            version = _version(s, doc, None)
            payload["page_hashes"] = version.page_hashes
    elif "version" in extra:
        payload["version"] = extra["version"]
    eventlog.append(s, caller.meeting, kind, payload, actor_id=caller.actor.user_id, at=now)


def _audit(
    s: Session, actor: Actor, now: datetime, action: str, doc: Document, version: int | None, detail: str = ""
) -> None:
    s.add(
        AuditEntry(
            at=now,
            user_id=actor.user_id,
            action=action,
            meeting_id=doc.meeting_id,
            document_id=doc.id,
            version=version,
            detail=detail[:500],
        )
    )


def _audit_meeting(
    s: Session, actor: Actor, now: datetime, action: str, meeting_id: int, detail: str
) -> None:
    s.add(
        AuditEntry(at=now, user_id=actor.user_id, action=action, meeting_id=meeting_id, detail=detail[:500])
    )


# ---- agenda ------------------------------------------------------------------------------------------------


def _agenda_item(s: Session, meeting: Meeting, item_id: int) -> AgendaItem:
    item = s.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(f"agenda item {item_id} is not on this meeting's agenda")
    return item


def _items(s: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        s.exec(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
        ).all()
    )


def agenda(s: Session, actor: Actor, meeting_id: int) -> list[AgendaItemOut]:
    """The agenda with the documents the caller may read under each item."""
    caller = meeting_caller(s, actor, meeting_id)
    docs: dict[int | None, list[DocumentBrief]] = {}
    for doc in _meeting_documents(s, meeting_id):
        if _may_read(s, caller, doc):
            version = _version(s, doc, None)
            brief = DocumentBrief(
                id=doc.id or 0,
                title=doc.title,
                confidentiality=Confidentiality(doc.confidentiality),
                version=version.number,
                pages=version.pages,
            )
            docs.setdefault(doc.agenda_item_id, []).append(brief)
    return [_item_out(i, docs.get(i.id, [])) for i in _items(s, meeting_id)]


def _item_out(item: AgendaItem, docs: list[DocumentBrief]) -> AgendaItemOut:
    return AgendaItemOut(
        id=item.id or 0,
        meeting_id=item.meeting_id,
        position=item.position,
        title=item.title,
        presenter=item.presenter,
        presenter_person_id=item.presenter_person_id,
        time_box_minutes=item.time_box_minutes,
        documents=docs,
    )


def _agenda_changed(s: Session, caller: Caller, now: datetime) -> None:
    items = [
        {"id": i.id, "position": i.position, "title": i.title, "presenter": i.presenter,
         "time_box_minutes": i.time_box_minutes}
        for i in _items(s, caller.meeting.id or 0)
    ]  # fmt: skip
    eventlog.append(
        s, caller.meeting, "agenda.changed", {"items": items}, actor_id=caller.actor.user_id, at=now
    )


def _renumber(s: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            s.add(item)
    s.flush()


def _agenda_writer(s: Session, actor: Actor, meeting_id: int) -> Caller:
    meeting = eventlog.lock_meeting(s, meeting_id)
    caller = _caller(s, actor, meeting)
    caller.require_manage()
    return caller


def _check_presenter(s: Session, caller: Caller, person_id: int | None) -> None:
    if person_id is not None:
        _check_participants(s, caller.meeting, [person_id])


def add_item(s: Session, actor: Actor, now: datetime, meeting_id: int, data: AgendaItemIn) -> AgendaItemOut:
    caller = _agenda_writer(s, actor, meeting_id)
    _check_presenter(s, caller, data.presenter_person_id)
    items = _items(s, meeting_id)
    item = AgendaItem(
        meeting_id=meeting_id,
        position=0,
        title=data.title,
        presenter=data.presenter,
        presenter_person_id=data.presenter_person_id,
        time_box_minutes=data.time_box_minutes,
    )
    s.add(item)
    at = len(items) if data.position is None else min(data.position - 1, len(items))
    items.insert(at, item)
    _renumber(s, items)
    _agenda_changed(s, caller, now)
    return _item_out(item, [])


def edit_item(
    s: Session, actor: Actor, now: datetime, meeting_id: int, item_id: int, data: AgendaItemPatch
) -> AgendaItemOut:
    caller = _agenda_writer(s, actor, meeting_id)
    item = _agenda_item(s, caller.meeting, item_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in {"title", "presenter"}:
            raise Invalid(f"{name} cannot be null", [])
        if name == "presenter_person_id":
            _check_presenter(s, caller, value)
        setattr(item, name, value)
    s.add(item)
    s.flush()
    _agenda_changed(s, caller, now)
    return next(i for i in agenda(s, actor, meeting_id) if i.id == item_id)


def remove_item(s: Session, actor: Actor, now: datetime, meeting_id: int, item_id: int) -> None:
    caller = _agenda_writer(s, actor, meeting_id)
    item = _agenda_item(s, caller.meeting, item_id)
    if s.exec(select(Document.id).where(Document.agenda_item_id == item_id)).first() is not None:
        raise Conflict("this agenda item has documents: move them to another item first")
    s.delete(item)
    s.flush()
    _renumber(s, _items(s, meeting_id))
    _agenda_changed(s, caller, now)


def reorder(
    s: Session, actor: Actor, now: datetime, meeting_id: int, item_ids: list[int]
) -> list[AgendaItemOut]:
    caller = _agenda_writer(s, actor, meeting_id)
    items = {i.id or 0: i for i in _items(s, meeting_id)}
    if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
        raise Invalid("send every agenda item of the meeting exactly once", [])
    _renumber(s, [items[i] for i in item_ids])
    _agenda_changed(s, caller, now)
    return agenda(s, actor, meeting_id)


# ---- packets -----------------------------------------------------------------------------------------------


def _packet_spec(s: Session, blobs: BlobStore, meeting: Meeting) -> packet.PacketSpec:
    """What the packet shows: the agenda with the documents every participant may read."""
    assert meeting.id is not None
    docs: dict[int | None, list[packet.PacketDoc]] = {}
    for doc in _meeting_documents(s, meeting.id):
        if doc.confidentiality == Confidentiality.all_participants:
            path = blobs.path_for(_version(s, doc, None).sha256)
            docs.setdefault(doc.agenda_item_id, []).append(packet.PacketDoc(doc.title, path))
    host = s.get(Unit, meeting.host_unit_id)
    start = from_db(meeting.start_at).astimezone(LOCAL_TZ)
    return packet.PacketSpec(
        meeting_title=meeting.title,
        body=meeting.body,
        host=host.name if host else "",
        start_local=f"{start:%H:%M} ngày {start:%d/%m/%Y}",
        bridge_points=len(queries.meeting_bridge_point_ids(s, meeting.id)),
        items=[packet.PacketItem(i.title, i.presenter, docs.get(i.id, [])) for i in _items(s, meeting.id)],
    )


def _spec_key(spec: packet.PacketSpec) -> str:
    facts = [spec.meeting_title, spec.body, spec.host, spec.start_local, spec.bridge_points]
    items = [[i.title, i.presenter, [[d.title, d.path.name] for d in i.documents]] for i in spec.items]
    return hashlib.sha256(json.dumps([facts, items], ensure_ascii=False).encode()).hexdigest()


def _latest_packet(s: Session, meeting_id: int) -> Packet | None:
    return s.exec(
        select(Packet).where(Packet.meeting_id == meeting_id).order_by(col(Packet.id).desc()).limit(1)
    ).first()


def _packet_copy(s: Session, packet_sha: str, person_id: int) -> PacketCopy | None:
    return s.exec(
        select(PacketCopy).where(PacketCopy.packet_sha256 == packet_sha, PacketCopy.person_id == person_id)
    ).first()


def packet_info(s: Session, actor: Actor, meeting_id: int) -> PacketOut:
    """What the published packet is (pages, size, contents, when), without fetching or auditing the file."""
    meeting_caller(s, actor, meeting_id)
    latest = _latest_packet(s, meeting_id)
    if latest is None:
        raise NotFound("no packet has been compiled for this meeting yet")
    return _packet_out(latest, reused=False)


def _packet_out(row: Packet, reused: bool) -> PacketOut:
    return PacketOut(
        id=row.id or 0,
        meeting_id=row.meeting_id,
        sha256=row.sha256,
        pages=row.pages,
        size=row.size,
        compiled_at=from_db(row.compiled_at),
        contents=row.contents,
        reused=reused,
    )


# ---- annotations -------------------------------------------------------------------------------------------


def _annotations_on(s: Session, version: DocumentVersion) -> list[Annotation]:
    return list(
        s.exec(
            select(Annotation).where(Annotation.version_id == version.id).order_by(col(Annotation.id))
        ).all()
    )


def _anchor_of(mark: Annotation) -> anchoring.Anchor:
    rects: tuple[Any, ...] = ()
    if mark.kind == AnnotationKind.highlight:
        rects = tuple(tuple(r) for r in mark.data.get("rects", []))
    return anchoring.Anchor(
        page=mark.page,
        quote=mark.anchor.get("quote", ""),
        prefix=mark.anchor.get("prefix", ""),
        suffix=mark.anchor.get("suffix", ""),
        rects=rects,
    )


def _place(mark: Annotation, outcome: anchoring.Outcome, version: DocumentVersion, now: datetime) -> None:
    """Move an annotation onto ``version`` where re-anchoring found it; an orphan keeps its data, flagged."""
    if isinstance(outcome, anchoring.Reanchored):
        same = outcome.page == mark.page and outcome.how in {"same_page", "text", "folded_text"}
        mark.status, mark.status_detail = (AnchorStatus.ok if same else AnchorStatus.moved), ""
        if outcome.rects and mark.kind == AnnotationKind.highlight:
            mark.data = {**mark.data, "rects": [list(r) for r in outcome.rects]}
        elif outcome.rects and mark.kind == AnnotationKind.note and mark.anchor.get("quote"):
            mark.data = {**mark.data, "at": [outcome.rects[0][0], outcome.rects[0][1]]}
        mark.page = outcome.page
    else:
        mark.status, mark.status_detail, mark.page = AnchorStatus.orphaned, outcome.reason, outcome.last_page
    mark.version_id = version.id or 0
    mark.updated_at = now


def _sees(caller: Caller, mark: Annotation) -> bool:
    return mark.visibility == Visibility.shared or mark.author_id == caller.actor.person_id


def _may_share(s: Session, caller: Caller, doc: Document) -> bool:
    if caller.manages:
        return True
    item = s.get(AgendaItem, doc.agenda_item_id) if doc.agenda_item_id else None
    return (
        item is not None
        and item.presenter_person_id is not None
        and item.presenter_person_id == caller.actor.person_id
    )


def _annotation_out(mark: Annotation, version: int) -> AnnotationOut:
    return AnnotationOut(
        id=mark.id or 0,
        document_id=mark.document_id,
        version=version,
        page=mark.page,
        author_id=mark.author_id,
        visibility=Visibility(mark.visibility),
        kind=AnnotationKind(mark.kind),
        data=mark.data,
        anchor=mark.anchor,
        status=AnchorStatus(mark.status),
        status_detail=mark.status_detail,
        created_at=from_db(mark.created_at),
        updated_at=from_db(mark.updated_at),
    )


def list_annotations(s: Session, actor: Actor, doc_id: int, version: int | None) -> list[AnnotationOut]:
    """The caller's own annotations and the shared ones, on the given (default: current) version."""
    doc, caller = readable(s, actor, doc_id)
    row = _version(s, doc, version)
    return [_annotation_out(a, row.number) for a in _annotations_on(s, row) if _sees(caller, a)]


def quote_under(words: list[dict[str, Any]], rects: list[tuple[float, ...]], context: int = 6) -> AnchorIn:
    """The text a highlight covers (words whose centre is inside a rectangle) with a few words around it."""
    inside = [
        i
        for i, w in enumerate(words)
        if any(
            r[0] <= (w["x0"] + w["x1"]) / 2 <= r[2] and r[1] <= (w["y0"] + w["y1"]) / 2 <= r[3] for r in rects
        )
    ]
    if not inside:
        return AnchorIn()
    first, last = inside[0], inside[-1]
    text_of = lambda ws: " ".join(w["text"] for w in ws)  # noqa: E731
    return AnchorIn(
        quote=text_of(words[first : last + 1])[:2000],
        prefix=text_of(words[max(0, first - context) : first])[-200:],
        suffix=text_of(words[last + 1 : last + 1 + context])[:200],
    )


def replace_anchor(data: Any, anchor: AnchorIn | None) -> Any:
    return data.model_copy(update={"anchor": anchor})


def _sent_before(s: Session, author: int, doc_id: int, key: str | None) -> AnnotationOut | None:
    """The annotation an earlier create with this client key made (a replay: nothing new is added)."""
    if not key:
        return None
    query = select(Annotation).where(Annotation.author_id == author, Annotation.client_key == key)
    mark = s.exec(query).first()
    if mark is None:
        return None
    if mark.document_id != doc_id:
        raise Conflict(f"the client key {key!r} was already used for an annotation on another document")
    version = s.get(DocumentVersion, mark.version_id)
    return _annotation_out(mark, version.number if version else 0)


def add_annotation(s: Session, actor: Actor, now: datetime, doc_id: int, data: Any) -> AnnotationOut:
    """A new annotation; sent again with the same ``client_key``, the one made the first time."""
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    if (sent := _sent_before(s, author, doc_id, data.client_key)) is not None:
        return sent
    row = _version(s, doc, data.version)
    if data.page > row.pages:
        raise Invalid(f"page {data.page} does not exist; version {row.number} has {row.pages} pages", [])
    if data.visibility == Visibility.shared and not _may_share(s, caller, doc):
        raise Forbidden("only the chair, the secretary or the item's presenter may share annotations")
    mark = Annotation(
        document_id=doc_id,
        version_id=row.id or 0,
        page=data.page,
        author_id=author,
        visibility=data.visibility,
        kind=data.kind,
        data=data.data.model_dump(mode="json"),
        anchor=(data.anchor or AnchorIn()).model_dump(),
        client_key=data.client_key,
        created_at=now,
        updated_at=now,
    )
    try:
        with s.begin_nested():
            s.add(mark)
            s.flush()
    except IntegrityError:  # the same key sent twice at once: the other request made it
        if (sent := _sent_before(s, author, doc_id, data.client_key)) is not None:
            return sent
        raise
    _annotation_changed(s, caller, doc, mark, "annotation.added", now)
    _audit(s, actor, now, "annotate", doc, row.number, f"add {mark.kind} {mark.id} ({mark.visibility})")
    return _annotation_out(mark, row.number)


def _annotation_changed(
    s: Session, caller: Caller, doc: Document, mark: Annotation, kind: str, now: datetime
) -> None:
    """Shared annotations appear live: an event (private ones stay private)."""
    if mark.visibility != Visibility.shared:
        return
    detail: dict[str, Any] = {"annotation_id": mark.id, "page": mark.page, "kind": mark.kind}
    if kind != "annotation.removed":
        detail |= {"data": mark.data, "anchor": mark.anchor}
    _event(s, caller, doc, kind, detail, now)


def _own_annotation(
    s: Session, actor: Actor, doc_id: int, annotation_id: int
) -> tuple[Document, Caller, Annotation]:
    doc, caller = readable(s, actor, doc_id)
    mark = s.get(Annotation, annotation_id)
    if mark is None or mark.document_id != doc_id or not _sees(caller, mark):
        raise NotFound(f"annotation {annotation_id} does not exist")
    if mark.author_id != actor.person_id and not (mark.visibility == Visibility.shared and caller.manages):
        raise Forbidden("only its author may change an annotation")
    return doc, caller, mark


def edit_annotation(
    s: Session, actor: Actor, now: datetime, doc_id: int, annotation_id: int, patch: AnnotationPatch
) -> AnnotationOut:
    doc, caller, mark = _own_annotation(s, actor, doc_id, annotation_id)
    was_shared = mark.visibility == Visibility.shared
    if patch.data is not None:
        try:
            mark.data = KIND_DATA[mark.kind].model_validate(patch.data).model_dump(mode="json")
        except ValidationError as exc:
            raise _invalid(exc, ("body", "data")) from None
    if patch.anchor is not None:
        mark.anchor = patch.anchor.model_dump()
    if patch.visibility is not None:
        if patch.visibility == Visibility.shared and not _may_share(s, caller, doc):
            raise Forbidden("only the chair, the secretary or the item's presenter may share annotations")
        mark.visibility = patch.visibility
    mark.updated_at = now
    s.add(mark)
    s.flush()
    if was_shared and mark.visibility != Visibility.shared:
        _event(s, caller, doc, "annotation.removed", {"annotation_id": mark.id}, now)
    else:
        _annotation_changed(
            s, caller, doc, mark, "annotation.changed" if was_shared else "annotation.added", now
        )
    version = s.get(DocumentVersion, mark.version_id)
    _audit(s, actor, now, "annotate", doc, version.number if version else None, f"edit {mark.id}")
    return _annotation_out(mark, version.number if version else 0)


def delete_annotation(s: Session, actor: Actor, now: datetime, doc_id: int, annotation_id: int) -> None:
    doc, caller, mark = _own_annotation(s, actor, doc_id, annotation_id)
    _annotation_changed(s, caller, doc, mark, "annotation.removed", now)
    _audit(s, actor, now, "annotate", doc, None, f"delete {mark.kind} {mark.id}")
    s.delete(mark)


def _exported(mark: Annotation, author: str) -> annotations_pdf.Annotation:
    """As a PDF annotation; an orphan becomes a note on its last page, quoting the text it marked."""
    if mark.status == AnchorStatus.orphaned:
        quote = mark.anchor.get("quote", "")
        body = mark.data.get("text", "")
        text = f"[Không còn vị trí trong bản mới] {quote}{': ' if quote and body else ''}{body}".strip()
        return annotations_pdf.Note(mark.page, (0.02, 0.02), text, author=author, id=f"cauhop-{mark.id}")
    fields = {"kind": mark.kind, "page": mark.page, **mark.data, "author": author, "id": f"cauhop-{mark.id}"}
    return annotations_pdf.from_dict(fields)


def merge_imported(
    s: Session, actor: Actor, now: datetime, doc_id: int, found: list[dict[str, Any]]
) -> ImportOut:
    """Keep imported annotations as the caller's private ones; ours (``cauhop-N``) are updated in place."""
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    version = _version(s, doc, None)
    counts = {"imported": 0, "updated": 0, "skipped": 0}
    for item in found:
        model = KIND_DATA.get(item.get("kind", ""))
        if model is None or not 1 <= int(item.get("page", 0)) <= version.pages:
            counts["skipped"] += 1
            continue
        fields = {k: v for k, v in item.items() if k in model.model_fields}
        if item["kind"] == AnnotationKind.note and not fields.get("text"):
            fields["text"] = "(ghi chú)"
        try:
            data = model.model_validate(fields).model_dump(mode="json")
        except ValidationError:
            counts["skipped"] += 1
            continue
        mark = _imported_target(s, item.get("id", ""), doc_id, author, now)
        if mark.id and mark.kind != item["kind"]:  # an orphan exported as a note: keep the original
            counts["skipped"] += 1
            continue
        counts["updated" if mark.id else "imported"] += 1
        mark.kind, mark.page, mark.data, mark.version_id = (
            item["kind"],
            int(item["page"]),
            data,
            version.id or 0,
        )
        mark.status, mark.status_detail, mark.updated_at = AnchorStatus.ok, "", now
        s.add(mark)
    s.flush()
    _audit(s, actor, now, "annotate", doc, version.number, f"import {counts}")
    return ImportOut(**counts)


def _imported_target(s: Session, pdf_id: str, doc_id: int, author: int, now: datetime) -> Annotation:
    found = re.fullmatch(r"cauhop-(\d+)", pdf_id or "")
    if found:
        mark = s.get(Annotation, int(found.group(1)))
        if mark is not None and mark.document_id == doc_id and mark.author_id == author:
            return mark
    return Annotation(
        document_id=doc_id,
        version_id=0,
        page=1,
        author_id=author,
        visibility=Visibility.private,
        kind="note",
        data={},
        anchor={},
        created_at=now,
        updated_at=now,
    )


# ---- comments (góp ý) --------------------------------------------------------------------------------------


def add_comment(s: Session, actor: Actor, now: datetime, doc_id: int, data: CommentIn) -> CommentOut:
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    if doc.comment_deadline is None:
        raise Conflict("comments are not open on this document (the secretary sets a deadline)")
    deadline = from_db(doc.comment_deadline)
    if from_db(now) > deadline:
        raise Conflict(f"the deadline for comments was {deadline.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}")
    version = _version(s, doc, data.version)
    if data.page > version.pages:
        raise Invalid(
            f"page {data.page} does not exist; version {version.number} has {version.pages} pages", []
        )
    anchor = {"page": data.page, "quote": data.quote, "prefix": data.prefix, "suffix": data.suffix,
              "rects": [list(r) for r in data.rects]}  # fmt: skip
    comment = Comment(
        document_id=doc_id, version_id=version.id or 0, author_id=author, anchor=anchor, text=data.text,
        created_at=now,
    )  # fmt: skip
    s.add(comment)
    s.flush()
    _event(s, caller, doc, "comment.added", {"comment_id": comment.id}, now)
    _audit(s, actor, now, "comment", doc, version.number, f"comment {comment.id}")
    return _comment_out(s, comment)


def _comment_out(s: Session, c: Comment) -> CommentOut:
    version = s.get(DocumentVersion, c.version_id)
    return CommentOut(
        id=c.id or 0,
        document_id=c.document_id,
        version=version.number if version else 0,
        author_id=c.author_id,
        author_name=_names(s, {c.author_id}).get(c.author_id, ""),
        anchor=c.anchor,
        text=c.text,
        created_at=from_db(c.created_at),
        handling=Handling(c.handling) if c.handling else None,
        answer=c.answer,
        handled_at=from_db(c.handled_at) if c.handled_at else None,
    )


def _comments(s: Session, caller: Caller, doc: Document) -> list[Comment]:
    query = select(Comment).where(Comment.document_id == doc.id)
    if not caller.manages:
        query = query.where(Comment.author_id == (caller.actor.person_id or 0))
    rows = s.exec(query.order_by(col(Comment.id))).all()
    return sorted(rows, key=lambda c: (c.anchor.get("page", 0), c.id or 0))


def list_comments(s: Session, actor: Actor, doc_id: int) -> list[CommentOut]:
    """All comments for those who manage the meeting; one's own for everyone else."""
    doc, caller = readable(s, actor, doc_id)
    return [_comment_out(s, c) for c in _comments(s, caller, doc)]


def handle_comment(
    s: Session, actor: Actor, now: datetime, doc_id: int, comment_id: int, data: HandlingIn
) -> CommentOut:
    doc, caller = managed(s, actor, doc_id)
    comment = s.get(Comment, comment_id)
    if comment is None or comment.document_id != doc_id:
        raise NotFound(f"comment {comment_id} does not exist")
    comment.handling, comment.answer = data.handling, data.answer
    comment.handled_by_id, comment.handled_at = actor.user_id, now
    s.add(comment)
    s.flush()
    _event(s, caller, doc, "comment.handled", {"comment_id": comment.id, "handling": data.handling}, now)
    _audit(s, actor, now, "handle", doc, None, f"comment {comment.id}: {data.handling}")
    return _comment_out(s, comment)


def comment_table(
    s: Session, actor: Actor, now: datetime, doc_id: int
) -> tuple[Document, list[str], list[list[str]]]:
    """The summary table (bảng tổng hợp tiếp thu, giải trình): a heading and one row per comment."""
    doc, caller = managed(s, actor, doc_id)
    meeting = caller.meeting
    comments = _comments(s, caller, doc)
    names = _names(s, {c.author_id for c in comments})
    rows = []
    for number, c in enumerate(comments, start=1):
        where = f"Trang {c.anchor.get('page', '')}"
        if c.anchor.get("quote"):
            where += f": “{c.anchor['quote']}”"
        handled = HANDLING_VI.get(c.handling or "", "Chưa xử lý")
        rows.append([str(number), names.get(c.author_id, ""), where, c.text,
                     f"{handled}{'. ' + c.answer if c.answer else ''}"])  # fmt: skip
    heading = [f"Dự thảo: {doc.title}", f"{meeting.title}"]
    _audit(s, actor, now, "download", doc, None, "comments table")
    return doc, heading, rows


def comments_csv(s: Session, actor: Actor, now: datetime, doc_id: int) -> tuple[bytes, str]:
    doc, heading, rows = comment_table(s, actor, now, doc_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Đại biểu", "Vị trí", "Nội dung góp ý", "Tiếp thu, giải trình"])
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode(), f"{_filename(doc.title)} - bảng tổng hợp góp ý.csv"


# ---- search ------------------------------------------------------------------------------------------------


def _tokens(query: str) -> list[str]:
    tokens = re.findall(r"\w+", textsearch.fold(query))
    if not tokens:
        raise Invalid("search for at least one word", [])
    return tokens[:20]


def _visible_meetings(s: Session, actor: Actor) -> list[int] | None:
    """Meetings the caller may see, as a query (``None``: all). Only narrows the search: each hit is still
    checked by ``can_read_document``."""
    if actor.role is Role.admin:
        return None
    ids: set[int] = set()
    if actor.person_id is not None:
        ids |= set(
            s.exec(
                select(MeetingParticipant.meeting_id).where(MeetingParticipant.person_id == actor.person_id)
            ).all()
        )
        ids |= set(
            s.exec(
                select(MeetingBridgePoint.meeting_id)
                .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
                .where(BridgePoint.operator_id == actor.person_id)
            ).all()
        )
    if actor.role is Role.secretary and actor.unit_id is not None:
        units = list(queries.unit_tree(s).subtree(actor.unit_id))
        ids |= set(s.exec(select(Meeting.id).where(col(Meeting.host_unit_id).in_(units))).all())  # type: ignore[arg-type]
    return sorted(ids)


SQLITE_SEARCH = """
SELECT t.id, t.document_id, t.page, t.text, v.number
FROM document_page_fts f
JOIN document_page_text t ON t.id = f.rowid
JOIN document_version v ON v.id = t.version_id
JOIN document d ON d.id = t.document_id AND d.current_version = v.number
WHERE document_page_fts MATCH :q {meetings}
ORDER BY f.rank, t.document_id, t.page
LIMIT :n
"""
PG_SEARCH = """
SELECT t.id, t.document_id, t.page, t.text, v.number
FROM document_page_text t
JOIN document_version v ON v.id = t.version_id
JOIN document d ON d.id = t.document_id AND d.current_version = v.number
WHERE to_tsvector('simple', t.folded) @@ phraseto_tsquery('simple', :q) {meetings}
ORDER BY ts_rank(to_tsvector('simple', t.folded), phraseto_tsquery('simple', :q)) DESC, t.document_id, t.page
LIMIT :n
"""


def search(
    s: Session, actor: Actor, query: str, limit: int, meeting_id: int | None = None
) -> list[SearchHit]:
    """Pages of the current versions the caller may read that hold the words of ``query`` in a row,
    accents and case ignored (SQLite FTS5, or PostgreSQL full-text search, over folded text)."""
    tokens = _tokens(query)
    meetings = (
        [meeting_caller(s, actor, meeting_id).meeting.id or 0] if meeting_id else _visible_meetings(s, actor)
    )
    if meetings == []:
        return []
    postgres = s.get_bind().dialect.name == "postgresql"
    where = "AND d.meeting_id IN :meetings" if meetings is not None else ""
    sql = text((PG_SEARCH if postgres else SQLITE_SEARCH).format(meetings=where))
    params: dict[str, Any] = {
        "q": " ".join(tokens) if postgres else '"' + " ".join(tokens) + '"',
        "n": limit * 5,
    }
    if meetings is not None:
        sql = sql.bindparams(bindparam("meetings", expanding=True))
        params["meetings"] = meetings
    hits: list[SearchHit] = []
    allowed: dict[int, Document | None] = {}
    for _, doc_id, page, page_text, number in s.connection().execute(sql, params):
        if doc_id not in allowed:
            allowed[doc_id] = _readable_or_none(s, actor, doc_id)
        doc = allowed[doc_id]
        if doc is None:
            continue
        cut = textsearch.snippet(page_text, " ".join(tokens)) or textsearch.snippet(page_text, tokens[0])
        snippet = cut or textsearch.Snippet(" ".join(page_text.split())[:80], 0, 0)
        hit = SearchHit(document_id=doc_id, meeting_id=doc.meeting_id, title=doc.title, version=number,
                        page=page, snippet=snippet.text, match=(snippet.start, snippet.end))  # fmt: skip
        hits.append(hit)
        if len(hits) >= limit:
            break
    return hits


def _readable_or_none(s: Session, actor: Actor, doc_id: int) -> Document | None:
    try:
        return readable(s, actor, doc_id)[0]
    except (NotFound, Forbidden):
        return None


# ---- small helpers -----------------------------------------------------------------------------------------


def _names(s: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = s.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(person_ids))).all()
    return {pid: name for pid, name in rows if pid is not None}


def _filename(title: str) -> str:
    return re.sub(r'[\\/:*?"<>|\r\n]+', " ", title).strip()[:120] or "tai-lieu"


def _invalid(exc: ValidationError, prefix: tuple[str, ...]) -> Invalid:
    errors = [FieldError(prefix + tuple(e["loc"]), e["msg"]) for e in exc.errors()]
    where = ".".join(str(p) for p in errors[0].loc)
    return Invalid(f"invalid {where}: {errors[0].msg}", errors)


def parse_form(fields: Mapping[str, str], model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise _invalid(exc, ("body",)) from None
