"""Real server processes for tests: `cauhop serve` on a free loopback port, stopped (or killed) after."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from typing import Any

import pytest

REDIS_URL = os.environ.get("CAUHOP_TEST_REDIS_URL")


def redis_url() -> str:
    if not REDIS_URL:
        pytest.fail(
            "CAUHOP_TEST_REDIS_URL is not set: start the services with `bash scripts/services start` "
            "(make test does) and export the Redis URL it prints"
        )
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `cauhop serve --demo` process; its output is drained in a thread so it never blocks."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cauhop_cli", "serve", "--demo", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the PDF workers are found and stopped with it
        )
        ready = threading.Event()
        self.drain = threading.Thread(target=self._drain, args=(ready,), daemon=True)
        self.drain.start()
        if not ready.wait(60) or self.proc.poll() is not None:
            self.stop()
            raise AssertionError("server did not start:\n" + "".join(self.lines))

    def _drain(self, ready: threading.Event) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Uvicorn running" in line:
                ready.set()
        ready.set()

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def login(self, username: str) -> str:
        status, body = self.request("POST", "/api/auth/login", {"username": username, "password": "demo"})
        assert status == 200, body
        return str(body["access_token"])

    def kill(self) -> None:
        """``kill -9`` of the server process alone (its PDF workers are orphaned, as in real life)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # what is left of the group (workers of a killed server)
        self.drain.join(timeout=20)  # the output ends once every process holding it is gone
        if self.proc.stdout is not None:
            self.proc.stdout.close()
