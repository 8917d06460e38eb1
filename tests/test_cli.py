"""The `cauhop` command and the served app, as a newcomer uses them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

CAUHOP = [sys.executable, "-m", "cauhop_cli"]


def run(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(CAUHOP + args, env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"cauhop {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def env(empty_db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": empty_db_url, "DATA_DIR": str(tmp_path / "data")}


def test_help_lists_every_command() -> None:
    out = subprocess.run(CAUHOP + ["--help"], capture_output=True, text=True, check=True).stdout
    for name in ("serve", "seed-demo", "import-units", "export-units", "create-user", "migrate"):
        assert name in out


def test_seed_export_import_and_users(env: dict[str, str], tmp_path: Path) -> None:
    run(["migrate"], env)
    out = run(["seed-demo"], env).stdout
    assert "241 bridge points" in out and "delegate01" in out
    assert "already holds" in run(["seed-demo", "--if-empty"], env).stdout
    run(["export-units", "-o", str(tmp_path / "units.csv")], env)
    run(["export-units", "--bridge-points", "-o", str(tmp_path / "bps.csv")], env)
    assert len((tmp_path / "bps.csv").read_text().splitlines()) == 242
    result = run(["import-units", str(tmp_path / "bps.csv")], env)
    assert "bridge_points: 0 created, 241 updated" in result.stdout
    assert "241/241" in result.stderr  # the progress bar
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,kind,parent_code\nX1,,commune,peoples_committee,HG\n", encoding="utf-8")
    result = run(["import-units", str(bad)], env, check=False)
    assert result.returncode == 1 and "line 2: name is empty" in result.stderr
    result = run(
        ["create-user", "thuky2", "--password", "demo", "--role", "secretary", "--unit", "HG-UBND"],
        env,
        check=False,
    )
    assert result.returncode == 2 and "default password" in result.stderr
    run(
        [
            "create-user",
            "thuky2",
            "--password",
            "a-long-passphrase",
            "--role",
            "secretary",
            "--unit",
            "HG-UBND",
        ],
        env,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_served_demo_answers_over_real_http(env: dict[str, str]) -> None:
    run(["migrate"], env)
    run(["seed-demo"], env)
    port = _free_port()
    server = subprocess.Popen(
        CAUHOP + ["serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # wait for uvicorn to say it listens
            if "Uvicorn running" in line:
                break
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as r:
            assert json.load(r) == {"status": "ok"}
        req = urllib.request.Request(
            f"{base}/api/auth/login",
            data=b'{"username":"chair","password":"demo"}',
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            token = json.load(r)["access_token"]
        req = urllib.request.Request(f"{base}/api/meetings", headers={"authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            meetings = json.load(r)
        assert len(meetings) == 1 and len(meetings[0]["bridge_point_ids"]) == 241
        assert meetings[0]["status"] == "scheduled"
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as r:
            spec = json.load(r)
        assert "/api/meetings/{meeting_id}/transitions" in spec["paths"]
        with urllib.request.urlopen(f"{base}/docs", timeout=10) as r:
            assert "Cầu Họp API" in r.read().decode()
    finally:
        server.terminate()
        server.communicate(timeout=20)
