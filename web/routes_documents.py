"""Documents over HTTP: streamed uploads and versions, page images and words, the file, annotations,
comments (góp ý) and search. Handlers parse, make one call into a ``docs_store`` module
(``meeting_documents``, ``ingest``, ``page_annotations``, ``annotations_exchange``, ``comments``, ``search``)
and render; the checks live there.

Three routes are raw Starlette endpoints (still declared here, so OpenAPI lists them): the two uploads,
whose multipart bodies are parsed as they arrive and streamed into the blob store (never whole in
memory), and the page image, served from the cache or rendered once however many tablets ask at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

from anyio import from_thread, to_thread
from pydantic import BaseModel, Field, ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from docs_store import (
    access,
    annotations_exchange,
    audit,
    comments,
    forms,
    ingest,
    meeting_documents,
    page_annotations,
    search,
)
from docs_store.errors import too_large
from docs_store.models import (
    AnnotationIn,
    AnnotationOut,
    AnnotationPatch,
    AuditOut,
    CommentIn,
    CommentOut,
    DocumentDetail,
    DocumentOut,
    DocumentPatch,
    HandlingIn,
    ImportOut,
    PageTextOut,
    SearchHit,
    SearchQuery,
    UploadForm,
    UploadOut,
    VersionQuery,
)
from docs_store.render import ALLOWED_WIDTHS
from docs_store.store import DocumentStore, FileRef, Grant
from meetings.clock import utcnow
from meetings.errors import Invalid, invalid_from
from web.auth import SESSION_COOKIE, authenticate_request, bearer_token
from web.endpoint import ApiRoute, Call, Handler

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_FIELD = 10_000
MAX_FIELDS = 20
IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


# ---- raw routes: declared like the others, served by their own async endpoint ------------------------------


@dataclass(frozen=True)
class RawRoute(ApiRoute):
    endpoint: Endpoint | None = None

    def route(self) -> Route:
        assert self.endpoint is not None
        return Route(self.path, self.endpoint, methods=[self.method], name=self.endpoint.__name__)


def raw(method: str, path: str, endpoint: Endpoint, summary: str, tag: str, **kw: Any) -> RawRoute:
    return RawRoute(method, path, cast(Handler, endpoint), summary, tag, endpoint=endpoint, **kw)


def documents(request: Request) -> DocumentStore:
    found: DocumentStore = request.app.state.documents
    return found


async def caller_call(request: Request) -> Call:
    """A ``Call`` for a raw endpoint: authenticated, with the database (and event publishing) at hand."""
    engine, now = request.app.state.engine, utcnow()
    actor = await run_in_threadpool(authenticate_request, request, engine, now)
    return Call(request, engine, request.app.state.settings, now, actor, dict(request.path_params))


def query_of(model: type[BaseModel], request: Request) -> Any:
    try:
        return model.model_validate({k: v for k, v in request.query_params.items() if v != ""})
    except ValidationError as exc:
        raise invalid_from(exc, ("query",)) from None


# ---- a multipart body read as it arrives -------------------------------------------------------------------


class MultipartStream:
    """``multipart/form-data`` parsed chunk by chunk: small fields are kept, the ``file`` part is handed
    on piece by piece (:meth:`file_chunks`), so an upload never sits whole in memory."""

    def __init__(self, request: Request) -> None:
        kind, params = parse_options_header(request.headers.get("content-type", ""))
        if kind != b"multipart/form-data" or not params.get(b"boundary"):
            raise Invalid("send the document as multipart/form-data, with the PDF in a part named 'file'")
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }
        self._parser = MultipartParser(params[b"boundary"], callbacks)
        self._body: AsyncIterator[bytes] = request.stream()
        self.fields: dict[str, str] = {}
        self.filename = ""
        self._headers: dict[str, str] = {}
        self._field, self._value = b"", b""
        self._part: str | None = None  # field name, or "" while in the file part
        self._data = bytearray()
        self._pending: list[bytes] = []
        self._file_state: Literal["before", "in", "after"] = "before"
        self._ended = False

    # parser callbacks
    def _part_begin(self) -> None:
        self._headers, self._data = {}, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("utf-8", "replace")
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            if self._file_state != "before":
                raise Invalid("send one file per upload")
            self._file_state, self._part = "in", ""
            self.filename = params.get(b"filename", b"").decode("utf-8", "replace")
        else:
            if len(self.fields) >= MAX_FIELDS:
                raise Invalid(f"too many form fields (at most {MAX_FIELDS})")
            self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "":
            self._pending.append(data[start:end])
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD:
            raise Invalid(f"the form field '{self._part}' is longer than {MAX_FIELD} bytes")

    def _part_end(self) -> None:
        if self._part == "":
            self._file_state = "after"
        elif self._part:
            self.fields[self._part] = self._data.decode("utf-8", "replace")
        self._part = None

    # reading
    async def _feed(self) -> bool:
        """Parse the next piece of the body; False once it has all been read."""
        if self._ended:
            return False
        try:
            chunk = await self._body.__anext__()
        except StopAsyncIteration:
            self._ended = True
            self._parser.finalize()
            return False
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise Invalid(f"the multipart body is malformed: {exc}") from None
        return True

    async def find_file(self) -> None:
        """Read on until the file part starts; fields before it are kept."""
        while self._file_state == "before" and await self._feed():
            pass
        if self._file_state == "before":
            raise Invalid("add the PDF as a part named 'file'")

    async def _next_piece(self) -> bytes | None:
        while not self._pending:
            if self._file_state == "after" or not await self._feed():
                return None
        piece = b"".join(self._pending)
        self._pending.clear()
        return piece

    def file_chunks(self) -> Iterator[bytes]:
        """The file's bytes, for a worker thread (each piece is read on the event loop)."""
        while (piece := from_thread.run(self._next_piece)) is not None:
            yield piece

    async def finish(self) -> dict[str, str]:
        """Read the rest of the body (fields after the file) and return every field."""
        while await self._feed():
            pass
        return self.fields


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + 1_000_000:
        raise too_large(limit)


async def _receive_upload(call: Call, meeting_id: int | None, document_id: int | None) -> UploadOut:
    docs = documents(call.request)
    limit = docs.settings.max_upload_bytes
    _check_length(call.request, limit)
    await run_in_threadpool(_check_target, call, meeting_id, document_id)  # before reading the body
    body = MultipartStream(call.request)
    await body.find_file()
    blob = await to_thread.run_sync(docs.blobs.put_stream, body.file_chunks(), limit)
    try:
        form = forms.parse_form(await body.finish(), UploadForm)
    except BaseException:
        await run_in_threadpool(_discard, call, blob.sha256)
        raise
    upload = ingest.Upload(meeting_id, document_id, form, body.filename)
    return await run_in_threadpool(ingest.ingest, docs, call, call.user, call.now, upload, blob)


def _check_target(
    call: Call, meeting_id: int | None, document_id: int | None, readable_id: int | None = None
) -> None:
    """May the caller upload there (or, with ``readable_id``, read that document)?"""
    with call.read() as s:
        if readable_id is not None:
            access.readable(s, call.user, readable_id)
        else:
            ingest.check_upload_target(s, call.user, meeting_id, document_id)


def _discard(call: Call, sha: str) -> None:
    with call.write() as s:
        documents(call.request).discard(s, [sha])


async def upload_document(request: Request) -> Response:
    call = await caller_call(request)
    out = await _receive_upload(call, request.path_params["meeting_id"], None)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


async def upload_version(request: Request) -> Response:
    call = await caller_call(request)
    out = await _receive_upload(call, None, request.path_params["document_id"])
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


async def import_annotations(request: Request) -> Response:
    call = await caller_call(request)
    docs = documents(request)
    _check_length(request, docs.settings.max_upload_bytes)
    await run_in_threadpool(_check_target, call, None, None, request.path_params["document_id"])
    body = MultipartStream(request)
    await body.find_file()
    scratch = docs.scratch()
    try:
        await to_thread.run_sync(_spool, body.file_chunks(), scratch, docs.settings.max_upload_bytes)
        await body.finish()
        doc_id = request.path_params["document_id"]
        out = await run_in_threadpool(
            annotations_exchange.import_annotations, docs, call, call.user, call.now, doc_id, scratch
        )
    finally:
        scratch.unlink(missing_ok=True)
    return JSONResponse(out.model_dump(mode="json"))


def _spool(chunks: Iterator[bytes], path: Path, limit: int) -> None:
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            out.write(chunk)


# ---- pages: images and words -------------------------------------------------------------------------------


class PageQuery(VersionQuery):
    width: int = Field(default=1280, description=f"one of {', '.join(map(str, ALLOWED_WIDTHS))}")
    fmt: Literal["png", "jpeg"] | None = Field(default=None, description="default: by Accept, else png")


def _format(request: Request, asked: str | None) -> str:
    if asked:
        return asked
    accept = request.headers.get("accept", "")
    return "jpeg" if "image/jpeg" in accept and "image/png" not in accept else "png"


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return sent.strip() == "*" or etag in [t.strip() for t in sent.split(",")]


async def _grant(request: Request, version: int | None) -> Grant:
    """May the caller read this version's pages? Asked of the database once per session and document for
    a few seconds (``ReadGrants``), so that turning pages costs no query."""
    docs = documents(request)
    doc_id = request.path_params["document_id"]
    credential = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    grant = docs.grants.get(credential, doc_id, version) if credential else None
    if grant is None:
        call = await caller_call(request)
        grant = await run_in_threadpool(_page_grant, call, doc_id, version)
        if credential:
            docs.grants.put(credential, version, grant)
    return grant


def _page_grant(call: Call, doc_id: int, version: int | None) -> Grant:
    with call.read() as s:
        return meeting_documents.page_grant(s, documents(call.request).blobs, call.user, doc_id, version)


async def _cached(docs: DocumentStore, key: str) -> bytes | None:
    data = docs.memory.get(key)
    if data is None and docs.cache_path(key).is_file():
        data = await run_in_threadpool(docs.cached, key)
    return data


async def page_image(request: Request) -> Response:
    q: PageQuery = query_of(PageQuery, request)
    if q.width not in ALLOWED_WIDTHS:
        raise Invalid(f"width must be one of {', '.join(map(str, ALLOWED_WIDTHS))}")
    fmt = _format(request, q.fmt)
    docs = documents(request)
    ref = (await _grant(request, q.v)).page(request.path_params["page"])
    key = docs.image_key(ref.hash, q.width, fmt)
    headers = {"etag": f'"{key}"', "cache-control": IMMUTABLE if ref.pinned else REVALIDATE}
    if q.fmt is None:
        headers["vary"] = "Accept"
    if _not_modified(request, headers["etag"]):
        return Response(status_code=304, headers=headers)
    data, how = await _cached(docs, key), "hit"
    if data is None:
        data, how = await docs.page_image(ref, q.width, fmt)
    return Response(data, media_type=f"image/{fmt}", headers={**headers, "x-cache": how})


async def page_text(request: Request) -> Response:
    q: VersionQuery = query_of(VersionQuery, request)
    docs = documents(request)
    ref = (await _grant(request, q.v)).page(request.path_params["page"])
    key = docs.words_key(ref.hash)
    headers = {"etag": f'"{key}"', "cache-control": IMMUTABLE if ref.pinned else REVALIDATE}
    if _not_modified(request, headers["etag"]):
        return Response(status_code=304, headers=headers)
    data = await _cached(docs, key)
    if data is None:
        data, _ = await docs.page_words(ref)
    head = f'{{"document_id":{ref.document_id},"version":{ref.version},"page":{ref.page},"hash":"{ref.hash}"'
    return Response(
        head.encode() + b',"words":' + data + b"}", media_type="application/json", headers=headers
    )


# ---- the document and its file -----------------------------------------------------------------------------


def list_documents(call: Call) -> list[DocumentOut]:
    with call.read() as s:
        return meeting_documents.list_documents(s, call.user, call.path["meeting_id"])


def get_document(call: Call) -> DocumentDetail:
    with call.write() as s:
        return meeting_documents.open_document(s, call.user, call.now, call.path["document_id"])


def patch_document(call: Call) -> DocumentOut:
    docs = documents(call.request)
    out = meeting_documents.edit_document(
        docs, call, call.user, call.now, call.path["document_id"], call.body
    )
    call.request.app.state.jobs.on_meeting_changed(out.meeting_id)  # e.g. the comment deadline's closing
    return out


def pdf_response(call: Call, ref: FileRef, pinned: bool) -> Response:
    """A stored PDF with range requests (206), a strong ETag (its hash) and 304 on If-None-Match; the
    request that starts reading it (not a later range, not a 304) is written to the audit log."""
    headers = {"etag": f'"{ref.sha256}"', "cache-control": IMMUTABLE if pinned else REVALIDATE}
    if _not_modified(call.request, headers["etag"]):
        return Response(status_code=304, headers=headers)
    wanted = call.request.headers.get("range", "").replace(" ", "")
    if not wanted or wanted.startswith("bytes=0-"):
        with call.write() as s:
            meeting_documents.record_download(s, call.user, call.now, ref)
    return FileResponse(
        ref.path, media_type="application/pdf", filename=ref.name, content_disposition_type="inline",
        headers=headers,
    )  # fmt: skip


def document_file(call: Call) -> Response:
    q: VersionQuery = call.query
    with call.read() as s:
        ref = meeting_documents.document_file(
            s, documents(call.request).blobs, call.user, call.path["document_id"], q.v
        )
    return pdf_response(call, ref, q.v is not None)


def audit_log(call: Call) -> list[AuditOut]:
    with call.read() as s:
        return audit.audit_log(s, call.user, call.path["document_id"])


def scratch_file(path: Path, name: str, media_type: str) -> Response:
    """A generated file, removed once it has been sent."""
    return FileResponse(path, media_type=media_type, filename=name, background=BackgroundTask(path.unlink))


# ---- annotations -------------------------------------------------------------------------------------------


def list_annotations(call: Call) -> list[AnnotationOut]:
    q: VersionQuery = call.query
    with call.read() as s:
        return page_annotations.list_annotations(s, call.user, call.path["document_id"], q.v)


def add_annotation(call: Call) -> AnnotationOut:
    return page_annotations.create_annotation(
        documents(call.request), call, call.user, call.now, call.path["document_id"], call.body
    )


def edit_annotation(call: Call) -> AnnotationOut:
    with call.write() as s:
        return page_annotations.edit_annotation(
            s, call.user, call.now, call.path["document_id"], call.path["annotation_id"], call.body
        )


def delete_annotation(call: Call) -> Response:
    with call.write() as s:
        page_annotations.delete_annotation(
            s, call.user, call.now, call.path["document_id"], call.path["annotation_id"]
        )
    return Response(status_code=204)


def annotated_pdf(call: Call) -> Response:
    path, name = annotations_exchange.export_annotated(
        documents(call.request), call, call.user, call.now, call.path["document_id"]
    )
    return scratch_file(path, name, "application/pdf")


# ---- comments ----------------------------------------------------------------------------------------------


def list_comments(call: Call) -> list[CommentOut]:
    with call.read() as s:
        return comments.list_comments(s, call.user, call.path["document_id"])


def add_comment(call: Call) -> CommentOut:
    with call.write() as s:
        return comments.add_comment(s, call.user, call.now, call.path["document_id"], call.body)


def handle_comment(call: Call) -> CommentOut:
    with call.write() as s:
        return comments.handle_comment(
            s, call.user, call.now, call.path["document_id"], call.path["comment_id"], call.body
        )


def comments_csv(call: Call) -> Response:
    with call.write() as s:
        data, name = comments.comments_csv(s, call.user, call.now, call.path["document_id"])
    headers = {"content-disposition": f"attachment; filename*=utf-8''{quote(name)}"}
    return Response(data, media_type="text/csv; charset=utf-8", headers=headers)


def comments_pdf(call: Call) -> Response:
    with call.write() as s:
        path, name = comments.comments_pdf(
            documents(call.request), s, call.user, call.now, call.path["document_id"]
        )
    return scratch_file(path, name, "application/pdf")


# ---- search ------------------------------------------------------------------------------------------------


def search_all(call: Call) -> list[SearchHit]:
    q: SearchQuery = call.query
    with call.read() as s:
        return search.search(s, call.user, q.q, q.limit)


DOC = "/api/documents/{document_id:int}"
MAX_ANNOTATION_BODY = 2_000_000

ROUTES: list[ApiRoute] = [
    raw("POST", "/api/meetings/{meeting_id:int}/documents", upload_document,
        "Upload a PDF as a new document of an agenda item (multipart: file, agenda_item_id, title, "
        "confidentiality, readers)", "documents", raw_body="multipart/form-data", response=UploadOut,
        status=201, errors=(403, 404, 409, 413, 422)),
    ApiRoute("GET", "/api/meetings/{meeting_id:int}/documents", list_documents,
             "The meeting's documents you may read", "documents", response=DocumentOut, many=True,
             errors=(403, 404)),
    raw("POST", DOC + "/versions", upload_version, "Upload a new version (multipart: file, title)",
        "documents", raw_body="multipart/form-data", response=UploadOut, status=201,
        errors=(403, 404, 409, 413, 422)),
    ApiRoute("GET", DOC, get_document, "A document, its versions and page hashes (audited: open)",
             "documents", response=DocumentDetail, errors=(403, 404)),
    ApiRoute("PATCH", DOC, patch_document, "Retitle, move, restrict, or set the comment deadline",
             "documents", body=DocumentPatch, response=DocumentOut, errors=(403, 404, 422)),
    raw("GET", DOC + "/pages/{page:int}", page_image,
        "A page as PNG or JPEG (?width=, &v= for an immutable URL); ETag, 304", "documents",
        query=PageQuery, errors=(403, 404, 422)),
    raw("GET", DOC + "/pages/{page:int}/text", page_text, "A page's words with boxes in page fractions",
        "documents", query=VersionQuery, response=PageTextOut, errors=(403, 404)),
    ApiRoute("GET", DOC + "/file", document_file, "The delivered PDF (range requests; audited: download)",
             "documents", query=VersionQuery, errors=(403, 404)),
    ApiRoute("GET", DOC + "/audit", audit_log, "Who opened, downloaded, annotated it",
             "documents", response=AuditOut, many=True, errors=(403, 404)),
    ApiRoute("GET", DOC + "/annotations", list_annotations, "Your annotations and the shared ones",
             "annotations", query=VersionQuery, response=AnnotationOut, many=True, errors=(403, 404)),
    ApiRoute("POST", DOC + "/annotations", add_annotation, "Annotate a page (private, or shared live)",
             "annotations", body=AnnotationIn, response=AnnotationOut, status=201,
             errors=(403, 404, 422), max_body=MAX_ANNOTATION_BODY),
    ApiRoute("PATCH", DOC + "/annotations/{annotation_id:int}", edit_annotation, "Change an annotation",
             "annotations", body=AnnotationPatch, response=AnnotationOut, errors=(403, 404, 422),
             max_body=MAX_ANNOTATION_BODY),
    ApiRoute("DELETE", DOC + "/annotations/{annotation_id:int}", delete_annotation,
             "Delete an annotation", "annotations", status=204, errors=(403, 404)),
    ApiRoute("GET", DOC + "/annotated.pdf", annotated_pdf,
             "Your annotated copy: real PDF annotations any reader shows", "annotations", errors=(403, 404)),
    raw("POST", DOC + "/annotations/import", import_annotations,
        "Import the annotations of an annotated PDF as your own (multipart: file)", "annotations",
        raw_body="multipart/form-data", response=ImportOut, errors=(403, 404, 413, 422)),
    ApiRoute("GET", DOC + "/comments", list_comments, "Comments (all, for the secretary; else yours)",
             "comments", response=CommentOut, many=True, errors=(403, 404)),
    ApiRoute("POST", DOC + "/comments", add_comment, "Comment on a passage (before the deadline)",
             "comments", body=CommentIn, response=CommentOut, status=201, errors=(403, 404, 409, 422)),
    ApiRoute("POST", DOC + "/comments/{comment_id:int}/handling", handle_comment,
             "Accept, explain or reject a comment, with an answer", "comments", body=HandlingIn,
             response=CommentOut, errors=(403, 404, 422)),
    ApiRoute("GET", DOC + "/comments.csv", comments_csv,
             "The summary table (bảng tổng hợp tiếp thu, giải trình) as CSV", "comments", errors=(403, 404)),
    ApiRoute("GET", DOC + "/comments.pdf", comments_pdf, "The summary table as PDF", "comments",
             errors=(403, 404)),
    ApiRoute("GET", "/api/search", search_all, "Search every document you may read (accents ignored)",
             "documents", query=SearchQuery, response=SearchHit, many=True, errors=(422,)),
]  # fmt: skip
