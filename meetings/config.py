"""Configuration from the environment (the edge: read once, passed down as a plain value)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PASSWORDS = frozenset({"demo", "admin", "password", "123456", "12345678", "changeme"})


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    demo: bool = False
    setup_buffer_minutes: int = 15
    session_hours: int = 12
    secure_cookies: bool = False
    allowed_origins: tuple[str, ...] = ()
    signing_key: Path | None = None  # PEM/DER private key, or a PKCS#12 file holding key and certificate
    signing_cert: Path | None = None  # PEM/DER certificate (and its chain) for a PEM/DER key
    signing_password: str | None = field(default=None, repr=False)
    trust_roots: Path | None = None  # PEM bundle of the roots that uploaded signatures may chain to
    presence_heartbeat: float = 5.0  # seconds between a process's announcements of who it has online

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("DATA_DIR", "data")).resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'cauhop.sqlite3'}"
        return cls(
            database_url=normalise_database_url(database_url),
            data_dir=data_dir,
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            secret_key=env.get("SECRET_KEY") or secrets.token_urlsafe(32),
            demo=env.get("CAUHOP_DEMO", "") in {"1", "true", "yes"},
            setup_buffer_minutes=int(env.get("CAUHOP_SETUP_BUFFER_MINUTES", "15")),
            secure_cookies=env.get("CAUHOP_SECURE_COOKIES", "") in {"1", "true", "yes"},
            allowed_origins=tuple(
                o.strip() for o in env.get("CAUHOP_ALLOWED_ORIGINS", "").split(",") if o.strip()
            ),
            signing_key=_path(env.get("CAUHOP_SIGNING_KEY")),
            signing_cert=_path(env.get("CAUHOP_SIGNING_CERT")),
            signing_password=env.get("CAUHOP_SIGNING_PASSWORD") or None,
            trust_roots=_path(env.get("CAUHOP_TRUST_ROOTS")),
            presence_heartbeat=float(env.get("CAUHOP_PRESENCE_HEARTBEAT_SECONDS") or "5"),
        )


def _path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and use the psycopg 3 driver for it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
