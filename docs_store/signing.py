"""PAdES signatures made by the service: its key and certificate, and signing a PDF with them.

The key comes from the configuration (``CAUHOP_SIGNING_KEY``: a PEM/DER private key with
``CAUHOP_SIGNING_CERT``, or a PKCS#12 file holding both; ``CAUHOP_SIGNING_PASSWORD`` if it is
encrypted). In demo mode without one, a self-signed certificate for the demo province is made once under
``DATA_DIR/signing``; in production mode there is none, and callers serve the file unsigned, saying so.

Signatures are PAdES baseline B-B (ETSI.CAdES.detached, signing certificate in the signed attributes),
invisible, certifying the document with form filling and further signatures allowed (so the chair can
countersign with a token). There is no time-stamp (B-T needs a time-stamping authority on the network).
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from meetings.config import Settings
from meetings.demo_province import province

DEMO_FILE = Path("signing") / "demo-signing.pem"
DEMO_YEARS = 10
FIELD_NAME = "CauHop"
PKCS12_SUFFIXES = frozenset({".p12", ".pfx"})
CMS_OVERHEAD = 8192  # signed attributes, a 4096-bit RSA signature, and margin, beyond the certificates


class SigningConfigError(Exception):
    """A signing setting (key, certificate, trust roots) cannot be used; the message names it and why."""


@dataclass(frozen=True)
class Credentials:
    """A private key, its certificate and the certificates between it and a root."""

    key: PrivateKeyTypes
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def signer_name(self) -> str:
        return common_name(self.cert)

    def certificates_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain))


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else cert.subject.rfc4514_string()
    return value.decode() if isinstance(value, bytes) else value


def service_credentials(settings: Settings) -> Credentials | None:
    """The key the service signs with: configured, the demo one (demo mode), or none (production)."""
    if settings.signing_key is not None:
        return _configured(settings.signing_key, settings.signing_cert, settings.signing_password)
    if settings.demo:
        return _demo(settings.data_dir / DEMO_FILE)
    return None


@functools.lru_cache(maxsize=8)
def _configured(key_path: Path, cert_path: Path | None, password: str | None) -> Credentials:
    secret = password.encode() if password else None
    key_data = _read(key_path, "CAUHOP_SIGNING_KEY")
    if key_path.suffix.lower() in PKCS12_SUFFIXES:
        return _from_pkcs12(key_data, secret)
    if cert_path is None:
        raise SigningConfigError("CAUHOP_SIGNING_CERT is not set: a PEM/DER key needs its certificate")
    return credentials_from(key_data, _read(cert_path, "CAUHOP_SIGNING_CERT"), secret)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def _from_pkcs12(data: bytes, password: bytes | None) -> Credentials:
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise SigningConfigError(
            f"CAUHOP_SIGNING_KEY: not a PKCS#12 file or wrong password ({exc})"
        ) from None
    if key is None or cert is None:
        raise SigningConfigError("CAUHOP_SIGNING_KEY: the PKCS#12 file holds no private key and certificate")
    return _matched(key, [cert, *others])


def credentials_from(key_data: bytes, certs_data: bytes, password: bytes | None) -> Credentials:
    """Credentials from a PEM or DER private key and a PEM bundle (or one DER certificate)."""
    try:
        if b"-----BEGIN" in key_data:
            key = serialization.load_pem_private_key(key_data, password)
        else:
            key = serialization.load_der_private_key(key_data, password)
    except (ValueError, TypeError) as exc:
        raise SigningConfigError(f"CAUHOP_SIGNING_KEY: cannot load the private key ({exc})") from None
    try:
        if b"-----BEGIN" in certs_data:
            certs = x509.load_pem_x509_certificates(certs_data)
        else:
            certs = [x509.load_der_x509_certificate(certs_data)]
    except ValueError as exc:
        raise SigningConfigError(f"CAUHOP_SIGNING_CERT: cannot load the certificate ({exc})") from None
    return _matched(key, certs)


def _matched(key: PrivateKeyTypes, certs: list[x509.Certificate]) -> Credentials:
    """The certificate of ``key`` among ``certs``; the others are its chain."""
    public = _spki(key.public_key())
    own = [c for c in certs if _spki(c.public_key()) == public]
    if not own:
        raise SigningConfigError("the signing certificate does not belong to the signing key")
    return Credentials(key, own[0], tuple(c for c in certs if c is not own[0]))


def _spki(public: object) -> bytes:
    assert hasattr(public, "public_bytes")
    return bytes(
        public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@functools.lru_cache(maxsize=8)
def _demo(path: Path) -> Credentials:
    """The demo credentials stored at ``path``, made the first time (the first writer wins a race)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{secrets.token_hex(8)}.pem")
        scratch.write_bytes(_make_demo(dt.datetime.now(dt.UTC)))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    data = path.read_bytes()
    return credentials_from(data, data, None)


def demo_province_name() -> str:
    return next(u.name for u in province()[0] if u.parent_code is None)


def demo_signer_name() -> str:
    return f"Cầu Họp - {demo_province_name()} (demo)"


def _make_demo(now: dt.datetime) -> bytes:
    """A self-signed certificate for the demo province and its key, as one PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())  # ECDSA P-256: loaded in microseconds, unlike RSA
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{demo_province_name()} (demo)"),
            x509.NameAttribute(NameOID.COMMON_NAME, demo_signer_name()),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * DEMO_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem_key + cert.public_bytes(serialization.Encoding.PEM)


def trust_roots_pem(settings: Settings) -> bytes:
    """The roots uploaded signatures may chain to: the ``CAUHOP_TRUST_ROOTS`` bundle, and in demo mode
    (without a configured key) the demo certificate, so the minutes this demo signed check as trusted."""
    bundle = _trust_bundle(settings.trust_roots) if settings.trust_roots else b""
    if settings.demo and settings.signing_key is None:
        bundle += _demo(settings.data_dir / DEMO_FILE).certificates_pem()
    return bundle


@functools.lru_cache(maxsize=8)
def _trust_bundle(path: Path) -> bytes:
    data = _read(path, "CAUHOP_TRUST_ROOTS")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise SigningConfigError(
            f"CAUHOP_TRUST_ROOTS: {path} is not a PEM bundle of certificates ({exc})"
        ) from None
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def sign_pdf(pdf: bytes, credentials: Credentials, reason: str, location: str = "") -> bytes:
    """``pdf`` with an invisible PAdES B-B certification signature appended as an incremental update."""
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(credentials.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            credentials.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in credentials.chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location or None,
        name=credentials.signer_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signers.sign_pdf(writer, meta, signer=signer, output=out, bytes_reserved=_room_for(credentials))
    return out.getvalue()


def _room_for(credentials: Credentials) -> int:
    """Bytes to reserve for the CMS: the certificates it carries and room for the rest. Given, it spares
    pyHanko a trial signature to measure (which loads the key a second time: 0.1-0.2 s for RSA)."""
    certs = sum(
        len(c.public_bytes(serialization.Encoding.DER)) for c in (credentials.cert, *credentials.chain)
    )
    return 2 * ((certs + CMS_OVERHEAD + 1) // 2)  # pyHanko asks for an even count


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
