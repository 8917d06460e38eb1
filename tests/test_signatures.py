"""Digital signatures over HTTP: the minutes come signed by the service (PAdES), and the signatures of an
uploaded document are listed with who signed, when, and whether the file is still as signed."""

# mypy: allow-untyped-calls
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import Session, select
from starlette.testclient import TestClient

from docs_store.signing import DEMO_FILE, demo_signer_name, sign_pdf
from meetings.auth import hash_password
from meetings.config import Settings
from meetings.db import make_engine
from meetings.models import User
from server import create_app
from tests.conftest import login
from tests.docs_store.signed_pdfs import altered_inside_signed_range, make_ca, page_appended, plain_pdf
from tests.test_documents import new_version, person_of, published

MEETING = 1  # the demo conference


def minutes_of_a_short_meeting(client: TestClient) -> tuple[bytes, str]:
    h = login(client, "chair")
    for body in (
        {"type": "start", "id": "go"},
        {"type": "conclude", "id": "k", "text": "Thống nhất thông qua báo cáo."},
        {"type": "end", "id": "end"},
    ):
        r = client.post(f"/api/meetings/{MEETING}/commands", json=body, headers=h)
        assert r.status_code == 200, r.text
    r = client.get(f"/api/meetings/{MEETING}/minutes.pdf", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    return r.content, r.headers["x-cauhop-signature"]


def text_of(pdf: bytes) -> str:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return " ".join(" ".join(page.get_text().split()) for page in doc)


def test_the_minutes_come_signed_by_the_demo_certificate(client: TestClient, settings: Settings) -> None:
    pdf, header = minutes_of_a_short_meeting(client)
    assert header == "PAdES-B-B"
    assert f"Ký số (PAdES) bởi: {demo_signer_name()}." in text_of(pdf)
    assert "Thống nhất thông qua báo cáo." in text_of(pdf)
    demo_cert = load_cert_from_pemder(str(settings.data_dir / DEMO_FILE))
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[demo_cert]))
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.dump() == demo_cert.dump()
    assert status.signing_cert.subject.native["common_name"] == demo_signer_name()
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


@pytest.fixture
def production(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    """The service outside demo mode, the chair with a real password."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        chair = s.exec(select(User).where(User.username == "chair")).one()
        chair.password_hash = hash_password("Hội-nghị-trực-tuyến-2027")
        s.add(chair)
        s.commit()
    engine.dispose()
    settings = replace(Settings.from_env({"DATA_DIR": str(tmp_path / "prod")}), database_url=db_url)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def test_without_a_key_in_production_the_minutes_are_unsigned_and_say_so(
    production: tuple[TestClient, Settings],
) -> None:
    client, settings = production
    h = login(client, "chair", "Hội-nghị-trực-tuyến-2027")
    r = client.get(f"/api/meetings/{MEETING}/minutes.pdf", headers=h)
    assert r.status_code == 200
    assert r.headers["x-cauhop-signature"].startswith("unsigned: no signing key is configured")
    assert "Chưa ký số: máy chủ chưa cấu hình khóa ký." in text_of(r.content)
    assert PdfFileReader(io.BytesIO(r.content)).embedded_signatures == []
    assert not (settings.data_dir / DEMO_FILE).exists()


def test_a_configured_key_that_cannot_be_read_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "khoa.pem"
    broken.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    env = {"DATA_DIR": str(tmp_path / "data"), "CAUHOP_SIGNING_KEY": str(broken)}
    settings = replace(Settings.from_env(env), database_url=db_url, demo=True)
    with TestClient(create_app(settings)) as client:
        r = client.get(f"/api/meetings/{MEETING}/minutes.pdf", headers=login(client, "chair"))
    assert r.status_code == 503
    assert r.json()["detail"] == (
        "the minutes cannot be signed: CAUHOP_SIGNING_CERT is not set: a PEM/DER key needs its certificate"
    )


# ---- signatures of uploaded documents ----------------------------------------------------------------------


def signed_upload(tmp_path: Path, signer: str = "Giám đốc Sở Tài chính") -> tuple[bytes, Path]:
    """A real signed PDF (its signer issued by a test CA) and the CA's root as a PEM bundle file."""
    root, credentials = make_ca(signer)
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(root)
    return sign_pdf(plain_pdf(tmp_path / "to-trinh.pdf").read_bytes(), credentials, "Trình ký"), bundle


def signatures(client: TestClient, h: dict[str, str], doc: int, version: int | None = None) -> Any:
    query = f"?v={version}" if version else ""
    r = client.get(f"/api/documents/{doc}/signatures{query}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_uploaded_signed_pdf_lists_its_signer_intact_and_trusted_under_the_roots(
    settings: Settings, tmp_path: Path
) -> None:
    signed, bundle = signed_upload(tmp_path)
    with TestClient(create_app(replace(settings, trust_roots=bundle))) as client:
        sec = login(client, "secretary")
        doc = published(client, sec, write(tmp_path / "signed.pdf", signed))
        found = signatures(client, login(client, "delegate01"), doc)
    assert (found["document_id"], found["version"], found["problem"]) == (doc, 1, None)
    [one] = found["signatures"]
    assert (one["signer"], one["intact"], one["valid"], one["coverage"], one["verdict"]) == (
        "Giám đốc Sở Tài chính",
        True,
        True,
        "whole_document",
        "intact",
    )
    assert one["trusted"] and one["trust_problem"] is None and one["signed_at"].startswith("20")


def test_the_copy_delegates_download_of_a_signed_pdf_is_the_signed_file_itself(
    client: TestClient, tmp_path: Path
) -> None:
    signed, _ = signed_upload(tmp_path)
    sec = login(client, "secretary")
    doc = published(client, sec, write(tmp_path / "signed.pdf", signed))
    r = client.get(f"/api/documents/{doc}/file", headers=login(client, "delegate01"))
    assert r.status_code == 200 and r.content == signed  # not rewritten: its signature still verifies
    [signature] = PdfFileReader(io.BytesIO(r.content)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[]))
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_without_its_root_a_sound_signature_is_intact_but_not_trusted(
    client: TestClient, tmp_path: Path
) -> None:
    signed, bundle = signed_upload(tmp_path)
    sec = login(client, "secretary")
    doc = published(client, sec, write(tmp_path / "signed.pdf", signed))
    [one] = signatures(client, sec, doc)["signatures"]
    assert (one["verdict"], one["intact"], one["trusted"]) == ("intact", True, False)
    assert one["trust_problem"]


def test_altered_bytes_and_an_appended_page_are_reported_per_version(
    client: TestClient, tmp_path: Path
) -> None:
    signed, bundle = signed_upload(tmp_path)
    sec = login(client, "secretary")
    doc = published(client, sec, write(tmp_path / "signed.pdf", signed))
    r = new_version(client, sec, doc, altered_inside_signed_range(signed))
    assert r.status_code == 201, r.text
    r = new_version(client, sec, doc, page_appended(write(tmp_path / "appended.pdf", signed)))
    assert r.status_code == 201, r.text
    [v1] = signatures(client, sec, doc, 1)["signatures"]
    [v2] = signatures(client, sec, doc, 2)["signatures"]
    [v3] = signatures(client, sec, doc)["signatures"]
    assert (v1["intact"], v1["verdict"]) == (True, "intact")
    assert (v2["intact"], v2["verdict"]) == (False, "broken")
    assert (v3["intact"], v3["coverage"], v3["changes_allowed"], v3["verdict"]) == (
        True,
        "signed_revision",
        False,
        "modified_after_signing",
    )
    assert signatures(client, sec, doc)["version"] == 3


def test_a_pdf_without_signatures_lists_none(client: TestClient, tmp_path: Path) -> None:
    sec = login(client, "secretary")
    doc = published(client, sec, plain_pdf(tmp_path / "plain.pdf"))
    assert signatures(client, sec, doc)["signatures"] == []


def test_a_malformed_signature_is_reported_broken_not_a_server_error(
    client: TestClient, tmp_path: Path
) -> None:
    signed, bundle = signed_upload(tmp_path)
    sec = login(client, "secretary")
    doc = published(client, sec, write(tmp_path / "bad.pdf", signed.replace(b"/ByteRange", b"/ByteRangX")))
    [one] = signatures(client, sec, doc)["signatures"]
    assert one["verdict"] == "broken" and "ByteRange" in one["problem"]


def test_the_minutes_this_demo_signed_check_as_trusted_once_uploaded(
    client: TestClient, tmp_path: Path
) -> None:
    pdf, _ = minutes_of_a_short_meeting(client)
    sec = login(client, "secretary")
    doc = published(client, sec, write(tmp_path / "bien-ban.pdf", pdf), "Biên bản")
    [one] = signatures(client, sec, doc)["signatures"]
    assert (one["signer"], one["verdict"], one["trusted"]) == (demo_signer_name(), "intact", True)


def test_signatures_are_as_confidential_as_the_document(client: TestClient, tmp_path: Path) -> None:
    signed, bundle = signed_upload(tmp_path)
    sec = login(client, "secretary")
    reader = person_of(client, "delegate02")
    doc = published(
        client, sec, write(tmp_path / "mat.pdf", signed), confidentiality="named", readers=str(reader)
    )
    r = client.get(f"/api/documents/{doc}/signatures", headers=login(client, "delegate01"))
    assert (r.status_code, r.json()["detail"]) == (404, f"document {doc} does not exist")
    assert len(signatures(client, login(client, "delegate02"), doc)["signatures"]) == 1
    r = client.get(f"/api/documents/{doc}/signatures?v=9", headers=sec)
    assert (r.status_code, r.json()["detail"]) == (404, f"document {doc} has no version 9")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
