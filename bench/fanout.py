"""Live fan-out: a presenter page turn from the chair's command to 1,000 connected tablets.

Two servers run side by side on this machine (loopback only), both on uvloop with permessage-deflate, in
processes of their own (`cauhop serve --ws live` negotiates it without server context takeover and compresses
each event once for every socket; the bare server compresses for each socket, the `websockets` default):
  * Cầu Họp (`cauhop serve`, one process, SQLite demo in a temporary folder): the chair sends `present` over
    its WebSocket; every tablet socket receives the `live.presenter` event. Full path: auth'd socket,
    validation, permission, the log write (one transaction), the bus, per-connection ordering.
  * A bare `websockets` server: a control socket sends an event of the same shape and size (seq, kind,
    payload, at, actor_id); the server `broadcast`s it to every other socket.
The same client processes hold one socket to each server per simulated tablet. Page turns alternate between
the two servers (which one goes first alternates too), so load from the rest of the machine hits both alike;
the first turns of each are a warm-up and not counted. Latency is measured on the machine-wide monotonic clock
from just before the driver's send to each client's receive. Both servers ping every socket every 20 s (the
keepalive defaults of uvicorn and of `websockets`). Prints p50/p99 for both and the ratios, and the CPU time
each server process used over the measured turns (less at the mercy of the machine's other load than latency
is).

    .venv/bin/python bench/fanout.py [--clients 1000] [--procs 4] [--turns 30] [--warmup 5]
        [--compression deflate|none]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop
import websockets
from websockets.asyncio.server import broadcast, serve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402

OURS, BARE = 0, 1
GAP = 0.4  # seconds between two page turns (pacing, not synchronisation: each turn is timed on its own)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---- client processes: `count` tablets, each with one socket to each server ----
async def _clients(
    targets: list[tuple[str, list[dict[str, str]], int]],
    count: int,
    total: int,
    ready: Any,
    stop: Any,
    out: Any,
) -> None:
    received: list[tuple[int, int, int]] = []  # (server, page, monotonic ns)
    missing = [0, 0]
    sockets: list[websockets.ClientConnection] = []
    listeners: list[asyncio.Task[None]] = []

    async def listen(server: int, ws: websockets.ClientConnection) -> None:
        got = 0
        try:
            while got < total:
                text = await ws.recv()
                t = time.monotonic_ns()
                msg = json.loads(text)
                if msg.get("kind") == "live.presenter":
                    received.append((server, msg["payload"]["page"], t))
                    got += 1
        finally:
            missing[server] += total - got

    for i in range(count):
        for server, (url, headers, greeting) in enumerate(targets):
            ws = await websockets.connect(
                url,
                additional_headers=headers[i % len(headers)],
                open_timeout=120,
                ping_interval=None,
                compression=COMPRESSION,
            )
            for _ in range(greeting):  # hello + snapshot from ours, nothing from the bare server
                await ws.recv()
            sockets.append(ws)
            # Read from the start, as a tablet does (presence updates while the others join).
            listeners.append(asyncio.create_task(listen(server, ws)))
    ready.set()
    await asyncio.to_thread(stop.wait)  # the driver is done (and waited for the last deliveries)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    out.put((received, missing))  # the sockets close with the process


COMPRESSION: str | None = "deflate"  # what the tablets offer (--compression), set before the clients fork


def client_process(
    targets: list[tuple[str, list[dict[str, str]], int]],
    count: int,
    total: int,
    ready: Any,
    stop: Any,
    out: Any,
) -> None:
    uvloop.run(_clients(targets, count, total, ready, stop, out))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the driver: page turns, alternating between the two servers, each timed ----
async def drive(
    ours: tuple[str, dict[str, str]], bare_url: str, total: int, warmup: int, pids: tuple[int, int]
) -> tuple[dict[tuple[int, int], int], list[float]]:
    """Returns when each turn was sent, and the CPU seconds each server used over the measured turns."""
    sent: dict[tuple[int, int], int] = {}
    cpu = [0.0, 0.0]
    chair = await websockets.connect(ours[0], additional_headers=ours[1], ping_interval=None)
    control = await websockets.connect(bare_url, ping_interval=None)
    await chair.recv()  # hello
    await chair.recv()  # snapshot
    await chair.send(json.dumps({"type": "start", "id": "bench-start"}))
    while json.loads(await chair.recv()).get("type") != "ack":
        pass

    async def drain(ws: websockets.ClientConnection) -> None:  # acks and events to the chair: read, not kept
        async for _ in ws:
            pass

    drains = [asyncio.create_task(drain(chair))]
    for page in range(1, total + 1):
        if page == warmup + 1:
            cpu = [-cpu_seconds(pid) for pid in pids]
        order = (OURS, BARE) if page % 2 else (BARE, OURS)
        for server in order:
            await asyncio.sleep(GAP)
            if server == OURS:
                ws, message = chair, {"type": "present", "id": f"turn-{page}", "document_id": 1, "page": page}
            else:
                ws, message = control, bare_event(page)
            text = json.dumps(message, ensure_ascii=False)
            sent[(server, page)] = time.monotonic_ns()
            await ws.send(text)
    await asyncio.sleep(5.0)  # the last deliveries
    cpu = [used + cpu_seconds(pid) for used, pid in zip(cpu, pids, strict=True)]
    for task in drains:
        task.cancel()
    await chair.close()
    await control.close()
    return sent, cpu


def bare_event(page: int) -> dict[str, Any]:
    """What our server sends for a page turn, field for field (same size on the wire)."""
    return {
        "type": "event",
        "seq": 1000 + page,
        "kind": "live.presenter",
        "payload": {"document_id": 1, "page": page, "zoom": 1.0, "x": None, "y": None},
        "at": "2026-11-23T10:00:00.123456+00:00",
        "actor_id": 3,
    }


def run_load(
    ours_url: str,
    client_headers: list[dict[str, str]],
    chair: dict[str, str],
    bare_url: str,
    args: argparse.Namespace,
    pids: tuple[int, int],
) -> tuple[list[float], list[float], list[int], list[float]]:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    total = args.warmup + args.turns
    targets = [(ours_url, client_headers, 2), (bare_url, [{}], 0)]
    readies, workers = [], []
    stop = ctx.Event()
    for _ in range(args.procs):
        ready = ctx.Event()
        per = args.clients // args.procs
        p = ctx.Process(target=client_process, args=(targets, per, total, ready, stop, out))
        p.start()
        readies.append(ready)
        workers.append(p)
    started = time.monotonic()
    for ready in readies:
        if not ready.wait(600):
            raise SystemExit("clients did not connect in time")
    print(f"clients connected in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    sent, cpu = uvloop.run(drive((ours_url, chair), bare_url, total, args.warmup, pids))
    print(f"{total} page turns per server sent", file=sys.stderr, flush=True)
    stop.set()
    lat: list[list[float]] = [[], []]
    missing = [0, 0]
    for _ in workers:
        received, lost = out.get(timeout=120)
        missing = [missing[0] + lost[0], missing[1] + lost[1]]
        for server, page, t in received:
            if page > args.warmup:
                lat[server].append((t - sent[(server, page)]) / 1e6)
    for p in workers:
        p.join(30)
    return lat[OURS], lat[BARE], missing, cpu


# ---- the bare server ----
def bare_server(port: int, stop: Any) -> None:
    async def main() -> None:
        clients: set[websockets.ServerConnection] = set()

        async def handler(ws: websockets.ServerConnection) -> None:
            clients.add(ws)
            try:
                async for message in ws:
                    broadcast(clients - {ws}, message)
            except websockets.ConnectionClosed:
                pass  # the client processes exit without a closing handshake
            finally:
                clients.discard(ws)

        # Keepalive pings every 20 s with a 20 s timeout, as uvicorn does for our server by default.
        async with serve(handler, "127.0.0.1", port, ping_interval=20, ping_timeout=20):
            await asyncio.to_thread(stop.wait)

    uvloop.run(main())


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
    parser.add_argument("--turns", type=int, default=30, help="measured page turns per server")
    parser.add_argument("--warmup", type=int, default=5, help="page turns per server not counted")
    parser.add_argument("--ws", default="live", help="cauhop serve --ws (live: each event compressed once)")
    parser.add_argument(
        "--compression",
        choices=["deflate", "none"],
        default="deflate",
        help="what the tablets offer both servers: permessage-deflate (as browsers do) or no compression "
        "(the full path against the wire alone)",
    )
    args = parser.parse_args()
    global COMPRESSION
    COMPRESSION = None if args.compression == "none" else "deflate"

    tmp = Path(tempfile.mkdtemp(prefix="cauhop-bench-"))
    env = {**os.environ, "DATA_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}"}
    cli = [sys.executable, "-m", "cauhop_cli"]
    subprocess.run(cli + ["migrate"], env=env, check=True, capture_output=True)
    subprocess.run(cli + ["seed-demo"], env=env, check=True, capture_output=True)
    port, bare_port = free_port(), free_port()
    server = subprocess.Popen(
        cli + ["serve", "--demo", "--port", str(port), "--log-level", "warning", "--ws", args.ws],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop = mp.get_context("fork").Event()
    bare = mp.get_context("fork").Process(target=bare_server, args=(bare_port, stop))
    bare.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine can take a while to start it
        while True:
            try:
                login(base, "chair")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("our server did not start") from None
                time.sleep(0.1)  # polling for the server to come up, not synchronising with it
        headers = [login(base, f"delegate{i:02d}") for i in range(1, 51)]
        ours, base_lat, missing, cpu = run_load(
            f"ws://127.0.0.1:{port}/ws/meetings/1",
            headers,
            login(base, "chair"),
            f"ws://127.0.0.1:{bare_port}",
            args,
            (server.pid, bare.pid or 0),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        stop.set()
        bare.join(10)
        shutil.rmtree(tmp, ignore_errors=True)

    n = (args.clients // args.procs) * args.procs * args.turns
    print(
        f"{args.clients} clients in {args.procs} processes, {args.turns} page turns per server "
        f"(+{args.warmup} warm-up), alternating, tablets offering compression: {args.compression}; "
        f"{len(ours)}/{n} and {len(base_lat)}/{n} deliveries "
        f"measured; not delivered: {missing[0]} and {missing[1]}\n"
    )
    print("| path | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, lat in (("Cầu Họp (full path)", ours), ("bare websockets.broadcast", base_lat)):
        print(f"| {name} | {percentile(lat, 0.5):.1f} | {percentile(lat, 0.99):.1f} | {max(lat):.1f} |")
    r50 = percentile(ours, 0.5) / percentile(base_lat, 0.5)
    r99 = percentile(ours, 0.99) / percentile(base_lat, 0.99)
    print(
        f"\nratio (ours / bare): p50 {r50:.2f}, p99 {r99:.2f}   (mean {statistics.mean(ours):.1f} vs "
        f"{statistics.mean(base_lat):.1f} ms)"
    )
    per_turn = [1000 * used / args.turns for used in cpu]
    print(
        f"server CPU per measured page turn (the whole process, all threads): ours {per_turn[OURS]:.1f} ms, "
        f"bare {per_turn[BARE]:.1f} ms; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
