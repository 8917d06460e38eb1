"""Comments (góp ý) on a draft: a reader comments on a page (and the text they quote) until the deadline
the secretary set; the secretary answers each (tiếp thu, giải trình, không tiếp thu) and takes the summary
table (bảng tổng hợp tiếp thu, giải trình) as CSV or PDF. Those who manage the meeting see every comment;
everyone else sees their own."""
# mypy: allow-untyped-calls

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from meetings.clock import LOCAL_TZ, from_db
from meetings.errors import Conflict, NotFound
from meetings.permissions import Actor

from .access import Caller, get_version, managed, person_names, readable, require_page, version_number
from .audit import audit, document_event
from .client_keys import add_once, made_before
from .meeting_documents import file_title
from .models import Comment, CommentIn, CommentOut, Document, Handling, HandlingIn
from .store import DocumentStore
from .workers import write_comments_pdf

HANDLING_VI = {"accepted": "Tiếp thu", "explained": "Giải trình", "rejected": "Không tiếp thu"}
TABLE_NAME = "bảng tổng hợp góp ý"
TABLE_COLUMNS = ["STT", "Đại biểu", "Vị trí", "Nội dung góp ý", "Tiếp thu, giải trình"]  # CSV and PDF alike


def add_comment(s: Session, actor: Actor, now: datetime, doc_id: int, data: CommentIn) -> CommentOut:
    """A new comment, before the deadline. Sent again with the same ``client_key`` (even once the deadline
    has passed), the one made the first time."""
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    if (sent := made_before(s, Comment, author, doc_id, data.client_key)) is not None:
        return _comment_out(s, sent)
    if doc.comment_deadline is None:
        raise Conflict(
            "comments are not open on this document (the secretary sets a deadline)", "comments_not_open"
        )
    deadline = from_db(doc.comment_deadline)
    if from_db(now) > deadline:
        when = f"{deadline.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
        raise Conflict(f"the deadline for comments was {when}", "comments_closed", deadline=when)
    version = get_version(s, doc, data.version)
    require_page(version, data.page)
    anchor = {"page": data.page, "quote": data.quote, "prefix": data.prefix, "suffix": data.suffix,
              "rects": [list(r) for r in data.rects]}  # fmt: skip
    comment = Comment(
        document_id=doc_id, version_id=version.id or 0, author_id=author, anchor=anchor, text=data.text,
        created_at=now, client_key=data.client_key,
    )  # fmt: skip
    if (stored := add_once(s, comment)) is not comment:  # sent twice at once: the other request made it
        return _comment_out(s, stored)
    document_event(s, caller, doc, "comment.added", {"comment_id": comment.id}, now)
    audit(s, actor, now, "comment", doc, version.number, f"comment {comment.id}")
    return _comment_out(s, comment)


def _comment_out(s: Session, c: Comment) -> CommentOut:
    return CommentOut(
        id=c.id or 0,
        document_id=c.document_id,
        version=version_number(s, c.version_id) or 0,
        author_id=c.author_id,
        author_name=person_names(s, {c.author_id}).get(c.author_id, ""),
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
    document_event(
        s, caller, doc, "comment.handled", {"comment_id": comment.id, "handling": data.handling}, now
    )
    audit(s, actor, now, "handle", doc, None, f"comment {comment.id}: {data.handling}")
    return _comment_out(s, comment)


def comment_table(
    s: Session, actor: Actor, now: datetime, doc_id: int
) -> tuple[Document, list[str], list[list[str]]]:
    """The summary table (bảng tổng hợp tiếp thu, giải trình): a heading and one row per comment."""
    doc, caller = managed(s, actor, doc_id)
    meeting = caller.meeting
    comments = _comments(s, caller, doc)
    names = person_names(s, {c.author_id for c in comments})
    rows = []
    for number, c in enumerate(comments, start=1):
        where = f"Trang {c.anchor.get('page', '')}"
        if c.anchor.get("quote"):
            where += f": “{c.anchor['quote']}”"
        handled = HANDLING_VI.get(c.handling or "", "Chưa xử lý")
        rows.append([str(number), names.get(c.author_id, ""), where, c.text,
                     f"{handled}{'. ' + c.answer if c.answer else ''}"])  # fmt: skip
    heading = [f"Dự thảo: {doc.title}", f"{meeting.title}"]
    audit(s, actor, now, "download", doc, None, "comments table")
    return doc, heading, rows


def comments_csv(s: Session, actor: Actor, now: datetime, doc_id: int) -> tuple[bytes, str]:
    doc, heading, rows = comment_table(s, actor, now, doc_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode(), f"{file_title(doc.title)} - {TABLE_NAME}.csv"


def comments_pdf(
    docs: DocumentStore, s: Session, actor: Actor, now: datetime, doc_id: int
) -> tuple[Path, str]:
    """The summary table typeset as a PDF (in a worker) at a scratch path: remove it after sending."""
    doc, heading, rows = comment_table(s, actor, now, doc_id)
    scratch = docs.scratch()
    docs.run(write_comments_pdf, heading, TABLE_COLUMNS, rows, scratch)
    return scratch, f"{file_title(doc.title)} - {TABLE_NAME}.pdf"
