"""Time ``sessions-tui agenda --days 7`` (whole process) and the window query alone.

    python bench/build_db.py --db /tmp/sessions-tui-bench-100k.db     # once, ~20 s
    python bench/bench_agenda.py --db /tmp/sessions-tui-bench-100k.db [--runs 15] [--reps 200]

The whole-process figure is wall time of the installed ``sessions-tui`` script (interpreter
start, imports, opening the database, the query, printing). The window-query figures run
in-process through ``services.scheduling.occurrences_in`` (a read session, the window query,
series expansion, domain objects), after one warm-up call, for one week: two practitioners,
and everyone. "Now" is the ``--now`` the database was built around.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sessions_tui.clock import FixedClock
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.services import practice
from sessions_tui.services.context import make_context
from sessions_tui.services.scheduling import occurrences_in
from sessions_tui.store.db import open_database

DEFAULT_NOW = "2026-11-25T16:00:00+00:00"
GOAL_MS = 20.0


def _stats(samples: list[float]) -> tuple[float, float, float]:
    """Median, p95 and min, in milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return statistics.median(ms), p95, ms[0]


def _time(fn: Callable[[], object], reps: int) -> tuple[list[float], object]:
    result = fn()  # warm-up (imports, statement cache, page cache)
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return samples, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/sessions-tui-bench-100k.db"))
    parser.add_argument("--runs", type=int, default=15, help="whole-process runs")
    parser.add_argument("--reps", type=int, default=200, help="in-process window queries")
    parser.add_argument("--now", default=DEFAULT_NOW)
    parser.add_argument("--tz", default="America/Chicago")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(
            f"no database at {args.db}; run bench/build_db.py --db {args.db} first", file=sys.stderr
        )
        return 2
    script = shutil.which("sessions-tui", path=str(Path(sys.executable).parent)) or shutil.which(
        "sessions-tui"
    )
    if script is None:
        print("the sessions-tui script is not installed (pip install -e .)", file=sys.stderr)
        return 2

    rows: list[tuple[str, list[float], str]] = []

    env = {**os.environ, "SESSIONS_TUI_NOW": args.now}
    cmd = [
        script,
        "agenda",
        "--days",
        "7",
        "--db",
        str(args.db),
        "--user",
        "admin",
        "--tz",
        args.tz,
    ]
    samples = []
    lines = 0
    for _ in range(args.runs + 1):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        samples.append(time.perf_counter() - t0)
        if out.returncode != 0:
            print(f"agenda failed: {out.stderr.strip()}", file=sys.stderr)
            return 1
        lines = len(out.stdout.splitlines())
    rows.append(("sessions-tui agenda --days 7 (process)", samples[1:], f"{lines} lines"))

    now = datetime.fromisoformat(args.now).astimezone(UTC)
    tz = ZoneInfo(args.tz)
    db = open_database(str(args.db))
    ctx = make_context(db, FixedClock(now), "admin")
    pracs = practice.practitioners(ctx)
    week = days_bounds(
        now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday()), 7, tz
    )
    month = days_bounds(now.astimezone(tz).date().replace(day=1), 35, tz)
    two = [pracs[0].id, pracs[1].id]
    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "window, 1 week, 2 practitioners",
            lambda: occurrences_in(ctx, *week, tz, practitioner_ids=two),
        ),
        ("window, 1 week, all", lambda: occurrences_in(ctx, *week, tz)),
        ("window, 5 weeks (month view), all", lambda: occurrences_in(ctx, *month, tz)),
    ]
    # The reader the product uses for SQLite (agenda command, calendar windows): stdlib sqlite3,
    # the same index range scans and the same row-to-event code (store/rows.py).
    from sessions_tui.store.fastread import open_fast

    fast = open_fast(f"sqlite:///{args.db}")
    if fast is not None:
        fast.release()
        cases += [
            (
                "fast reader: window, 1 week, 2 pract.",
                lambda: fast.window(*week, display_tz=tz, practitioners=two),
            ),
            ("fast reader: window, 1 week, all", lambda: fast.window(*week, display_tz=tz)),
            ("fast reader: window, 5 weeks, all", lambda: fast.window(*month, display_tz=tz)),
        ]
    for label, fn in cases:
        samples, result = _time(fn, args.reps)
        assert isinstance(result, list)
        rows.append((label, samples, f"{len(result)} occurrences"))
    db.dispose()
    if fast is not None:
        fast.close()

    with sqlite_count(args.db) as n:
        print(f"database: {args.db} ({n} event rows); now {args.now}; display zone {args.tz}")
    print(f"{'what':<40} {'median ms':>10} {'p95 ms':>9} {'min ms':>8} {'n':>5}  result")
    for label, samples, note in rows:
        med, p95, low = _stats(samples)
        print(f"{label:<40} {med:>10.1f} {p95:>9.1f} {low:>8.1f} {len(samples):>5}  {note}")
    for index, path in ((2, "SQLAlchemy path"), (5, "fast reader")):
        if index >= len(rows):
            continue
        week_med = _stats(rows[index][1])[0]
        verdict = "meets" if week_med < GOAL_MS else "MISSES"
        print(
            f"goal: window query for one week under {GOAL_MS:.0f} ms at 100k events, {path}: "
            f"{verdict} ({week_med:.1f} ms median, all practitioners)"
        )
    return 0


class sqlite_count:
    """Count event rows with the stdlib driver (no engine, no migrations)."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path)

    def __enter__(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM event").fetchone()[0])

    def __exit__(self, *_: object) -> None:
        self.conn.close()


if __name__ == "__main__":
    sys.exit(main())
