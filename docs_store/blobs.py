"""Content-addressed file storage: a file is kept once, at a path named by its SHA-256.

Layout: ``root/ab/abcdef…`` (the first two hex digits fan the files out). An upload streams to a
temporary file in ``root`` itself (same file system), is hashed while it is written, made durable
(``fsync``) and then linked into place in one atomic step; a file already stored under that hash is
left untouched. A failed or oversized upload leaves nothing behind.

A process killed in the middle of an upload (``kill -9``, power loss) cannot clean up after itself: its
temporary file is named after the host and the process (``.upload-{host}-{pid}-…``), so the next store
opened on that folder removes the temporary files of processes of this host that no longer run, and leaves
alone those of live processes (several server processes may share the folder) and of other hosts.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from meetings.errors import Invalid

from .errors import too_large

_HEX64 = re.compile(r"[0-9a-f]{64}")
TEMP_PREFIX = ".upload-"
_HOST = re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())[:64]


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class StoredBlob:
    """A stored file: its hash (lower-case hex), its size in bytes and where it lives."""

    sha256: str
    size: int
    path: Path


class BlobStore:
    """Immutable files under ``root``, addressed by SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.swept = sweep_abandoned(root)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash is (or would be) stored; rejects anything but 64 hex digits."""
        if not _HEX64.fullmatch(sha256):
            raise Invalid("a document hash must be 64 lower-case hexadecimal digits")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether a file with this hash is stored."""
        return self.path_for(sha256).is_file()

    def put_stream(self, chunks: Iterable[bytes], max_bytes: int) -> StoredBlob:
        """Store the concatenation of ``chunks``, stopping with ``PayloadTooLarge`` past ``max_bytes``."""
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-", dir=self.root)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest, size = _copy_hashing(chunks, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            final = self.path_for(digest)
            _install(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        return StoredBlob(digest, size, final)

    def put_file(self, source: Path, max_bytes: int, chunk_size: int = 1 << 20) -> StoredBlob:
        """Store a copy of a local file (read in chunks)."""
        with source.open("rb") as src:
            return self.put_stream(iter(lambda: src.read(chunk_size), b""), max_bytes)


def sweep_abandoned(root: Path) -> int:
    """Remove the temporary files left in ``root`` by processes of this host that are gone; how many."""
    removed = 0
    for temp in root.glob(f"{TEMP_PREFIX}{_HOST}-*-*"):
        pid = temp.name[len(TEMP_PREFIX) + len(_HOST) + 1 :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            temp.unlink(missing_ok=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _copy_hashing(chunks: Iterable[bytes], out: _Writable, max_bytes: int) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        hasher.update(chunk)
        out.write(chunk)
    return hasher.hexdigest(), size


def _install(temp: Path, final: Path) -> None:
    """Link ``temp`` in as ``final`` unless it already exists; then make the new entry durable."""
    final.parent.mkdir(exist_ok=True)
    os.chmod(temp, 0o444)
    try:
        os.link(temp, final)
    except FileExistsError:
        return  # same content already stored: keep the existing file as it is
    except OSError:  # a file system without hard links
        if final.exists():
            return
        os.replace(temp, final)
    _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
