"""A meeting's packet (bộ tài liệu): the agenda's documents that every participant may read, compiled
into one PDF by ``packet`` in a worker (compiled again only when what it shows has changed), published
with a ``packet.published`` event, and each delegate's own watermarked copy of it (made once per packet
and person)."""
# mypy: allow-untyped-calls

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from meetings import eventlog, queries
from meetings.clock import LOCAL_TZ, from_db
from meetings.errors import NotFound
from meetings.models import Meeting, Person, Unit
from meetings.permissions import Actor

from . import packet, watermark
from .access import caller_in, get_version, meeting_caller
from .agenda import agenda_items, in_agenda_order
from .audit import audit_entry
from .blobs import BlobStore
from .models import Confidentiality, Packet, PacketCopy, PacketOut
from .store import DocumentStore, FileRef, Transactions


def compile_packet(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, meeting_id: int
) -> PacketOut:
    """Compile the agenda's documents (those every participant may read) into the published packet."""
    with tx.read() as s:
        meeting = queries.get_meeting(s, meeting_id)
        caller_in(s, actor, meeting).require_manage()
        spec = _packet_spec(s, docs.blobs, meeting)
        key = _spec_key(spec)
        latest = _latest_packet(s, meeting_id)
        if latest is not None and latest.spec_key == key and docs.blobs.exists(latest.sha256):
            return _packet_out(latest, reused=True)
    result, blob = docs.made_blob(lambda path: docs.run(packet.compile_packet, spec, path), 1 << 40)
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
        audit_entry(s, actor, now, "packet", meeting_id, detail=f"packet {row.id}")
        return _packet_out(row, reused=False)


def _packet_spec(s: Session, blobs: BlobStore, meeting: Meeting) -> packet.PacketSpec:
    """What the packet shows: the agenda with the documents every participant may read."""
    assert meeting.id is not None
    docs: dict[int | None, list[packet.PacketDoc]] = {}
    for doc in in_agenda_order(s, meeting.id):
        if doc.confidentiality == Confidentiality.all_participants:
            path = blobs.path_for(get_version(s, doc, None).sha256)
            docs.setdefault(doc.agenda_item_id, []).append(packet.PacketDoc(doc.title, path))
    host = s.get(Unit, meeting.host_unit_id)
    start = from_db(meeting.start_at).astimezone(LOCAL_TZ)
    return packet.PacketSpec(
        meeting_title=meeting.title,
        body=meeting.body,
        host=host.name if host else "",
        start_local=f"{start:%H:%M} ngày {start:%d/%m/%Y}",
        bridge_points=len(queries.meeting_bridge_point_ids(s, meeting.id)),
        items=[
            packet.PacketItem(i.title, i.presenter, docs.get(i.id, [])) for i in agenda_items(s, meeting.id)
        ],
    )


def _spec_key(spec: packet.PacketSpec) -> str:
    facts = [spec.meeting_title, spec.body, spec.host, spec.start_local, spec.bridge_points]
    items = [[i.title, i.presenter, [[d.title, d.path.name] for d in i.documents]] for i in spec.items]
    return hashlib.sha256(json.dumps([facts, items], ensure_ascii=False).encode()).hexdigest()


def _latest_packet(s: Session, meeting_id: int) -> Packet | None:
    return s.exec(
        select(Packet).where(Packet.meeting_id == meeting_id).order_by(col(Packet.id).desc()).limit(1)
    ).first()


def _published(s: Session, actor: Actor, meeting_id: int) -> Packet:
    """The meeting's latest packet, for a caller who may see the meeting."""
    meeting_caller(s, actor, meeting_id)
    latest = _latest_packet(s, meeting_id)
    if latest is None:
        raise NotFound("no packet has been compiled for this meeting yet", "no_packet")
    return latest


def packet_info(s: Session, actor: Actor, meeting_id: int) -> PacketOut:
    """What the published packet is (pages, size, contents, when), without fetching or auditing the file."""
    return _packet_out(_published(s, actor, meeting_id), reused=False)


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


def packet_file(s: Session, blobs: BlobStore, actor: Actor, meeting_id: int) -> FileRef:
    """The published packet of a meeting the caller may see."""
    latest = _published(s, actor, meeting_id)
    path = blobs.path_for(latest.sha256)
    return FileRef(path, latest.sha256, "bo-tai-lieu.pdf", meeting_id, None, None, f"packet {latest.id}")


def packet_copy(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, meeting_id: int
) -> FileRef:
    """The caller's own watermarked copy of the published packet (made once per packet and person)."""
    with tx.read() as s:
        source = packet_file(s, docs.blobs, actor, meeting_id)
        person_id = meeting_caller(s, actor, meeting_id).person()
        copy = _packet_copy(s, source.sha256, person_id)
        name = (s.get(Person, person_id) or Person(full_name=actor.username)).full_name
    if copy is None or not docs.blobs.exists(copy.sha256):
        copy = _watermark(docs, tx, source.path, source.sha256, person_id, name, now)
    path = docs.blobs.path_for(copy.sha256)
    return FileRef(path, copy.sha256, "bo-tai-lieu-cua-toi.pdf", meeting_id, None, None, f"copy {copy.mark}")


def _packet_copy(s: Session, packet_sha: str, person_id: int) -> PacketCopy | None:
    return s.exec(
        select(PacketCopy).where(PacketCopy.packet_sha256 == packet_sha, PacketCopy.person_id == person_id)
    ).first()


def _watermark(
    docs: DocumentStore,
    tx: Transactions,
    source: Path,
    packet_sha: str,
    person_id: int,
    name: str,
    now: datetime,
) -> PacketCopy:
    label = f"Bản của đại biểu {name} – {from_db(now).astimezone(LOCAL_TZ):%d/%m/%Y}"
    mark, blob = docs.made_blob(
        lambda path: docs.run(watermark.watermark_copy, source, path, label, secrets.token_hex(8)), 1 << 40
    )
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
