"""Media tests run on loopback only: ICE gathers host candidates on 127.0.0.1 and nothing else, and no STUN
server is configured (``aiortc_hook.configuration`` never adds aiortc's default Google STUN)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtc import aiortc_hook as hook


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    hook.use_host_addresses(["127.0.0.1"])
    yield
    hook.use_host_addresses(None)
