"""Digital signatures over HTTP: the minutes come signed by the service (PAdES), and the signatures of an
uploaded document are listed with who signed, when, and whether the file is still as signed."""

# mypy: allow-untyped-calls
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import Session, select
from starlette.testclient import TestClient

from docs_store.signing import DEMO_FILE, demo_signer_name
from meetings.auth import hash_password
from meetings.config import Settings
from meetings.db import make_engine
from meetings.models import User
from server import create_app
from tests.conftest import login

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
