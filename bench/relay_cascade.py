"""Media cascade: the same call served by one relay process, then split over a root and a district relay.

Real `cauhop serve` processes on loopback (one SQLite database seeded with the demo province, one Redis, one
SECRET_KEY). The chair's room publishes a synthetic camera (``testsrc``, 15 fps) to the root; N receiving
rooms join by asking the root: half are communes of one district, half are rooms of the province. Layouts:

  1. one relay: no district relay; the root serves all N legs.
  2. cascade: a district relay (CAUHOP_RELAY_UNIT_ID) also runs; the root's plan redirects the communes to
     it, and it links up to the root (one incoming stream for all its communes).

Per layout, over a window of ``--seconds``: each relay process's CPU (% of one core, from /proc), the
frames per second the receivers decode in each group, and the latency the district's receivers see beyond
the province's (the same frame, told apart by its counter bars, decoded in this one process): in the cascade,
the cost of the extra hop; with one relay, the noise floor of that comparison. Receivers decode (aiortc), so
N stays small on this machine; the forwarding cost per leg is bench/relay.py's subject.

    .venv/bin/python bench/relay_cascade.py [--receivers 4,8] [--seconds 10] [--redis redis://127.0.0.1:63799/0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from meetings.db import make_engine  # noqa: E402
from meetings.models import BridgePoint, MeetingBridgePoint, Unit  # noqa: E402
from rtc import aiortc_hook as hook  # noqa: E402
from rtc.agent import Agent, AgentOptions  # noqa: E402
from rtc.signal_client import WebSocketSignal, ws_url  # noqa: E402

MEETING, CHAIR_SLOT, FPS = 1, 1, 15
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Relay:
    """One `cauhop serve` process, ready when /healthz answers."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "cauhop_cli", "serve", "--demo", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            command + ["--log-level", "warning"], env=env, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the relay did not start: see {log}") from None
                time.sleep(0.2)

    def cpu(self) -> float:
        """Seconds of CPU the process has used."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()


def rooms(db_url: str) -> tuple[int, int, list[int], list[int]]:
    """(the chair's room, a district unit, its communes' rooms, province rooms outside that district)."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        in_meeting = select(MeetingBridgePoint.bridge_point_id).where(
            MeetingBridgePoint.meeting_id == MEETING
        )
        rows = s.exec(
            select(BridgePoint.id, BridgePoint.code, Unit.level, Unit.parent_id)
            .join(Unit, col(Unit.id) == BridgePoint.unit_id)
            .where(col(BridgePoint.id).in_(in_meeting))
            .order_by(col(BridgePoint.id))
        ).all()
    engine.dispose()
    points = [(bp, code, level, parent) for bp, code, level, parent in rows if bp is not None]
    chair = next(bp for bp, code, _, _ in points if code == "BP-HG-UBND")
    district = next(parent for _, _, level, parent in points if level == "commune" and parent is not None)
    communes = [bp for bp, _, level, parent in points if level == "commune" and parent == district]
    others = [bp for bp, _, level, parent in points if level == "commune" and parent != district]
    return chair, district, communes, others


def sees(agent: Agent, ident: int) -> bool:
    return agent.slots[CHAIR_SLOT].last_id() == ident


async def measure(
    root: Relay, district: Relay | None, chair_bp: int, near: list[int], far: list[int], seconds: float
) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{root.base}/api/auth/login", json={"username": "chair", "password": "demo"})
        token = r.json()["access_token"]
    chair = Agent(AgentOptions(bridge_point_id=chair_bp, fps=FPS))
    receivers = {bp: Agent(AgentOptions(bridge_point_id=bp, publish=False)) for bp in near + far}
    try:
        await chair.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
        for agent in receivers.values():
            await agent.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
        served = {bp: getattr(a.signal, "redirected_to", None) or root.base for bp, a in receivers.items()}
        ident = chair_bp % 256
        for agent in receivers.values():
            await agent.wait_until(partial(sees, agent, ident), 30)
        relays = [root, *([district] if district else [])]
        cpu0, t0 = [r.cpu() for r in relays], time.time()
        await asyncio.sleep(seconds)  # the measuring window
        cpu1, t1 = [r.cpu() for r in relays], time.time()
    finally:
        for agent in (chair, *receivers.values()):
            await agent.close()

    def window(bp: int) -> list[tuple[float, int]]:
        return [
            (t, c)
            for t, i, c in receivers[bp].slots[CHAIR_SLOT].decoded
            if t0 <= t <= t1 and i == ident and c is not None
        ]

    def fps(group: list[int]) -> float:
        return statistics.mean(len(window(bp)) / (t1 - t0) for bp in group)

    reference = window(far[0])  # a province room, served by the root in both layouts
    extra: list[float] = []
    for bp in near:
        for t, c in window(bp):
            same = [t - tr for tr, cr in reference if cr == c and abs(t - tr) < 1.0]
            if same:
                extra.append(min(same, key=abs))
    extra.sort()
    return {
        "cpu": [100 * (b - a) / (t1 - t0) for a, b in zip(cpu0, cpu1, strict=True)],
        "near_fps": fps(near),
        "far_fps": fps(far),
        "at_district": sum(1 for bp in near if district and served[bp] == district.base),
        "extra_p50": 1000 * extra[len(extra) // 2] if extra else float("nan"),
        "extra_p99": 1000 * extra[min(len(extra) - 1, int(0.99 * len(extra)))] if extra else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--receivers", default="4,8", help="receiving rooms per run (half communes of one district)"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--redis", default=os.environ.get("CAUHOP_TEST_REDIS_URL", "redis://127.0.0.1:63799/0")
    )
    args = parser.parse_args()
    hook.use_host_addresses(["127.0.0.1"])
    folder = Path(tempfile.mkdtemp(prefix="cauhop-bench-cascade-"))
    try:
        db_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "DATA_DIR": str(folder / "data"),
            "REDIS_URL": args.redis,
            "SECRET_KEY": secrets.token_urlsafe(16),
            "CAUHOP_RTC_HOST_ADDRESSES": "127.0.0.1",
        }
        for step in (["migrate"], ["seed-demo"]):
            subprocess.run(
                [sys.executable, "-m", "cauhop_cli", *step], env=env, check=True, stdout=subprocess.DEVNULL
            )
        chair, district_unit, communes, others = rooms(db_url)
        print(
            "| receivers | layout | root CPU % | district CPU % | fps: district's communes / province "
            "| communes at the district relay | extra latency p50 / p99 (ms) |"
        )
        print("|---|---|---|---|---|---|---|")
        for n in (int(x) for x in args.receivers.split(",")):
            near, far = communes[: n // 2], others[: n - n // 2]
            for layout in ("one relay", "cascade"):
                root = Relay(env, folder / "root.log")
                district = (
                    Relay({**env, "CAUHOP_RELAY_UNIT_ID": str(district_unit)}, folder / "district.log")
                    if layout == "cascade"
                    else None
                )
                try:
                    if district is not None:
                        wait_for_heartbeat(root, district)
                    row = asyncio.run(measure(root, district, chair, near, far, args.seconds))
                    cpu = [f"{c:.1f}" for c in row["cpu"]] + ["–"]
                    fps = f"{row['near_fps']:.1f} / {row['far_fps']:.1f}"
                    extra = f"{row['extra_p50']:.1f} / {row['extra_p99']:.1f}"
                    print(
                        f"| {n} | {layout} | {cpu[0]} | {cpu[1]} | {fps} "
                        f"| {row['at_district']} of {len(near)} | {extra} |",
                        flush=True,
                    )
                except Exception as exc:  # a failed run is a row saying why
                    print(f"| {n} | {layout} | failed: {type(exc).__name__}: {exc} | | | | |", flush=True)
                finally:
                    if district is not None:
                        district.stop()
                    root.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_heartbeat(root: Relay, district: Relay) -> None:
    """Until the root lists the district relay as alive (the media route, as the operations board asks)."""
    token = httpx.post(f"{root.base}/api/auth/login", json={"username": "chair", "password": "demo"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    deadline = time.monotonic() + 15
    while (
        district.base
        not in httpx.get(f"{root.base}/api/meetings/{MEETING}/media", headers=headers).json()["relays"]
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the root never heard the district relay")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
