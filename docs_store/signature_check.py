"""Check the signatures in a PDF: who signed, when, whether the signed bytes are intact, what was
appended after signing, and whether the signer's certificate chains to a configured trust root.

Nothing is fetched (no CRL, OCSP or AIA on the network): "trusted" means a path to one of the given
roots was found. "Not trusted" is not "broken": a signature can be intact and unknown. A signature whose
dictionary or CMS cannot be read is reported as broken, with the reason, and the others are still checked.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

# pyHanko logs a traceback for every certificate it cannot chain and every update it does not allow:
# here those are findings reported to the reader, not errors of the service
for _name in ("pyhanko.sign.validation.generic_cms", "pyhanko.sign.diff_analysis"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: "whole_document",
    SignatureCoverageLevel.ENTIRE_REVISION: "signed_revision",
}
# a signer's certificate must allow signing: digitalSignature or nonRepudiation, as PDF readers ask
SIGNER_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
CHANGES = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "validation_data",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a PDF, as a reader of the document needs to judge it.

    ``verdict``: ``intact`` (covers the whole file), ``intact_then_allowed_changes`` (later updates are
    only form filling, annotations or further signatures that the signature allows),
    ``modified_after_signing`` (later updates it does not allow) or ``broken`` (bytes changed inside the
    signed range, a signature value that does not match, or an unreadable signature)."""

    field: str
    kind: str  # "signature" or "document_timestamp"
    signer: str | None
    signed_at: datetime | None
    intact: bool
    valid: bool
    coverage: str  # whole_document | signed_revision | unclear
    changes_after: str | None  # none | validation_data | form_filling | annotations | other (None: unknown)
    changes_allowed: bool | None
    trusted: bool
    trust_problem: str | None
    verdict: str
    problem: str | None = None


def check_signatures(pdf: str | Path, trust_roots_pem: bytes = b"") -> list[SignatureCheck]:
    """Every signature field filled in ``pdf``, in signing order (unreadable ones last).
    Raises ``ValueError`` if pyHanko cannot read the file's structure at all."""
    roots = list(load_certs_from_pemder_data(trust_roots_pem)) if trust_roots_pem else []
    data = Path(pdf).read_bytes()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        found = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:  # any parser failure means the same to the reader
        raise ValueError(f"the signatures cannot be read: {exc}") from None
    checks: list[tuple[int, SignatureCheck]] = []
    for name, _value, field_ref in found:
        try:
            embedded = EmbeddedPdfSignature(reader, field_ref, name)
            order = embedded.signed_revision
            checks.append((order, _check(embedded, roots)))
        except Exception as exc:  # a malformed signature is a finding about that signature
            checks.append((1 << 30, _broken(str(name), exc)))
    return [check for _, check in sorted(checks, key=lambda pair: pair[0])]


def _check(embedded: EmbeddedPdfSignature, roots: list[Any]) -> SignatureCheck:
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    if embedded.sig_object_type == "/DocTimeStamp":
        kind = "document_timestamp"
        status: Any = validate_pdf_timestamp(embedded, validation_context=context)
        signed_at = status.timestamp
    else:
        kind = "signature"
        status = validate_pdf_signature(
            embedded, signer_validation_context=context, key_usage_settings=SIGNER_KEY_USAGE
        )
        signed_at = status.signer_reported_dt
    level = status.modification_level
    changes = CHANGES.get(level) if level is not None else None
    allowed = None if level is None else level != ModificationLevel.OTHER and status.docmdp_ok is not False
    coverage = COVERAGE.get(status.coverage, "unclear")
    indic = status.trust_problem_indic
    return SignatureCheck(
        field=str(embedded.field_name),
        kind=kind,
        signer=_common_name(status.signing_cert),
        signed_at=signed_at,
        intact=bool(status.intact),
        valid=bool(status.valid),
        coverage=coverage,
        changes_after=changes,
        changes_allowed=allowed,
        trusted=bool(status.trusted),
        trust_problem=None if status.trusted else (indic.name.lower() if indic else "not_trusted"),
        verdict=_verdict(status.intact and status.valid, coverage, allowed),
    )


def _verdict(sound: bool, coverage: str, allowed: bool | None) -> str:
    if not sound:
        return "broken"
    if coverage == "whole_document":
        return "intact"
    if coverage == "signed_revision" and allowed:
        return "intact_then_allowed_changes"
    return "modified_after_signing"


def _broken(field: str, exc: Exception) -> SignatureCheck:
    return SignatureCheck(
        field=field,
        kind="signature",
        signer=None,
        signed_at=None,
        intact=False,
        valid=False,
        coverage="unclear",
        changes_after=None,
        changes_allowed=None,
        trusted=False,
        trust_problem=None,
        verdict="broken",
        problem=f"the signature cannot be read: {exc}" if str(exc) else type(exc).__name__,
    )


def _common_name(cert: Any) -> str | None:
    if cert is None:
        return None
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)
