#!/usr/bin/env python3
"""ICS subscriptions: how long a refresh takes, from a feed served on 127.0.0.1.

Usage:  python bench/bench_subscriptions.py [--events 2000] [--seed 42] [--repeat 3]

A feed of N events from the shared generator (``bench/gen_ics.py``) is served by a local
``http.server``; a practitioner subscribes to it (first fetch + store), then it is refreshed:
unchanged with validators (a 304), forced (no validators, same body: every event compared,
none written), and with 10% of the events removed (the rest compared, the removed deleted).
Prints the median wall time of each and the feed's size. Numbers go in docs/PERFORMANCE.md,
never in a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _Feed(BaseHTTPRequestHandler):
    body = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        tag = f'"{hash(self.body) & 0xFFFFFFFF:x}"'
        if self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(type(self).body)))
        self.send_header("ETag", tag)
        self.end_headers()
        self.wfile.write(type(self).body)


def _drop_tenth(body: bytes) -> bytes:
    parts = body.split(b"BEGIN:VEVENT")
    kept = [p for i, p in enumerate(parts) if i == 0 or i % 10 != 0]
    text = b"BEGIN:VEVENT".join(kept)
    return text if text.rstrip().endswith(b"END:VCALENDAR") else text + b"END:VCALENDAR\r\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.model import Role
    from sessions_tui.services import practice
    from sessions_tui.services.context import Context
    from sessions_tui.store.db import open_database
    from sessions_tui.sync import subscriptions as subs

    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.ics"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_ics.py"),
                str(args.events),
                str(feed),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )
        full = feed.read_bytes()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.ics"
        times: dict[str, list[float]] = {}
        for n in range(args.repeat):
            db = open_database(str(Path(tmp) / f"p{n}.db"))
            clock = FixedClock(datetime(2026, 6, 1, 12, tzinfo=UTC))
            admin = practice.add_staff(Context(db, clock, None), "admin", "A", {Role.ADMIN})
            ctx = Context(db, clock, admin)
            pat = practice.add_staff(ctx, "pat", "Pat", {Role.PRACTITIONER})
            _Feed.body = full

            def timed(label: str, call: Callable[[], subs.RefreshResult]) -> subs.RefreshResult:
                t0 = time.perf_counter()
                result = call()
                times.setdefault(label, []).append(time.perf_counter() - t0)
                assert result.ok, result.summary()
                return result

            pid = pat.id
            timed(
                "subscribe (first fetch + store)",
                partial(subs.subscribe, ctx, url, name="Feed", practitioner_id=pid),
            )
            timed("refresh, unchanged (304)", partial(subs.refresh, ctx, "Feed"))
            timed("refresh --force, same body", partial(subs.refresh, ctx, "Feed", force=True))
            _Feed.body = _drop_tenth(full)
            gone = timed("refresh, 10% of events gone", partial(subs.refresh, ctx, "Feed"))
            assert gone.removed > 0
            db.dispose()
        server.shutdown()
        print(f"feed: {args.events} events, {len(full) / 1024:.0f} KiB; median of {args.repeat}")
        for label, values in times.items():
            print(f"  {label:<34} {statistics.median(values) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
