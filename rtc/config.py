"""Media configuration from the environment (read once at start-up, passed down as a plain value).

- ``CAUHOP_ICE_SERVERS``: JSON list of ``{"urls": ..., "username": ..., "credential": ...}`` handed to the
  relay's connections and to clients (the coturn set-up is in ``docs/turn.md``). Empty by default: no STUN
  server is ever contacted unless configured.
- ``CAUHOP_RTC_HOST_ADDRESSES``: comma-separated addresses to gather ICE host candidates on (e.g.
  ``127.0.0.1`` on a loopback-only test machine); unset: the service's ``HOST`` when that is a loopback
  address (the demo on 127.0.0.1 then works in a browser on the same machine), otherwise every interface.

Relays in a cascade (``rtc/cascade_service.py``; every process on one database and ``REDIS_URL``, sharing
``SECRET_KEY``):

- ``CAUHOP_RELAY_UNIT_ID``: the unit (e.g. a district) whose bridge points this process serves; unset: the
  root relay, which serves everyone no other relay takes (the one-process default).
- ``CAUHOP_PUBLIC_URL``: the address other relays and clients reach this process at (its id in the cascade);
  unset: ``http://HOST:PORT``.
- ``CAUHOP_RELAY_CAPACITY``: bridge points it serves directly (64); ``CAUHOP_RELAY_LAPSE``: seconds without
  a heartbeat (sent every ``lapse / 3``) after which a relay counts as failed (3).
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out


@dataclass(frozen=True)
class RtcSettings:
    ice_servers: tuple[IceServer, ...] = ()
    host_addresses: tuple[str, ...] | None = None
    stats_dir: Path | None = None  # per-meeting stats lines (JSON) are appended here
    stats_every: float = 10.0
    relay_unit_id: int | None = None
    public_url: str | None = None
    relay_capacity: int = 64
    relay_lapse: float = 3.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, data_dir: Path | None = None) -> RtcSettings:
        env = dict(os.environ if env is None else env)
        servers = tuple(parse_ice_servers(env.get("CAUHOP_ICE_SERVERS", "")))
        hosts_text = env.get("CAUHOP_RTC_HOST_ADDRESSES", "")
        hosts = tuple(h.strip() for h in hosts_text.split(",") if h.strip()) or None
        if hosts is None:
            hosts = _loopback_only(env.get("HOST", "127.0.0.1"))
        return cls(
            servers,
            hosts,
            (data_dir / "rtc-stats") if data_dir else None,
            relay_unit_id=_number(env, "CAUHOP_RELAY_UNIT_ID", int, None),
            public_url=env.get("CAUHOP_PUBLIC_URL", "").strip().rstrip("/") or None,
            relay_capacity=_number(env, "CAUHOP_RELAY_CAPACITY", int, 64),
            relay_lapse=_number(env, "CAUHOP_RELAY_LAPSE", float, 3.0),
        )


def _number(env: dict[str, str], name: str, kind: type[float], default: float | None) -> Any:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {text!r}")
    return value


def _loopback_only(host: str) -> tuple[str, ...] | None:
    if host == "localhost":
        return ("127.0.0.1",)
    try:
        return (host,) if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


def parse_ice_servers(text: str) -> list[IceServer]:
    if not text.strip():
        return []
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"CAUHOP_ICE_SERVERS is not JSON: {exc}") from None
    if not isinstance(raw, list):
        raise ValueError("CAUHOP_ICE_SERVERS must be a JSON list")
    out: list[IceServer] = []
    for item in raw:
        if not isinstance(item, dict) or "urls" not in item:
            raise ValueError("each ICE server needs 'urls'")
        urls = item["urls"]
        out.append(
            IceServer(
                tuple([urls] if isinstance(urls, str) else urls), item.get("username"), item.get("credential")
            )
        )
    return out
