# mypy: allow-untyped-calls
"""Packet publish (DESIGN §6): a ~300-page packet published to 500 connected tablets; the time until every
tablet shows page 1, and the server's memory.

One run on this machine, loopback only. A real `cauhop serve --demo` (SQLite, its PDF worker pool) in a
temporary folder gets the demo agenda three times over (~300 pages, no page drawn yet). 500 tablets (the 50
demo delegates, 10 tablets each) in 4 client processes hold the meeting's WebSocket. The secretary publishes
the packet; each tablet, on the `packet.published` event, does what the reader does: fetch the meeting's
documents, then page 1 of the first one at 1280 px (cold: no one has drawn it, so the server renders it once
for all 500). Timed on the machine-wide monotonic clock from just before the publish request to each
tablet's last byte of page 1.

Baseline in the same run, the same client processes and requests: a bare Starlette app on uvicorn that, when
asked to publish, broadcasts an event of the same size to its sockets and serves the same two answers (the
documents JSON and the page's PNG bytes) from memory, with no authentication, database, compile or render.
The publish is repeated (--rounds) alternating between the two servers; for ours each round first renames an
agenda item so a new packet is really compiled (unchanged parts reused) and bumps a document's version so
page 1 is cold again.

    .venv/bin/python bench/publish.py [--tablets 500] [--processes 4] [--rounds 3]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from documents import (  # noqa: E402
    Conn,
    PeakMemory,
    http,
    load_average,
    multipart,
    rss_mb,
    start_demo_server,
    upload,
)

from docs_store.demo_pdfs import write_demo_agenda  # noqa: E402
from tests.servers import free_port  # noqa: E402

WIDTH = 1280
OURS, BARE = "Cầu Họp", "bare"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---- tablets: a socket each; on the event, the documents and page 1 over a keep-alive connection ----


async def tablets(
    port: int, ws_path: str, tokens: list[str], count: int, rounds: int, ready: Any, out: Any
) -> None:
    done: list[list[int]] = [[] for _ in range(rounds)]
    failures: list[str] = []

    async def tablet(i: int, ws: websockets.ClientConnection) -> None:
        auth = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        conn = Conn("127.0.0.1", port)
        try:
            for r in range(rounds):
                while json.loads(await ws.recv()).get("kind") != "packet.published":
                    pass
                status, _, body = await fresh_get(conn, "/api/meetings/1/documents", auth)
                first = json.loads(body)[0]
                status2, _, page = await fresh_get(
                    conn,
                    f"/api/documents/{first['id']}/pages/1?width={WIDTH}&v={first['current_version']}",
                    auth,
                )
                if status != 200 or status2 != 200 or not page.startswith(b"\x89PNG"):
                    failures.append(f"{status} {status2}")
                done[r].append(time.monotonic_ns())
        finally:
            conn.close()

    sockets = []
    for i in range(count):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}{ws_path}",
            additional_headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            open_timeout=120,
            ping_interval=None,
            max_size=None,
        )
        sockets.append(ws)
    runs = [asyncio.create_task(tablet(i, ws)) for i, ws in enumerate(sockets)]
    ready.put(count)
    await asyncio.gather(*runs)
    for ws in sockets:
        await ws.close()
    out.put((done, failures))


async def fresh_get(conn: Conn, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A GET on the tablet's keep-alive connection, opened again if the server closed it while idle."""
    try:
        return await conn.get(path, headers)
    except (asyncio.IncompleteReadError, ConnectionError):
        conn.close()
        conn.writer = None
        return await conn.get(path, headers)


def tablet_process(*args: Any) -> None:
    uvloop.run(tablets(*args))


def publish_to_tablets(
    port: int, ws_path: str, tokens: list[str], args: argparse.Namespace, publish: Any
) -> list[dict[str, float]]:
    """Connect the tablets, then for each round: call ``publish()`` (returns the start, monotonic ns) and
    wait until every tablet shows page 1; per round the p50 / p99 / max in ms."""
    ctx = mp.get_context("spawn")
    ready, out = ctx.Queue(), ctx.Queue()
    per = args.tablets // args.processes
    procs = [
        ctx.Process(target=tablet_process, args=(port, ws_path, tokens, per, args.rounds, ready, out))
        for _ in range(args.processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    starts = []
    for _ in range(args.rounds):
        starts.append(publish())
        time.sleep(args.gap)  # pacing between rounds; each round is timed from its own start
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
    failures = [f for _, fails in results for f in fails]
    assert not failures, failures[:5]
    rounds = []
    for r, start in enumerate(starts):
        ms = [(t - start) / 1e6 for done, _ in results for t in done[r]]
        assert len(ms) == per * args.processes, f"round {r + 1}: {len(ms)} tablets showed page 1"
        rounds.append({"p50": percentile(ms, 0.5), "p99": percentile(ms, 0.99), "max": max(ms)})
    return rounds


# ---- the bare baseline ----


def bare_server(port: int, spec: Path) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    fields = json.loads(spec.read_text())
    listing, page, event = fields["listing"].encode(), bytes.fromhex(fields["page"]), fields["event"]
    sockets: set[WebSocket] = set()

    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        sockets.add(socket)
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            sockets.discard(socket)

    async def publish(_: Request) -> Response:
        for socket in list(sockets):
            await socket.send_text(event)
        return Response(b"{}", media_type="application/json")

    async def documents(_: Request) -> Response:
        return Response(listing, media_type="application/json")

    async def first_page(_: Request) -> Response:
        return Response(page, media_type="image/png")

    app = Starlette(
        routes=[
            WebSocketRoute("/ws", ws),
            Route("/publish", publish, methods=["POST"]),
            Route("/api/meetings/1/documents", documents),
            Route("/api/documents/{doc:int}/pages/1", first_page),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")


# ---- the run ----


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=500)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between two publishes (pacing)")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # run the baseline server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_server(args.port, args.bare)
        return
    began, load_before = time.time(), load_average()
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    print(f"setting up in {tmp} …", file=sys.stderr)
    server, port, _ = start_demo_server(tmp)
    bare: subprocess.Popen[bytes] | None = None
    base = f"http://127.0.0.1:{port}"
    try:
        sec = http(base, "POST", "/api/auth/login", body={"username": "secretary", "password": "demo"})[
            "access_token"
        ]
        tokens = [
            http(base, "POST", "/api/auth/login", body={"username": f"delegate{n:02d}", "password": "demo"})[
                "access_token"
            ]
            for n in range(1, 51)
        ]
        papers = write_demo_agenda(tmp / "papers")
        for round_ in (1, 2):
            for paper in papers:
                item = http(
                    base, "POST", "/api/meetings/1/agenda", sec, body={"title": f"{paper.title} ({round_})"}
                )
                upload(base, sec, item["id"], paper.path, f"{paper.title} (bản {round_})")
        items = http(base, "GET", "/api/meetings/1/agenda", sec)
        first_doc = http(base, "GET", "/api/meetings/1/documents", sec)[0]
        print(f"{len(items)} agenda items; publishing to {args.tablets} tablets …", file=sys.stderr)
        packets: list[dict[str, Any]] = []

        def publish_ours() -> int:
            n = len(packets)
            http(
                base,
                "PATCH",
                f"/api/meetings/1/agenda/{items[0]['id']}",
                sec,
                body={"title": f"Khai mạc ({n})"},
            )
            upload_version(base, sec, first_doc["id"], papers[(n + 1) % len(papers)].path)
            start = time.monotonic_ns()
            packets.append(http(base, "POST", "/api/meetings/1/packet", sec))
            packets[-1]["request_ms"] = (time.monotonic_ns() - start) / 1e6
            return start

        rss_before = rss_mb(server.pid)
        with PeakMemory(server.pid) as peak:
            ours = publish_to_tablets(port, "/ws/meetings/1", tokens, args, publish_ours)
        rss_after = rss_mb(server.pid)

        listing = http(base, "GET", "/api/meetings/1/documents", tokens[0])
        path = f"/api/documents/{listing[0]['id']}/pages/1?width={WIDTH}"
        payload = {k: packets[-1][k] for k in ("sha256", "pages", "size")} | {"packet_id": packets[-1]["id"]}
        event = {"type": "event", "seq": 9999, "kind": "packet.published", "payload": payload,
                 "at": "2026-11-23T08:00:00+00:00", "actor_id": 3}  # fmt: skip
        spec = tmp / "bare.json"
        spec.write_text(
            json.dumps(
                {
                    "listing": json.dumps(listing),
                    "page": asyncio.run(_fetch(port, path, tokens[0])).hex(),
                    "event": json.dumps(event),
                }
            )
        )
        bare_port = free_port()
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare", str(spec), "--port", str(bare_port)], cwd=ROOT
        )
        bare_base = f"http://127.0.0.1:{bare_port}"
        for _ in range(300):
            try:
                http(bare_base, "GET", "/api/meetings/1/documents")
                break
            except OSError:
                time.sleep(0.1)

        def publish_bare() -> int:
            start = time.monotonic_ns()
            http(bare_base, "POST", "/publish")
            return start

        baseline = publish_to_tablets(bare_port, "/ws", tokens, args, publish_bare)
    finally:
        for proc in (server, bare):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, began, load_before, ours, baseline, packets, (rss_before, peak.peak, rss_after))


async def _fetch(port: int, path: str, token: str) -> bytes:
    conn = Conn("127.0.0.1", port)
    try:
        status, _, body = await conn.get(path, {"Authorization": f"Bearer {token}"})
        assert status == 200, status
        return body
    finally:
        conn.close()


def upload_version(base: str, token: str, doc_id: int, pdf: Path) -> None:
    http(base, "POST", f"/api/documents/{doc_id}/versions", token, form=multipart({}, pdf))


def report(
    args: argparse.Namespace,
    began: float,
    load_before: str,
    ours: list[dict[str, float]],
    bare: list[dict[str, float]],
    packets: list[dict[str, Any]],
    memory: tuple[float, float, float],
) -> None:
    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(began))}, {time.time() - began:.0f} s; ", end=""
    )
    print(f"load average before {load_before}, after {load_average()} ({os.cpu_count()} cores)")
    print(f"{args.tablets} tablets in {args.processes} processes, {args.rounds} publishes per server\n")
    print("| round | packet | publish request (compile) | ours p50 / p99 / all ms | bare p50 / p99 / all ms "
          "| ratio (all) |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|")
    for r, (o, b) in enumerate(zip(ours, bare, strict=True), start=1):
        p = packets[r - 1]
        print(
            f"| {r} | {p['pages']} pages, {p['size'] / 1e6:.1f} MB{' (reused)' if p['reused'] else ''} "
            f"| {p['request_ms']:.0f} ms "
            f"| {o['p50']:.0f} / {o['p99']:.0f} / {o['max']:.0f} "
            f"| {b['p50']:.0f} / {b['p99']:.0f} / {b['max']:.0f} | {o['max'] / b['max']:.2f} |"
        )
    med = statistics.median
    print(
        f"\nmedian over rounds: every tablet shows page 1 after {med([o['max'] for o in ours]):.0f} ms "
        f"(bare {med([b['max'] for b in bare]):.0f} ms); server RSS {memory[0]:.0f} MB before, peak "
        f"{memory[1]:.0f} MB (+{memory[1] - memory[0]:.0f}), {memory[2]:.0f} MB after"
    )


if __name__ == "__main__":
    main()
