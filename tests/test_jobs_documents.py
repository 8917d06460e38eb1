"""The document jobs on a clock we control: the secretary is warned at the agenda deadline (72 h before the
start, in Asia/Ho_Chi_Minh) when the packet is not published or no longer current, and not when it is; a
document's comments close at their deadline, which moves when the secretary moves it and survives a restart
without a loss or a duplicate.

Documents go through the real documents edge (``DocumentStore``: real PDFs checked in its worker processes,
real packets) with the fake clock's time, as the HTTP handlers would with the wall clock's. The documents
routes call no scheduler hook: their changes reach the job store through the reconciliation, as here.
"""

from __future__ import annotations

from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from docs_store import agenda, comments, ingest, meeting_documents, meeting_packet
from docs_store.models import AgendaItemIn, CommentIn, DocumentPatch, Handling, HandlingIn, UploadForm
from docs_store.store import DocumentStore
from meetings.clock import from_db
from meetings.db import reading, transaction
from meetings.errors import Conflict
from meetings.jobs import JobService
from meetings.lifecycle import Status
from meetings.models import MeetingEvent
from meetings.models_jobs import JobRun, Notification
from meetings.permissions import Actor, Role
from tests.docs_store.pdf_factory import numbered_pdf
from tests.test_jobs import (
    QUIET,
    Demo,
    Factory,
    FakeClock,
    advance,
    app_client,
    crash,
    create_meeting,
    demo,
    local,
    move,
    reschedule,
    sent,
    services,
)

__all__ = ["app_client", "demo", "services"]  # fixtures


class Tx:
    """The documents edge's ``Transactions`` on the test database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self) -> AbstractContextManager[Session]:
        return reading(self.engine)

    def write(self) -> AbstractContextManager[Session]:
        return transaction(self.engine)


class Docs:
    """The secretary's document work, at the fake clock's time."""

    def __init__(self, client: TestClient, engine: Engine, demo: Demo, folder: Path) -> None:
        self.store: DocumentStore = client.app.state.documents  # type: ignore[attr-defined]
        self.engine, self.folder, self.tx, self.made = engine, folder, Tx(engine), 0
        self.secretary = Actor(
            demo.users[demo.secretary], "secretary", Role.secretary, demo.host, demo.secretary
        )
        self.delegate = Actor(
            demo.users[demo.delegate], "delegate01", Role.delegate, demo.host, demo.delegate
        )

    def publish(self, meeting: int, now: datetime, title: str) -> int:
        """A new agenda item with a new document under it."""
        with transaction(self.engine) as s:
            item = agenda.add_item(s, self.secretary, now, meeting, AgendaItemIn(title=title)).id
        return self.upload(ingest.Upload(meeting, None, UploadForm(agenda_item_id=item, title=title)), now)

    def new_version(self, doc: int, now: datetime, pages: int) -> int:
        return self.upload(ingest.Upload(None, doc, UploadForm()), now, pages)

    def upload(self, target: ingest.Upload, now: datetime, pages: int = 2) -> int:
        self.made += 1
        pdf = numbered_pdf(self.folder / f"{self.made}.pdf", pages, prefix=f"Tài liệu {self.made}, trang")
        blob = self.store.blobs.put_file(pdf, 1 << 30)
        return ingest.ingest(self.store, self.tx, self.secretary, now, target, blob).id

    def compile(self, meeting: int, now: datetime) -> None:
        assert not meeting_packet.compile_packet(self.store, self.tx, self.secretary, now, meeting).reused

    def comments_until(self, doc: int, now: datetime, deadline: str | None) -> None:
        """Open comments until ``deadline`` (local time, as the secretary types it), or close them."""
        patch = (
            DocumentPatch(comment_deadline=datetime.fromisoformat(deadline))
            if deadline
            else DocumentPatch(close_comments=True)
        )
        meeting_documents.edit_document(self.store, self.tx, self.secretary, now, doc, patch)

    def comment(self, doc: int, now: datetime, text: str) -> int:
        with transaction(self.engine) as s:
            return comments.add_comment(s, self.delegate, now, doc, CommentIn(text=text, page=1)).id

    def accept(self, doc: int, comment: int, now: datetime) -> None:
        with transaction(self.engine) as s:
            comments.handle_comment(
                s, self.secretary, now, doc, comment, HandlingIn(handling=Handling.accepted)
            )


@pytest.fixture
def docs(app_client: TestClient, engine: Engine, demo: Demo, tmp_path: Path) -> Docs:
    return Docs(app_client, engine, demo, tmp_path)


def stored_at(svc: JobService, job_id: str) -> datetime | None:
    job = svc.store.lookup_job(job_id)
    return from_db(job.next_run_time) if job is not None else None


def runs(engine: Engine, meeting: int, kind: str) -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.exec(
            select(JobRun)
            .where(JobRun.meeting_id == meeting, JobRun.kind == kind)
            .order_by(col(JobRun.run_at))
        ).all()
        return [(r.outcome, r.detail) for r in rows]


def test_the_secretary_is_warned_at_the_agenda_deadline_unless_the_packet_is_published_and_current(
    services: Factory, engine: Engine, demo: Demo, docs: Docs
) -> None:
    clock = FakeClock(local("2031-03-02 09:00"))
    svc = services(clock)
    unpublished = create_meeting(engine, demo, clock.now, "2031-03-09T08:00", "2031-03-09T10:00", bps=[])
    published = create_meeting(engine, demo, clock.now, "2031-03-10T08:00", "2031-03-10T10:00", bps=[])
    outdated = create_meeting(engine, demo, clock.now, "2031-03-11T14:00", "2031-03-11T16:00", bps=[])
    for mid in (unpublished, published, outdated):
        move(engine, mid, Status.scheduled, clock.now)
        svc.on_meeting_changed(mid)
    advance(svc, clock, local("2031-03-02 10:00"))
    docs.publish(unpublished, clock.now, "Báo cáo kinh tế - xã hội")  # uploaded, never compiled
    docs.publish(published, clock.now, "Báo cáo kinh tế - xã hội")
    docs.compile(published, clock.now)
    report = docs.publish(outdated, clock.now, "Báo cáo kinh tế - xã hội")
    docs.compile(outdated, clock.now)
    clock.now = local("2031-03-05 09:00")
    docs.new_version(report, clock.now, pages=3)  # after its packet was compiled
    docs.publish(outdated, clock.now, "Tờ trình dự toán")

    advance(svc, clock, local("2031-03-06 07:59"))
    assert [k for k, *_ in sent(engine, unpublished) if k == "agenda_deadline"] == []
    advance(svc, clock, local("2031-03-12 09:00"))

    warned = [(k, p, when) for k, _, p, when in sent(engine, unpublished) if k == "agenda_deadline"]
    assert warned == [("agenda_deadline", demo.secretary, "03-06 08:00")]  # 72 h before, Việt Nam time
    assert [k for k, *_ in sent(engine, published) if k == "agenda_deadline"] == []
    assert runs(engine, published, "agenda_deadline") == [("skipped", "the packet is published and current")]
    stale = [(p, when) for k, _, p, when in sent(engine, outdated) if k == "agenda_deadline"]
    assert stale == [(demo.secretary, "03-08 14:00")]
    with Session(engine) as s:
        missing = s.exec(select(Notification).where(Notification.meeting_id == unpublished)).all()
        changed = s.exec(
            select(Notification).where(
                Notification.meeting_id == outdated, Notification.kind == "agenda_deadline"
            )
        ).one()
    [missing_packet] = [n for n in missing if n.kind == "agenda_deadline"]
    assert missing_packet.title.startswith("Chưa phát hành tài liệu họp")
    assert missing_packet.data["packet"] == "missing"
    assert changed.data["packet"] == "stale" and len(changed.data["document_ids"]) == 2
    assert "«Báo cáo kinh tế - xã hội»" in changed.body and "«Tờ trình dự toán»" in changed.body
    assert "chương trình nghị sự" in changed.body  # an agenda item was added after the packet, too


def test_comments_close_at_a_moved_deadline_once_across_a_restart(
    services: Factory, engine: Engine, demo: Demo, docs: Docs
) -> None:
    clock = FakeClock(local("2031-04-01 09:00"))
    hourly = replace(QUIET, reconcile_every=timedelta(hours=1))
    first = services(clock, hourly)
    mid = create_meeting(engine, demo, clock.now, "2031-04-20T08:00", "2031-04-20T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    first.on_meeting_changed(mid)
    draft = docs.publish(mid, clock.now, "Dự thảo nghị quyết")
    other = docs.publish(mid, clock.now, "Dự thảo quy chế")
    docs.comments_until(draft, clock.now, "2031-04-10T17:00")
    docs.comments_until(other, clock.now, "2031-04-08T17:00")
    job, other_job = f"m{mid}:comments_closed:{draft}", f"m{mid}:comments_closed:{other}"
    advance(first, clock, local("2031-04-01 10:00"))  # the reconciliation finds the documents' deadlines
    assert stored_at(first, job) == local("2031-04-10 17:00")
    assert stored_at(first, other_job) == local("2031-04-08 17:00")

    clock.now = local("2031-04-02 09:00")
    first_comments = [docs.comment(draft, clock.now, f"Góp ý {n}") for n in (1, 2)]
    docs.accept(draft, first_comments[0], clock.now)
    docs.comments_until(draft, clock.now, "2031-04-11T17:00")  # a day more for the comments
    docs.comments_until(other, clock.now, None)  # comments on the other one are closed by hand
    advance(first, clock, local("2031-04-02 10:00"))
    assert stored_at(first, job) == local("2031-04-11 17:00")
    assert stored_at(first, other_job) is None

    crash(first)  # the server dies; another process (or the restarted one) carries on, and a third joins
    clock.now = local("2031-04-05 09:00")
    second, third = services(clock, hourly), services(clock, hourly)
    for hour in range(7 * 24):  # to the 12th
        clock.now = local("2031-04-05 09:00") + timedelta(hours=hour)
        if clock.now == local("2031-04-10 18:00"):  # after the first deadline: still open
            docs.comment(draft, clock.now, "Góp ý 3")
        second.tick(clock.now)
        third.tick(clock.now)
        if clock.now == local("2031-04-11 17:00"):  # both ticked at the deadline: only the leader ran it
            assert second.leading != third.leading
    with pytest.raises(Conflict, match="deadline"):
        docs.comment(draft, clock.now, "Góp ý muộn")

    closed = [(k, p, when) for k, _, p, when in sent(engine, mid) if k == "comments_closed"]
    assert closed == [("comments_closed", demo.secretary, "04-11 17:00")]
    with Session(engine) as s:
        told = s.exec(select(Notification).where(Notification.kind == "comments_closed")).one()
        events = s.exec(
            select(MeetingEvent).where(
                MeetingEvent.meeting_id == mid, MeetingEvent.kind == "document.comments_closed"
            )
        ).all()
    assert told.data == {"document_id": draft, "comments": 3, "unhandled": 2}
    assert told.title == "Hết hạn góp ý: Dự thảo nghị quyết (2 chưa xử lý)"
    assert "17:00 Thứ Sáu, 11/04/2031" in told.body
    assert [(e.payload["document_id"], e.payload["comments"], from_db(e.at)) for e in events] == [
        (draft, 3, local("2031-04-11 17:00"))
    ]
    assert Counter(o for o, _ in runs(engine, mid, "comments_closed")) == {"done": 1}


def test_the_agenda_deadline_follows_a_reschedule_and_goes_with_a_cancellation(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-05-01 09:00"))
    svc = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-05-08T08:00", "2031-05-08T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    job = f"m{mid}:agenda_deadline"
    assert stored_at(svc, job) == local("2031-05-05 08:00")
    advance(svc, clock, local("2031-05-02 09:00"))
    reschedule(engine, mid, "2031-05-12T14:00", "2031-05-12T16:00", clock.now)
    svc.on_meeting_changed(mid)
    assert stored_at(svc, job) == local("2031-05-09 14:00")
    advance(svc, clock, local("2031-05-06 09:00"))  # the old deadline passed: nothing
    assert [k for k, *_ in sent(engine, mid) if k == "agenda_deadline"] == []
    move(engine, mid, Status.cancelled, clock.now)
    svc.on_meeting_changed(mid)
    assert stored_at(svc, job) is None
    advance(svc, clock, local("2031-05-13 09:00"))
    assert [k for k, *_ in sent(engine, mid) if k == "agenda_deadline"] == []
