"""ICS benchmark: import (10k, 100k events), khal import (10k), export (100k), feed requests/s.

Run: ``python bench/bench_ics.py [--sizes 10000,100000] [--khal PATH|auto|none]
[--requests 2000] [--workdir DIR]``. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.services import feeds, practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database
from sessions_tui.sync.feed import make_server
from sessions_tui.sync.ics import export_calendar, import_calendar

CLOCK = FixedClock(datetime(2026, 11, 25, 16, tzinfo=UTC))
ZONES = ["America/Chicago", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


def generate(n: int, path: Path) -> None:
    """A realistic file: mostly one-offs, every 20th a weekly series, every 15th all-day."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bench//EN",
        "X-WR-CALNAME:Bench",
        "X-WR-TIMEZONE:America/Chicago",
    ]
    base = datetime(2025, 1, 6, 8, 0)
    for i in range(n):
        tz = ZONES[i % len(ZONES)]
        start = base + timedelta(minutes=30 * (i % 20), days=i // 20)
        lines += [
            "BEGIN:VEVENT",
            f"UID:bench-{i}@example.org",
            "DTSTAMP:20261101T000000Z",
            f"SUMMARY:Event {i}",
            f"SEQUENCE:{i % 3}",
        ]
        if i % 15 == 0:
            d = start.date()
            lines += [
                f"DTSTART;VALUE=DATE:{d:%Y%m%d}",
                f"DTEND;VALUE=DATE:{d + timedelta(days=1 + i % 3):%Y%m%d}",
                "TRANSP:TRANSPARENT",
            ]
        else:
            end = start + timedelta(minutes=50)
            lines += [
                f"DTSTART;TZID={tz}:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID={tz}:{end:%Y%m%dT%H%M%S}",
            ]
            if i % 20 == 1:
                lines += [
                    "RRULE:FREQ=WEEKLY;COUNT=10",
                    f"EXDATE;TZID={tz}:{start + timedelta(weeks=2):%Y%m%dT%H%M%S}",
                ]
            if i % 50 == 7:
                lines.append("STATUS:CANCELLED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    path.write_text("\r\n".join(lines) + "\r\n")


def peak_mb() -> float:
    """Peak RSS of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh(workdir: Path, name: str) -> Context:
    db = open_database(str(workdir / name))
    admin = practice.add_staff(
        Context(db, CLOCK, None), "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER}
    )
    return Context(db, CLOCK, admin)


def bench_import(n: int, workdir: Path) -> tuple[Path, Context]:
    path = workdir / f"bench-{n}.ics"
    generate(n, path)
    ctx = fresh(workdir, f"import-{n}.db")
    data = path.read_bytes()
    t = time.perf_counter()
    report = import_calendar(ctx, data, practitioner_id=ctx.require_actor().id, name=path.name)
    took = time.perf_counter() - t
    print(
        f"import {n:>7} events: {took:7.2f} s  ({n / took:8.0f} events/s, peak RSS so far "
        f"{peak_mb():.0f} MB)  {report.summary()}"
    )
    t = time.perf_counter()
    again = import_calendar(ctx, data, practitioner_id=ctx.require_actor().id, name=path.name)
    took = time.perf_counter() - t
    print(
        f"re-import {n:>4} events: {took:7.2f} s  (added {again.added}, "
        f"unchanged {again.unchanged})"
    )
    return path, ctx


def bench_khal(khal: str, path: Path, workdir: Path) -> None:
    cal = workdir / "khal-cal"
    shutil.rmtree(cal, ignore_errors=True)
    cal.mkdir()
    conf = workdir / "khal.conf"
    conf.write_text(
        f"[calendars]\n[[b]]\npath = {cal}\n[locale]\nlocal_timezone = UTC\n"
        f"default_timezone = UTC\n[sqlite]\npath = {workdir / 'khal.db'}\n"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [khal, "-c", str(conf), "import", "--batch", "-a", "b", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(workdir)},
    )
    took = time.perf_counter() - t
    print(f"khal import {path.name}: {took:7.2f} s  (exit {done.returncode})")


def bench_export(ctx: Context, n: int) -> None:
    t = time.perf_counter()
    data = export_calendar(ctx, practitioner_id=None)
    took = time.perf_counter() - t
    count = data.count(b"BEGIN:VEVENT")
    print(
        f"export practice of {count} events: {took:7.2f} s  ({count / took:8.0f} events/s, "
        f"{len(data) / 1e6:.1f} MB, peak RSS so far {peak_mb():.0f} MB)"
    )


def bench_feed(workdir: Path, requests: int) -> None:
    ctx = fresh(workdir, "feed.db")
    path = workdir / "feed-1000.ics"
    generate(1000, path)
    me = ctx.require_actor()
    import_calendar(ctx, path.read_bytes(), practitioner_id=me.id, name=path.name)
    url_path = feeds.ensure_feed(ctx, me.id).url("")
    for cache in (True, False):
        server = make_server(ctx.db, CLOCK, "127.0.0.1", 0, cache=cache)
        host, port = server.server_address[:2]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://{host!s}:{port}{url_path}"

        def fetch(_: int, url: str = url) -> int:
            with urllib.request.urlopen(url, timeout=60) as resp:
                resp.read()
                return int(resp.status)

        fetch(0)
        total = requests if cache else max(100, requests // 10)
        t = time.perf_counter()
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(fetch, range(total)))
        took = time.perf_counter() - t
        ok = statuses.count(200)
        print(
            f"feed 1000-event practitioner, 50 clients, {'cached' if cache else 'uncached'}: "
            f"{total / took:7.1f} req/s ({ok}/{total} OK)"
        )
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--khal", default="auto", help="khal executable, auto, or none")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-ics-"))
    workdir.mkdir(parents=True, exist_ok=True)
    khal = args.khal
    if khal == "auto":
        khal = shutil.which("khal") or "/tmp/sessions-tui-khal-venv/bin/khal"
    sizes = [int(x) for x in args.sizes.split(",") if x]
    biggest: tuple[int, Context] | None = None
    for n in sizes:
        path, ctx = bench_import(n, workdir)
        if n == 10_000 and khal != "none" and Path(khal).exists():
            bench_khal(khal, path, workdir)
        biggest = (n, ctx)
    if biggest is not None:
        bench_export(biggest[1], biggest[0])
    bench_feed(workdir, args.requests)


if __name__ == "__main__":
    main()
