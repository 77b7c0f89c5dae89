"""The practice web service under load, on loopback only, bounded in count and time.

    python bench/bench_web.py [--seconds 5] [--clients 50] [--idle 500] [--idle-timeout 3]

Starts ``sessions-tui web serve`` (uvicorn, its own process) on 127.0.0.1 over a fresh demo
practice (booking on for Ben, his feed turned on), then:

1. requests per second of the booking page (``GET /book/ben``) and of a feed
   (``GET /feeds/<token>.ics``, body cached; and with ``If-None-Match``: 304s), from
   ``--clients`` concurrent keep-alive connections for ``--seconds`` each, with p50/p99 latency;
2. opens ``--idle`` connections that send nothing, then times a normal client's page fetch
   (it must be served within a second);
3. waits past the server's idle timeout and counts how many idle connections the server closed.

Prints one Markdown table. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-11-25T16:00:00+00:00"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(db: Path, *args: str) -> str:
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW}
    done = subprocess.run(
        [sys.executable, "-m", "sessions_tui", *args, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()


async def fetch(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, extra: str = ""
) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def load(
    port: int, path: str, clients: int, seconds: float, extra: str = ""
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                status = await fetch(reader, writer, path, extra)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "n": len(latencies),
        "errors": errors,
    }


async def idle_then_normal(port: int, idle: int, idle_timeout: float) -> dict[str, float]:
    conns = []
    for _ in range(idle):
        conns.append(await asyncio.open_connection("127.0.0.1", port))
    await asyncio.sleep(0.2)
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    status = await asyncio.wait_for(fetch(reader, writer, "/book/ben"), 10)
    served = time.perf_counter() - t0
    writer.close()
    await asyncio.sleep(idle_timeout + 2.0)
    closed = 0
    for r, w in conns:
        try:
            data = await asyncio.wait_for(r.read(1), 0.05)
            closed += data == b""
        except (TimeoutError, ConnectionError):
            pass
        w.close()
    return {"status": status, "served_ms": served * 1000, "closed": closed, "idle": idle}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--idle", type=int, default=500)
    ap.add_argument("--idle-timeout", type=float, default=3.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sessions-web-bench-"))
    db = work / "demo.db"
    cli(db, "demo")
    feed_url = cli(db, "ics", "url", "--practitioner", "ben", "--user", "alice")
    token_path = "/feeds/" + feed_url.rsplit("/feeds/", 1)[1]
    port = free_port()
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW, "SESSIONS_TUI_CONFIG": str(work / "none.toml")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sessions_tui",
            "web",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--idle-timeout",
            str(args.idle_timeout),
            "--max-connections",
            "2000",
            "--page-limit",
            "1000000000",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rows = []
        for name, path, extra in (
            ("booking page GET /book/ben", "/book/ben", ""),
            ("feed GET /feeds/<token>.ics (200)", token_path, ""),
            ("feed with If-None-Match (304)", token_path, "If-None-Match: *\r\n"),
        ):
            asyncio.run(load(port, path, 5, 1.0, extra))  # warm the caches
            r = asyncio.run(load(port, path, args.clients, args.seconds, extra))
            rows.append((name, r))
        head = f"{args.clients} concurrent keep-alive clients, {args.seconds:g} s"
        print(f"| measure ({head}) | req/s | p50 ms | p99 ms | requests | errors |")
        print("|---|---|---|---|---|---|")
        for name, r in rows:
            cells = [f"{r['rps']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}"]
            cells += [f"{r['n']:.0f}", f"{r['errors']:.0f}"]
            print(f"| {name} | " + " | ".join(cells) + " |")
        idle = asyncio.run(idle_then_normal(port, args.idle, args.idle_timeout))
        print()
        print(
            f"- {args.idle} idle connections open: a normal client got {idle['status']:.0f} "
            f"in {idle['served_ms']:.0f} ms"
        )
        print(
            f"- after the idle timeout ({args.idle_timeout:g} s) + 2 s the server had closed "
            f"{idle['closed']:.0f} of {idle['idle']:.0f}"
        )
    finally:
        server.terminate()
        server.wait(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
