"""Real signed PDFs for the signature tests: a test CA and its signer, signed files, tampered copies."""

# mypy: allow-untyped-calls
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pymupdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from docs_store.signing import Credentials

TITLE = "Original title"
SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(signer_name: str) -> tuple[bytes, Credentials]:
    """A root CA (its PEM) and a signer's credentials issued by it, the root as the chain."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_ONLY, critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root.public_bytes(serialization.Encoding.PEM), Credentials(key, cert, (root,))


def plain_pdf(path: Path, text: str = "Tờ trình dự toán ngân sách 2027") -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    doc.set_metadata({"title": TITLE})
    doc.save(path)
    doc.close()
    return path


def altered_inside_signed_range(signed: bytes) -> bytes:
    """The file with its (signed, uncompressed) title changed, same length."""
    altered = signed.replace(TITLE.encode(), b"Altered  title")
    assert altered != signed and len(altered) == len(signed)
    return altered


def page_appended(path: Path) -> Path:
    """``path`` with a page added as an incremental update after its signatures."""
    doc = pymupdf.open(path)
    doc.new_page().insert_text((72, 72), "Trang thêm sau khi ký")
    doc.save(path, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP)
    doc.close()
    return path
