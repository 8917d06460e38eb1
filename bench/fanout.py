"""Live fan-out: a presenter page turn from the chair's command to 1,000 connected tablets.

Runs, in one go on this machine (loopback only):
  1. Cầu Họp (`cauhop serve`, one process, SQLite demo in a temporary folder): the chair sends `present`
     over its WebSocket; every tablet socket receives the `live.presenter` event. Full path: auth'd socket,
     validation, permission, the log write (one transaction), the bus, per-connection ordering.
  2. A bare `websockets` server: a control socket sends the same bytes; the server `broadcast`s them.
Clients are spread over several processes; latency is measured on the machine-wide monotonic clock from
just before the chair's send to each client's receive. Prints p50/p99 for both and the ratios.

    .venv/bin/python bench/fanout.py [--clients 1000] [--procs 4] [--turns 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets
from websockets.asyncio.server import broadcast, serve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---- client processes ----
async def _clients(
    url: str,
    count: int,
    headers: list[dict[str, str]],
    ready: mp.Event,
    turns: int,
    out: mp.Queue,
    bare: bool,
) -> None:
    sockets = []
    for i in range(count):
        ws = await websockets.connect(
            url,
            additional_headers=headers[i % len(headers)],
            max_size=2**22,
            open_timeout=60,
            ping_interval=None,
        )
        if not bare:
            await ws.recv()  # hello
            await ws.recv()  # snapshot
        sockets.append(ws)
    ready.set()
    received: list[tuple[int, int]] = []  # (page, monotonic ns)

    async def listen(ws: websockets.ClientConnection) -> None:
        for _ in range(turns):
            while True:
                text = await ws.recv()
                t = time.monotonic_ns()
                msg = json.loads(text)
                if msg.get("kind") == "live.presenter":
                    received.append((msg["payload"]["page"], t))
                    break

    await asyncio.gather(*(listen(ws) for ws in sockets))
    out.put(received)
    for ws in sockets:
        await ws.close()


def client_process(
    url: str,
    count: int,
    headers: list[dict[str, str]],
    ready: mp.Event,
    turns: int,
    out: mp.Queue,
    bare: bool,
) -> None:
    asyncio.run(_clients(url, count, headers, ready, turns, out, bare))


# ---- the driver: sends page turns, one at a time, and times them ----
async def drive(url: str, headers: dict[str, str], turns: int, bare: bool, gap: float) -> dict[int, int]:
    sent: dict[int, int] = {}
    async with websockets.connect(url, additional_headers=headers, ping_interval=None) as ws:
        if not bare:
            await ws.recv()
            await ws.recv()
            await ws.send(json.dumps({"type": "start", "id": "bench-start"}))
        for page in range(1, turns + 1):
            await asyncio.sleep(
                gap
            )  # pacing between turns (not a synchronisation: latency is timed per turn)
            event = {
                "type": "event",
                "seq": page,
                "kind": "live.presenter",
                "payload": {"document_id": 1, "page": page, "zoom": 1.0, "x": None, "y": None},
            }
            message = (
                json.dumps(event)
                if bare
                else json.dumps(
                    {"type": "present", "id": f"turn-{page}-{time.time_ns()}", "document_id": 1, "page": page}
                )
            )
            sent[page] = time.monotonic_ns()
            await ws.send(message)
        await asyncio.sleep(1.0)
    return sent


def run_load(
    url: str,
    driver_url: str,
    client_headers: list[dict[str, str]],
    driver_headers: dict[str, str],
    clients: int,
    procs: int,
    turns: int,
    bare: bool,
) -> list[float]:
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    readies, workers = [], []
    per = clients // procs
    for _ in range(procs):
        ready = ctx.Event()
        p = ctx.Process(target=client_process, args=(url, per, client_headers, ready, turns, out, bare))
        p.start()
        readies.append(ready)
        workers.append(p)
    for ready in readies:
        if not ready.wait(180):
            raise SystemExit("clients did not connect in time")
    sent = asyncio.run(drive(driver_url, driver_headers, turns, bare, gap=0.25))
    latencies: list[float] = []
    for _ in workers:
        for page, t in out.get(timeout=120):
            latencies.append((t - sent[page]) / 1e6)
    for p in workers:
        p.join(30)
    return latencies


# ---- the two servers ----
def bare_server(port: int, stop: mp.Event) -> None:
    async def main() -> None:
        clients: set[websockets.ServerConnection] = set()

        async def handler(ws: websockets.ServerConnection) -> None:
            clients.add(ws)
            try:
                async for message in ws:
                    broadcast(clients - {ws}, message)
            finally:
                clients.discard(ws)

        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_size=2**22):
            await asyncio.to_thread(stop.wait)

    asyncio.run(main())


def login(base: str, user: str) -> dict[str, str]:
    import urllib.request

    req = urllib.request.Request(
        f"{base}/api/auth/login",
        data=json.dumps({"username": user, "password": "demo"}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return {"Authorization": f"Bearer {json.load(r)['access_token']}"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--ws", default="websockets-sansio", help="uvicorn WebSocket implementation for our server"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cauhop-bench-"))
    env = {**os.environ, "DATA_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}"}
    cli = [sys.executable, "-m", "cauhop_cli"]
    subprocess.run(cli + ["migrate"], env=env, check=True, capture_output=True)
    subprocess.run(cli + ["seed-demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        cli + ["serve", "--demo", "--port", str(port), "--log-level", "warning", "--ws", args.ws],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                login(base, "chair")
                break
            except OSError:
                time.sleep(0.1)
        headers = [login(base, f"delegate{i:02d}") for i in range(1, 51)]
        chair = login(base, "chair")
        url = f"ws://127.0.0.1:{port}/ws/meetings/1"
        ours = run_load(url, url, headers, chair, args.clients, args.procs, args.turns, bare=False)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    bare_port = free_port()
    stop = mp.get_context("fork").Event()
    bare = mp.get_context("fork").Process(target=bare_server, args=(bare_port, stop))
    bare.start()
    time.sleep(1.0)
    try:
        bare_url = f"ws://127.0.0.1:{bare_port}"
        base_lat = run_load(bare_url, bare_url, [{}], {}, args.clients, args.procs, args.turns, bare=True)
    finally:
        stop.set()
        bare.join(10)

    n = args.clients * args.turns
    rows = [("Cầu Họp (full path)", ours), ("bare websockets.broadcast", base_lat)]
    print(
        f"{args.clients} clients in {args.procs} processes, {args.turns} page turns; {len(ours)}/{n} and "
        f"{len(base_lat)}/{n} deliveries measured\n"
    )
    print("| path | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, lat in rows:
        print(f"| {name} | {percentile(lat, 0.5):.1f} | {percentile(lat, 0.99):.1f} | {max(lat):.1f} |")
    r50 = percentile(ours, 0.5) / percentile(base_lat, 0.5)
    r99 = percentile(ours, 0.99) / percentile(base_lat, 0.99)
    print(
        f"\nratio (ours / bare): p50 {r50:.2f}, p99 {r99:.2f}   (mean {statistics.mean(ours):.1f} vs "
        f"{statistics.mean(base_lat):.1f} ms)"
    )


if __name__ == "__main__":
    main()
