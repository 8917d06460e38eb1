"""SQLModel tables of the documents edge: agenda, documents and versions, annotations, comments, audit,
packets and the page-text search index. Times are aware UTC (UTCDateTime columns).

The search index over ``document_page_text.folded`` is not in this metadata: migration 0004 creates it
by hand — an FTS5 virtual table (kept in step by triggers) on SQLite, a GIN index over
``to_tsvector('simple', folded)`` on PostgreSQL. :func:`include_object` keeps Alembic's autogenerate
from proposing to drop them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, RootModel, field_validator, model_validator
from pydantic import Field as PydField
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

FTS_TABLE = "document_page_fts"
PG_SEARCH_INDEX = "ix_document_page_text_search"


class Confidentiality(StrEnum):
    """Who may read a document (besides those who manage the meeting)."""

    all_participants = "all_participants"
    delegates_only = "delegates_only"  # chair, secretary and delegates; not guests or operators
    named = "named"  # only the people named in ``document_reader``


class Visibility(StrEnum):
    private = "private"  # only its author
    shared = "shared"  # the presenter's, shown to everyone who may read the document


class AnnotationKind(StrEnum):
    highlight = "highlight"
    ink = "ink"
    note = "note"
    arrow = "arrow"


class AnchorStatus(StrEnum):
    ok = "ok"  # where it was made, or found again on the same page
    moved = "moved"  # found again on another page of a newer version
    orphaned = "orphaned"  # its text or page is gone from the newer version; kept, shown apart


class Handling(StrEnum):
    """How the secretary handled a comment (tiếp thu / giải trình / không tiếp thu)."""

    accepted = "accepted"
    explained = "explained"
    rejected = "rejected"


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    title: str = Field(max_length=500)
    presenter: str = Field(default="", max_length=255)
    presenter_person_id: int | None = Field(default=None, foreign_key="person.id")
    time_box_minutes: int | None = None


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id", index=True)
    position: int = 0  # order within its agenda item
    title: str = Field(max_length=500)
    confidentiality: str = Field(default=Confidentiality.all_participants, max_length=20)
    current_version: int = 0  # DocumentVersion.number of the version tablets see
    comment_deadline: datetime | None = None  # comments (góp ý) are open until then; None: not open
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    updated_at: datetime


class DocumentReader(SQLModel, table=True):
    """A person named to read a document whose confidentiality is ``named``."""

    __tablename__ = "document_reader"

    document_id: int = Field(foreign_key="document.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    number: int
    original_sha256: str = Field(max_length=64, index=True)  # the file as uploaded
    sha256: str = Field(max_length=64, index=True)  # the delivered (sanitised) copy
    pages: int
    title: str = Field(default="", max_length=500)
    page_hashes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    page_sizes: list[list[float]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    size: int  # bytes of the delivered copy
    original_size: int
    removed_active: int = 0  # JavaScript / launch entries stripped from the delivered copy
    repaired: bool = False
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    uploaded_at: datetime


class Annotation(SQLModel, table=True):
    """A mark on a page. ``data`` is the kind's geometry (page fractions, see ``annotations_pdf``);
    ``anchor`` the text it marked (quote, prefix, suffix) for re-anchoring on new versions; ``client_key``
    the key a tablet made up for it, so that a create sent again (after a lost reply, from the offline
    outbox) is applied once."""

    __table_args__ = (Index("ux_annotation_author_client_key", "author_id", "client_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version_id: int = Field(foreign_key="document_version.id", index=True)  # where it is placed now
    page: int
    author_id: int = Field(foreign_key="person.id", index=True)
    visibility: str = Field(max_length=8)
    kind: str = Field(max_length=16)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    anchor: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=AnchorStatus.ok, max_length=10)
    status_detail: str = Field(default="", max_length=500)
    client_key: str | None = Field(default=None, max_length=64)
    created_at: datetime
    updated_at: datetime


class Comment(SQLModel, table=True):
    """A comment (góp ý) on a passage of a draft, and how the secretary handled it; ``client_key`` the key a
    tablet made up for it, so that a comment sent again (from the offline outbox) is added once."""

    __tablename__ = "document_comment"
    __table_args__ = (Index("ux_comment_author_client_key", "author_id", "client_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version_id: int = Field(foreign_key="document_version.id")
    author_id: int = Field(foreign_key="person.id", index=True)
    anchor: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    handling: str | None = Field(default=None, max_length=10)
    answer: str = Field(default="", sa_column=Column(Text, nullable=False))
    handled_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    handled_at: datetime | None = None
    client_key: str | None = Field(default=None, max_length=64)


class AuditEntry(SQLModel, table=True):
    """Who opened, downloaded, annotated… which document (or packet) of which meeting, when."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_meeting_at", "meeting_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id")
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    version: int | None = None
    detail: str = Field(default="", max_length=500)


class DocumentPageText(SQLModel, table=True):
    """One page's text of one version: ``text`` for snippets, ``folded`` (``textsearch.fold``) indexed."""

    __tablename__ = "document_page_text"
    __table_args__ = (UniqueConstraint("version_id", "page"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="document_version.id")
    document_id: int = Field(foreign_key="document.id", index=True)
    page: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    folded: str = Field(sa_column=Column(Text, nullable=False))


class Packet(SQLModel, table=True):
    """A compiled packet (bộ tài liệu) of a meeting; the newest one is the published one."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    spec_key: str = Field(max_length=64)  # hash of what went in: same key, same packet
    sha256: str = Field(max_length=64)
    pages: int
    size: int
    contents: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    compiled_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    compiled_at: datetime


class PacketCopy(SQLModel, table=True):
    """A person's watermarked copy of a packet; ``mark`` (hidden in the copy) traces it back to them."""

    __tablename__ = "packet_copy"
    __table_args__ = (UniqueConstraint("packet_sha256", "person_id"),)

    mark: str = Field(primary_key=True, max_length=32)
    packet_sha256: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    sha256: str = Field(max_length=64)
    created_at: datetime


# ---- HTTP payloads (OpenAPI is generated from these) ------------------------------------------------------

Fraction = Annotated[float, PydField(ge=0.0, le=1.0)]
Point = tuple[Fraction, Fraction]
Rect = tuple[Fraction, Fraction, Fraction, Fraction]
Color = Annotated[str, PydField(pattern=r"^#[0-9a-fA-F]{6}$")]
Text500 = Annotated[str, PydField(max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgendaItemIn(Strict):
    title: str = PydField(min_length=1, max_length=500)
    presenter: str = PydField(default="", max_length=255, description="who presents it, as printed")
    presenter_person_id: int | None = PydField(
        default=None, description="the presenter as a person: may share annotations on its documents"
    )
    time_box_minutes: int | None = PydField(default=None, ge=1, le=24 * 60)
    position: int | None = PydField(default=None, ge=1, description="where to insert it (default: last)")


class AgendaItemPatch(Strict):
    title: str | None = PydField(default=None, min_length=1, max_length=500)
    presenter: str | None = PydField(default=None, max_length=255)
    presenter_person_id: int | None = None
    time_box_minutes: int | None = PydField(default=None, ge=1, le=24 * 60)


class AgendaOrderIn(Strict):
    item_ids: list[int] = PydField(description="every item of the meeting, in the new order")


class DocumentBrief(BaseModel):
    id: int
    title: str
    confidentiality: Confidentiality
    version: int
    pages: int


class AgendaItemOut(BaseModel):
    id: int
    meeting_id: int
    position: int
    title: str
    presenter: str
    presenter_person_id: int | None
    time_box_minutes: int | None
    documents: list[DocumentBrief] = PydField(description="the documents you may read, in order")


class UploadOut(BaseModel):
    id: int
    version: int
    sha256: str = PydField(description="SHA-256 of the file as uploaded")
    delivered_sha256: str = PydField(description="SHA-256 of the copy delivered (active content removed)")
    pages: int
    title: str
    page_hashes: list[str]
    changed_pages: list[int] = PydField(description="pages whose content differs from the previous version")
    annotations: dict[str, int] = PydField(description="re-anchored annotations: ok, moved, orphaned")


class VersionOut(BaseModel):
    number: int
    sha256: str
    original_sha256: str
    pages: int
    title: str
    size: int
    removed_active: int
    page_hashes: list[str]
    uploaded_by_id: int | None
    uploaded_at: datetime


class DocumentOut(BaseModel):
    id: int
    meeting_id: int
    agenda_item_id: int | None
    position: int
    title: str
    confidentiality: Confidentiality
    readers: list[int] | None = PydField(description="named readers (shown to those who manage it)")
    current_version: int
    pages: int
    sha256: str
    comment_deadline: datetime | None


class DocumentDetail(DocumentOut):
    versions: list[VersionOut]


class DocumentPatch(Strict):
    title: str | None = PydField(default=None, min_length=1, max_length=500)
    agenda_item_id: int | None = None
    position: int | None = PydField(default=None, ge=0)
    confidentiality: Confidentiality | None = None
    readers: list[int] | None = PydField(default=None, description="person ids, for 'named'")
    comment_deadline: datetime | None = PydField(
        default=None, description="comments are open until then (without an offset: local time)"
    )
    close_comments: bool = PydField(default=False, description="remove the deadline: comments closed")


class WordOut(BaseModel):
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


class PageTextOut(BaseModel):
    document_id: int
    version: int
    page: int
    hash: str
    words: list[WordOut]


class AnchorIn(Strict):
    quote: str = PydField(default="", max_length=2000, description="the text marked")
    prefix: str = PydField(default="", max_length=200, description="text just before it")
    suffix: str = PydField(default="", max_length=200, description="text just after it")


class HighlightData(Strict):
    rects: list[Rect] = PydField(min_length=1, max_length=200)
    color: Color = "#ffd400"
    text: str = PydField(default="", max_length=5000)


class InkData(Strict):
    strokes: list[Annotated[list[Point], PydField(min_length=1, max_length=5000)]] = PydField(
        min_length=1, max_length=500
    )
    color: Color = "#d32f2f"
    width: float = PydField(default=2.0, gt=0, le=50)
    text: str = PydField(default="", max_length=5000)


class NoteData(Strict):
    at: Point
    text: str = PydField(min_length=1, max_length=5000)
    color: Color = "#ffb300"


class ArrowData(Strict):
    start: Point
    end: Point
    color: Color = "#1565c0"
    width: float = PydField(default=2.0, gt=0, le=50)
    text: str = PydField(default="", max_length=5000)


KIND_DATA: dict[str, type[BaseModel]] = {
    AnnotationKind.highlight: HighlightData,
    AnnotationKind.ink: InkData,
    AnnotationKind.note: NoteData,
    AnnotationKind.arrow: ArrowData,
}


ClientKey = Annotated[
    str | None,
    PydField(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="a key the client makes up (idempotency): a create sent again with the same key returns "
        "what was made the first time instead of adding another",
    ),
]


class _AnnotationBase(Strict):
    page: int = PydField(ge=1)
    version: int | None = PydField(default=None, description="the version it is drawn on (default: current)")
    visibility: Visibility = Visibility.private
    anchor: AnchorIn | None = PydField(
        default=None, description="the text it marks (derived from the page for highlights when left out)"
    )
    client_key: ClientKey = None


class HighlightIn(_AnnotationBase):
    kind: Literal["highlight"]
    data: HighlightData


class InkIn(_AnnotationBase):
    kind: Literal["ink"]
    data: InkData


class NoteIn(_AnnotationBase):
    kind: Literal["note"]
    data: NoteData


class ArrowIn(_AnnotationBase):
    kind: Literal["arrow"]
    data: ArrowData


AnyAnnotationIn = Annotated[HighlightIn | InkIn | NoteIn | ArrowIn, PydField(discriminator="kind")]


class AnnotationIn(RootModel[AnyAnnotationIn]):
    """A new annotation: ``kind`` says which ``data`` it carries."""


class AnnotationPatch(Strict):
    data: dict[str, Any] | None = PydField(default=None, description="the kind's data, whole")
    anchor: AnchorIn | None = None
    visibility: Visibility | None = None


class AnnotationOut(BaseModel):
    id: int
    document_id: int
    version: int
    page: int
    author_id: int
    visibility: Visibility
    kind: AnnotationKind
    data: dict[str, Any]
    anchor: dict[str, Any]
    status: AnchorStatus
    status_detail: str
    created_at: datetime
    updated_at: datetime


class ImportOut(BaseModel):
    imported: int
    updated: int
    skipped: int = PydField(description="annotations of kinds we do not keep, or on missing pages")


class CommentIn(Strict):
    text: str = PydField(min_length=1, max_length=10_000)
    page: int = PydField(ge=1)
    version: int | None = None
    quote: str = PydField(default="", max_length=2000, description="the passage commented on")
    prefix: str = PydField(default="", max_length=200)
    suffix: str = PydField(default="", max_length=200)
    rects: list[Rect] = PydField(default_factory=list, max_length=200)
    client_key: ClientKey = None


class HandlingIn(Strict):
    handling: Handling
    answer: str = PydField(default="", max_length=10_000, description="required unless accepted")

    @model_validator(mode="after")
    def _answered(self) -> HandlingIn:
        if self.handling is not Handling.accepted and not self.answer.strip():
            raise ValueError("explain the answer when a comment is explained or rejected")
        return self


class CommentOut(BaseModel):
    id: int
    document_id: int
    version: int
    author_id: int
    author_name: str
    anchor: dict[str, Any]
    text: str
    created_at: datetime
    handling: Handling | None
    answer: str
    handled_at: datetime | None


class AuditOut(BaseModel):
    at: datetime
    user_id: int | None
    username: str | None
    action: str
    document_id: int | None
    version: int | None
    detail: str


class PacketOut(BaseModel):
    id: int
    meeting_id: int
    sha256: str
    pages: int
    size: int
    compiled_at: datetime
    contents: list[dict[str, Any]]
    reused: bool = PydField(description="nothing changed since the last compile: the same packet")


class SearchQuery(BaseModel):
    q: str = PydField(min_length=1, max_length=200, description="words; accents and case do not matter")
    limit: int = PydField(default=50, ge=1, le=200)


class SearchHit(BaseModel):
    document_id: int
    meeting_id: int
    title: str
    version: int
    page: int
    snippet: str
    match: tuple[int, int] = PydField(description="where the match is in the snippet (start, end)")


class UploadForm(Strict):
    """The form fields of an upload (multipart), next to its ``file``."""

    agenda_item_id: int | None = PydField(default=None, description="required for a new document")
    title: str | None = PydField(default=None, min_length=1, max_length=500)
    confidentiality: Confidentiality | None = None
    readers: list[int] = PydField(default_factory=list, description="comma-separated person ids, for 'named'")

    @field_validator("readers", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise ValueError("must be a comma-separated list of person ids") from None
        return value


class VersionQuery(BaseModel):
    v: int | None = PydField(default=None, ge=1, description="a version number (default: the current one)")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave the hand-made search index (and the FTS5 shadow tables) alone."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == PG_SEARCH_INDEX)
