"""The signatures of a stored document version, checked (``docs_store.signature_check``).

The check reads the file as it was uploaded, not the delivered copy: sanitising rewrites a PDF, which
would break every signature in it. It runs in a document worker process, like every other parse of an
uploaded file. Who may read the document may see its signatures; others get the document routes' 404.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from docs_store.access import get_version, readable
from docs_store.models import VersionQuery
from docs_store.signature_check import SignatureCheck, check_signatures
from docs_store.signing import SigningConfigError, trust_roots_pem
from docs_store.store import DocumentStore
from web.endpoint import ApiRoute, Call


class SignatureOut(BaseModel):
    """One signature: ``verdict`` is intact | intact_then_allowed_changes | modified_after_signing | broken;
    ``trusted`` says whether the signer's certificate chains to a configured root (not trusted ≠ broken)."""

    field: str
    kind: str
    signer: str | None
    signed_at: datetime | None
    intact: bool
    valid: bool
    coverage: str
    changes_after: str | None
    changes_allowed: bool | None
    trusted: bool
    trust_problem: str | None
    verdict: str
    problem: str | None


class SignaturesOut(BaseModel):
    document_id: int
    version: int
    signatures: list[SignatureOut]
    problem: str | None = None  # set when the file's structure could not be read for signatures


def document_signatures(call: Call) -> SignaturesOut | Response:
    q: VersionQuery = call.query
    docs: DocumentStore = call.request.app.state.documents
    doc_id = call.path["document_id"]
    with call.read() as s:
        doc, _ = readable(s, call.user, doc_id)
        version = get_version(s, doc, q.v)
        original = docs.blobs.path_for(version.original_sha256)
    try:
        roots = trust_roots_pem(call.settings)
    except SigningConfigError as exc:
        return JSONResponse({"detail": f"signatures cannot be checked: {exc}"}, status_code=503)
    try:
        checks: list[SignatureCheck] = docs.run(check_signatures, str(original), roots)
    except ValueError as exc:
        return SignaturesOut(document_id=doc_id, version=version.number, signatures=[], problem=str(exc))
    found = [SignatureOut.model_validate(check, from_attributes=True) for check in checks]
    return SignaturesOut(document_id=doc_id, version=version.number, signatures=found)


ROUTES = [
    ApiRoute(
        "GET",
        "/api/documents/{document_id:int}/signatures",
        document_signatures,
        "The digital signatures of a version as uploaded: signer, time, intact, whole document or changed "
        "after signing, trusted under CAUHOP_TRUST_ROOTS",
        "documents",
        query=VersionQuery,
        response=SignaturesOut,
        errors=(403, 404, 503),
    ),
]
