"""The signing core on real PDFs: the service's key (configured or demo), PAdES signing, and the checks
a reader of an uploaded signed document relies on."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docs_store.signature_check import check_signatures
from docs_store.signing import (
    DEMO_FILE,
    Credentials,
    SigningConfigError,
    demo_signer_name,
    service_credentials,
    sign_pdf,
)
from meetings.config import Settings
from tests.docs_store.signed_pdfs import altered_inside_signed_range, make_ca, page_appended, plain_pdf


def settings(tmp_path: Path, demo: bool = False, **env: str) -> Settings:
    return replace(Settings.from_env({"DATA_DIR": str(tmp_path / "data"), **env}), demo=demo)


def signed_file(tmp_path: Path, credentials: Credentials, name: str = "signed.pdf") -> Path:
    data = sign_pdf(plain_pdf(tmp_path / "plain.pdf").read_bytes(), credentials, "Phê duyệt")
    out = tmp_path / name
    out.write_bytes(data)
    return out


def test_demo_mode_makes_one_self_signed_certificate_and_keeps_it(tmp_path: Path) -> None:
    first = service_credentials(settings(tmp_path, demo=True))
    assert first is not None and first.signer_name == demo_signer_name()
    assert "Hà Giang" in first.signer_name and (tmp_path / "data" / DEMO_FILE).exists()
    stored = (tmp_path / "data" / DEMO_FILE).read_bytes()
    again = service_credentials(settings(tmp_path, demo=True))
    assert again is not None and again.cert == first.cert
    assert (tmp_path / "data" / DEMO_FILE).read_bytes() == stored


def test_production_without_a_key_signs_nothing_and_makes_no_key(tmp_path: Path) -> None:
    assert service_credentials(settings(tmp_path)) is None
    assert not (tmp_path / "data" / DEMO_FILE).exists()


def test_a_configured_pem_key_with_password_signs_as_its_certificate(tmp_path: Path) -> None:
    root, made = make_ca("Văn phòng UBND tỉnh")
    key = tmp_path / "key.pem"
    key.write_bytes(
        made.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"mat-khau"),
        )
    )
    cert = tmp_path / "cert.pem"
    cert.write_bytes(made.certificates_pem())
    env = {"CAUHOP_SIGNING_KEY": str(key), "CAUHOP_SIGNING_CERT": str(cert)}
    loaded = service_credentials(settings(tmp_path, demo=True, CAUHOP_SIGNING_PASSWORD="mat-khau", **env))
    assert loaded is not None and loaded.cert == made.cert and loaded.chain == made.chain
    [check] = check_signatures(signed_file(tmp_path, loaded), root)
    assert (check.signer, check.verdict, check.trusted) == ("Văn phòng UBND tỉnh", "intact", True)
    with pytest.raises(SigningConfigError, match="cannot load the private key"):
        service_credentials(settings(tmp_path, CAUHOP_SIGNING_PASSWORD="sai", **env))
    with pytest.raises(SigningConfigError, match="CAUHOP_SIGNING_CERT is not set"):
        service_credentials(settings(tmp_path, CAUHOP_SIGNING_KEY=str(key), CAUHOP_SIGNING_PASSWORD="x"))


def test_a_pkcs12_export_from_a_token_is_read_with_its_password(tmp_path: Path) -> None:
    _, made = make_ca("Nguyễn Thị Thu Hà")
    p12 = tmp_path / "token.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"ky-so",
            made.key,
            made.cert,
            list(made.chain),
            serialization.BestAvailableEncryption(b"123456a@"),
        )
    )
    good = settings(tmp_path, CAUHOP_SIGNING_KEY=str(p12), CAUHOP_SIGNING_PASSWORD="123456a@")
    loaded = service_credentials(good)
    assert loaded is not None and loaded.signer_name == "Nguyễn Thị Thu Hà"
    with pytest.raises(SigningConfigError, match="wrong password"):
        service_credentials(settings(tmp_path, CAUHOP_SIGNING_KEY=str(p12), CAUHOP_SIGNING_PASSWORD="no"))
    with pytest.raises(SigningConfigError, match="cannot read"):
        service_credentials(settings(tmp_path, CAUHOP_SIGNING_KEY=str(tmp_path / "missing.p12")))


def test_a_certificate_of_another_key_is_refused(tmp_path: Path) -> None:
    _, mine = make_ca("A")
    _, theirs = make_ca("B")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(
        mine.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert.write_bytes(theirs.certificates_pem())
    with pytest.raises(SigningConfigError, match="does not belong to the signing key"):
        service_credentials(settings(tmp_path, CAUHOP_SIGNING_KEY=str(key), CAUHOP_SIGNING_CERT=str(cert)))


def test_an_intact_signature_is_trusted_only_under_its_root(tmp_path: Path) -> None:
    root, made = make_ca("Sở Tài chính")
    path = signed_file(tmp_path, made)
    [trusted] = check_signatures(path, root)
    assert (trusted.intact, trusted.valid, trusted.coverage, trusted.changes_after) == (
        True,
        True,
        "whole_document",
        "none",
    )
    assert trusted.trusted and trusted.trust_problem is None and trusted.signed_at is not None
    other_root, _ = make_ca("Someone else")
    [unknown] = check_signatures(path, other_root)
    assert unknown.verdict == "intact" and not unknown.trusted and unknown.trust_problem


def test_bytes_changed_inside_the_signed_range_break_the_signature(tmp_path: Path) -> None:
    root, made = make_ca("Sở Tài chính")
    path = signed_file(tmp_path, made)
    path.write_bytes(altered_inside_signed_range(path.read_bytes()))
    [check] = check_signatures(path, root)
    assert (check.intact, check.verdict) == (False, "broken")


def test_a_page_appended_after_signing_is_a_modification(tmp_path: Path) -> None:
    root, made = make_ca("Sở Tài chính")
    [check] = check_signatures(page_appended(signed_file(tmp_path, made)), root)
    assert check.intact and check.coverage == "signed_revision"
    assert (check.changes_after, check.changes_allowed, check.verdict) == (
        "other",
        False,
        "modified_after_signing",
    )


def test_a_countersignature_is_an_allowed_change_for_the_first_signature(tmp_path: Path) -> None:
    root, service = make_ca("Cầu Họp")
    chair_root, chair = make_ca("Chủ tịch UBND tỉnh")
    first = signed_file(tmp_path, service)
    both = tmp_path / "both.pdf"
    both.write_bytes(sign_pdf_again(first.read_bytes(), chair))
    checks = check_signatures(both, root + chair_root)
    assert [(c.signer, c.verdict) for c in checks] == [
        ("Cầu Họp", "intact_then_allowed_changes"),
        ("Chủ tịch UBND tỉnh", "intact"),
    ]
    assert checks[0].changes_allowed and checks[0].changes_after == "form_filling"


def sign_pdf_again(pdf: bytes, credentials: Credentials) -> bytes:
    """An approval signature in a second field, the way a signer's own tool adds one."""
    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(credentials.cert.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            credentials.key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in credentials.chain]
        ),
    )
    meta = signers.PdfSignatureMetadata(field_name="ChuTich", subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()


def test_a_pdf_without_signatures_has_none(tmp_path: Path) -> None:
    assert check_signatures(plain_pdf(tmp_path / "plain.pdf")) == []


def test_a_malformed_signature_dictionary_is_reported_broken(tmp_path: Path) -> None:
    root, made = make_ca("Sở Tài chính")
    path = signed_file(tmp_path, made)
    path.write_bytes(path.read_bytes().replace(b"/ByteRange", b"/ByteRangX"))
    [check] = check_signatures(path, root)
    assert check.verdict == "broken" and not check.intact
    assert check.problem is not None and "ByteRange" in check.problem
