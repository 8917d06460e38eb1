"""BlobStore: streamed, hashed, atomic, deduplicated storage; nothing left behind on failure."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from docs_store import blobs
from docs_store.blobs import TEMP_PREFIX, BlobStore
from meetings.errors import Invalid, PayloadTooLarge

DATA = [b"%PDF-1.7\n", b"x" * 5000, b"\n%%EOF\n"]


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_a_stream_is_stored_under_its_hash(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    blob = store.put_stream(iter(DATA), max_bytes=10_000)
    digest = hashlib.sha256(b"".join(DATA)).hexdigest()
    assert (blob.sha256, blob.size) == (digest, sum(map(len, DATA)))
    assert blob.path == tmp_path / "blobs" / digest[:2] / digest == store.path_for(digest)
    assert blob.path.read_bytes() == b"".join(DATA)
    assert store.exists(digest) and not store.exists("0" * 64)
    assert leftovers(store.root) == []


def test_the_same_content_twice_keeps_the_first_file_untouched(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put_stream(iter(DATA), max_bytes=10_000)
    before = first.path.stat()
    second = store.put_stream([b"".join(DATA)], max_bytes=10_000)  # same bytes, chunked differently
    after = second.path.stat()
    assert second == first
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert leftovers(tmp_path) == []


def test_stored_files_are_read_only(tmp_path: Path) -> None:
    blob = BlobStore(tmp_path).put_stream([b"abc"], max_bytes=10)
    assert blob.path.stat().st_mode & 0o222 == 0


def test_an_oversized_stream_stops_as_soon_as_the_limit_is_passed(tmp_path: Path) -> None:
    consumed = []

    def chunks() -> Iterator[bytes]:
        for n in range(100):
            consumed.append(n)
            yield b"y" * 400

    store = BlobStore(tmp_path)
    with pytest.raises(PayloadTooLarge) as caught:
        store.put_stream(chunks(), max_bytes=1000)
    assert caught.value.detail == "the file is larger than the limit of 1000 bytes"
    assert consumed == [0, 1, 2]  # the third chunk passes 1000 bytes: nothing more is read
    assert leftovers(tmp_path) == [] and not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_stream_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    assert BlobStore(tmp_path).put_stream([b"z" * 1000], max_bytes=1000).size == 1000


def test_a_failing_upload_leaves_nothing(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"start"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        BlobStore(tmp_path).put_stream(broken(), max_bytes=10_000)
    assert list(tmp_path.rglob("*")) == []


def test_put_file_copies_a_local_file(tmp_path: Path) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(b"".join(DATA))
    blob = BlobStore(tmp_path / "store").put_file(source, max_bytes=10_000, chunk_size=1000)
    assert blob.path.read_bytes() == source.read_bytes()


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "a" * 63, "A" * 64, "g" * 64])
def test_only_real_hashes_name_paths(tmp_path: Path, bad: str) -> None:
    with pytest.raises(Invalid) as caught:
        BlobStore(tmp_path).path_for(bad)
    assert caught.value.detail == "a document hash must be 64 lower-case hexadecimal digits"


def test_a_new_store_removes_only_the_temporary_files_of_dead_processes_of_this_host(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    host = blobs._HOST
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{TEMP_PREFIX}{host}-{gone.pid}-abc"
    alive = tmp_path / f"{TEMP_PREFIX}{host}-{os.getpid()}-def"
    elsewhere = tmp_path / f"{TEMP_PREFIX}other-host-{gone.pid}-ghi"
    for temp in (dead, alive, elsewhere):
        temp.write_bytes(b"%PDF-1.7 half an upload")
    kept = store.put_stream([b"stored"], max_bytes=100)

    again = BlobStore(tmp_path)

    assert again.swept == 1
    assert not dead.exists()
    assert alive.exists() and elsewhere.exists()  # a live upload of this host, and another host's
    assert kept.path.read_bytes() == b"stored"


def test_an_upload_in_progress_names_its_temporary_file_after_this_process(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    seen: list[str] = []

    def chunks() -> Iterator[bytes]:
        seen.extend(p.name for p in leftovers(tmp_path))
        yield b"data"

    store.put_stream(chunks(), max_bytes=100)
    assert len(seen) == 1 and seen[0].startswith(f"{TEMP_PREFIX}{blobs._HOST}-{os.getpid()}-")
    assert leftovers(tmp_path) == []
