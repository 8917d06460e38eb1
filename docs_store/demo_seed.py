"""The demo meeting's agenda and documents: the five council papers of ``demo_pdfs`` (~100 pages of
Vietnamese text and tables), uploaded by the meeting's secretary through the same store path as an HTTP
upload, then compiled into the published packet."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from meetings.auth import actor_of
from meetings.clock import from_db
from meetings.models import Meeting, MeetingParticipant, User
from meetings.permissions import MeetingRole

from .agenda import add_item
from .demo_pdfs import write_demo_agenda
from .ingest import Upload, ingest
from .meeting_documents import update_document
from .meeting_packet import compile_packet
from .models import AgendaItemIn, Confidentiality, DocumentPatch, UploadForm
from .store import DocumentSettings, DocumentStore

OPENING = ("Khai mạc hội nghị, giới thiệu đại biểu", "Chủ tịch UBND tỉnh", 10)
CLOSING = [
    ("Thảo luận tại các điểm cầu huyện, xã", "Các đại biểu", 40),
    ("Kết luận hội nghị", "Chủ tịch UBND tỉnh", 15),
]
TIME_BOXES = (30, 20, 20, 15, 15)
DELEGATES_ONLY = {3}  # the committee's review goes to delegates, not to guests and operators
DRAFTS = {1, 2}  # the draft resolutions are open for comments until the eve of the meeting


@dataclass(frozen=True)
class DemoDocuments:
    items: int
    documents: int
    pages: int
    packet_pages: int


class _OneSession:
    """``Transactions`` over the seeding session: reads and writes share it; the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def read(self) -> Iterator[Session]:
        yield self.session

    @contextmanager
    def write(self) -> Iterator[Session]:
        yield self.session
        self.session.flush()


def seed_demo_documents(session: Session, meeting_id: int, data_dir: Path, now: datetime) -> DemoDocuments:
    """Give the demo meeting its agenda, documents (stored under ``data_dir``) and packet."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise ValueError(f"meeting {meeting_id} does not exist")
    actor = actor_of(_secretary(session, meeting_id))
    store = DocumentStore.in_data_dir(data_dir, DocumentSettings.from_env())
    tx = _OneSession(session)
    try:
        with tempfile.TemporaryDirectory(dir=store.work) as folder:
            papers = write_demo_agenda(Path(folder))
            plan = [
                OPENING,
                *((p.title, p.presenter, m) for p, m in zip(papers, TIME_BOXES, strict=True)),
                *CLOSING,
            ]
            items = [
                add_item(
                    session, actor, now, meeting_id, AgendaItemIn(title=t, presenter=p, time_box_minutes=m)
                )
                for t, p, m in plan
            ]
            pages = 0
            for number, (paper, item) in enumerate(zip(papers, items[1:], strict=False)):
                confidentiality = Confidentiality.delegates_only if number in DELEGATES_ONLY else None
                form = UploadForm(agenda_item_id=item.id, title=paper.title, confidentiality=confidentiality)
                blob = store.blobs.put_file(paper.path, store.settings.max_upload_bytes)
                out = ingest(store, tx, actor, now, Upload(meeting_id, None, form, paper.path.name), blob)
                pages += out.pages
                if number in DRAFTS:
                    closes = comment_deadline(now, from_db(meeting.start_at))
                    update_document(session, actor, now, out.id, DocumentPatch(comment_deadline=closes))
        packet = compile_packet(store, tx, actor, now, meeting_id)
    finally:
        store.close()
    return DemoDocuments(len(items), len(papers), pages, packet.pages)


def comment_deadline(now: datetime, start: datetime) -> datetime:
    """A day before the meeting, or halfway there when the meeting is sooner: the demo's drafts are always
    still open for comments when the demo starts."""
    return max(start - timedelta(days=1), now + (start - now) / 2)


def _secretary(session: Session, meeting_id: int) -> User:
    query = (
        select(User)
        .join(MeetingParticipant, MeetingParticipant.person_id == User.person_id)  # type: ignore[arg-type]
        .where(MeetingParticipant.meeting_id == meeting_id, MeetingParticipant.role == MeetingRole.secretary)
    )
    user = session.exec(query).first()
    if user is None:
        raise ValueError(f"meeting {meeting_id} has no secretary with an account to upload its documents")
    return user
